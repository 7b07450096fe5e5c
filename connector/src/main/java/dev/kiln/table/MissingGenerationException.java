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
 * Thrown when a commit adds a generation whose file is missing or has another size than its
 * reference says (removed as an orphan before its commit, or never fully written). Nothing is
 * published: a manifest never names a file that is not there.
 */
@PublicEvolving
public final class MissingGenerationException extends KilnTableException {

    private static final long serialVersionUID = 1L;

    MissingGenerationException(String message) {
        super(message);
    }

    MissingGenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
