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

package dev.kiln.format;

import org.apache.flink.annotation.Internal;

/**
 * Thrown when a primary-key column holds {@code null}: keys identify rows and may never be null.
 * The message and {@link #column()} name the column.
 */
@Internal
public final class NullKeyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String column;

    NullKeyException(String column, String where) {
        super("primary-key column '" + column + "' is null " + where + "; keys must not be null");
        this.column = column;
    }

    /** Returns the name of the key column that was null. */
    public String column() {
        return column;
    }
}
