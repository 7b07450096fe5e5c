/*
 * Copyright 2026 The Kiln Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the
 * License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 * either express or implied. See the License for the specific language governing permissions
 * and limitations under the License.
 */

package dev.kiln.flink.sink;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.ValidationException;

/**
 * A {@link KilnSink} was built for a table path where a table of another schema, primary key or
 * bucket count exists. Thrown by {@link KilnSink.Builder#build()}, before the job runs; the message
 * names the path and the first difference.
 */
@PublicEvolving
public final class TableMismatchException extends ValidationException {

    private static final long serialVersionUID = 1L;

    TableMismatchException(String message) {
        super(message);
    }
}
