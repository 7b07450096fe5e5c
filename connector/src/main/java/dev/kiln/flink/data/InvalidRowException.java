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

package dev.kiln.flink.data;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A row the sink cannot write: a null primary-key column, the wrong number of fields, or a value
 * its column cannot hold. The message names the column (when there is one) and the table; the job
 * fails with it, and nothing already committed is affected.
 */
@PublicEvolving
public class InvalidRowException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String column;

    public InvalidRowException(String column, String message, Throwable cause) {
        super(message, cause);
        this.column = column;
    }

    public InvalidRowException(String column, String message) {
        this(column, message, null);
    }

    /** Returns the column at fault, or {@code null} if the fault is the row's shape. */
    public String column() {
        return column;
    }
}
