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

import java.io.IOException;

/**
 * A commit of a {@link KilnSink} that can never succeed (a generation file is missing or truncated,
 * a manifest is unreadable, the table is gone): it fails the job rather than let later checkpoints
 * publish past the lost one. The message names the committer id, the checkpoint and the table; the
 * cause is the table layer's typed error naming the file.
 */
@PublicEvolving
public final class KilnCommitException extends IOException {

    private static final long serialVersionUID = 1L;

    KilnCommitException(String message, Throwable cause) {
        super(message, cause);
    }
}
