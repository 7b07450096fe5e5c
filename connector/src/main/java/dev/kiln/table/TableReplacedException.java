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
 * Thrown to a reader of a table when the table at its root is no longer the one it read: the table
 * was deleted and another created at the same root. The reader sees this either as a different
 * table identity ({@link KilnTable#tableId()}) or as a latest version older than one it has read.
 * The message names the root and what differs. A reader never answers from the replaced table once
 * it has seen this.
 */
@PublicEvolving
public final class TableReplacedException extends KilnTableException {

    private static final long serialVersionUID = 1L;

    TableReplacedException(String message) {
        super(message);
    }
}
