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

package dev.kiln.table;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Thrown when the table found at a root has another schema, primary key or bucket count than a
 * reader that was built before the table existed expects ({@link KilnTable#expect}). The message
 * names the root and the first difference.
 */
@PublicEvolving
public final class IncompatibleTableException extends KilnTableException {

    private static final long serialVersionUID = 1L;

    IncompatibleTableException(String message) {
        super(message);
    }
}
