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
 * Thrown to a reader of a table's changes when a version cannot say what changed: it was written by
 * an older Kiln, whose manifests did not record the generations they added, and it also compacted,
 * so its new generations cannot be told from compaction outputs. The message names the version;
 * read the table from a full snapshot of a later version instead.
 */
@PublicEvolving
public final class UnknownChangesException extends KilnTableException {

    private static final long serialVersionUID = 1L;

    private final long version;

    UnknownChangesException(long version) {
        super(
                "version "
                        + version
                        + " was written by an older Kiln that did not record the generations it"
                        + " added, and it compacted: its changes cannot be told from its"
                        + " compaction; read the table from a full snapshot of a later version");
        this.version = version;
    }

    /** Returns the version whose changes are unknown. */
    public long version() {
        return version;
    }
}
