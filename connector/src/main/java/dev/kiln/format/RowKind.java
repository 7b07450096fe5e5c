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

/** What a row of a generation says about its key: the key's new values, or that it was deleted. */
@Internal
public enum RowKind {
    /** The row holds the key's values (an insert or the after-image of an update). */
    UPSERT((byte) 0),
    /** A tombstone: the key was deleted; the row's value columns carry no meaning. */
    DELETE((byte) 1);

    private final byte code;

    RowKind(byte code) {
        this.code = code;
    }

    /** Returns the value stored in the row-kind column ({@code _kiln_kind}) for this kind. */
    public byte code() {
        return code;
    }

    /**
     * Returns the kind stored as {@code code}.
     *
     * @throws IllegalArgumentException if {@code code} is no kind's code
     */
    public static RowKind ofCode(byte code) {
        switch (code) {
            case 0:
                return UPSERT;
            case 1:
                return DELETE;
            default:
                throw new IllegalArgumentException("unknown row kind code " + code);
        }
    }
}
