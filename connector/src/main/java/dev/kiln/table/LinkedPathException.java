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

import org.apache.flink.annotation.Internal;

/**
 * Thrown when a generation that Kiln would commit or read is a symbolic link or is reached through
 * one (a folder under the table root that is a link); the message names the path. Kiln never
 * follows a link under the root, since it could lead outside the table (orphan cleanup skips
 * links). Checked where the file system has links and reports them ({@code file://}); see {@code
 * docs/table.md}.
 */
@Internal
public final class LinkedPathException extends KilnTableException {

    private static final long serialVersionUID = 1L;

    LinkedPathException(String message) {
        super(message);
    }
}
