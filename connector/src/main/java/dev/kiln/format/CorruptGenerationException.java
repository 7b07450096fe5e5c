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

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.core.fs.Path;

import java.io.IOException;

/**
 * Thrown (or used to fail a future) when a generation file cannot be trusted: it is truncated, is
 * not an Arrow IPC file, has a damaged footer or index, fails a page checksum, or was written by an
 * unknown format version ({@link UnsupportedFormatVersionException}). It is a checked {@link
 * IOException} because, like any I/O failure, it comes from outside the program and a caller may
 * handle it (skip or re-fetch the file, alert) rather than crash.
 *
 * <p>The message names the file and the byte offset where the problem was found; {@link #path()}
 * and {@link #offset()} return them.
 */
@PublicEvolving
public class CorruptGenerationException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String path;
    private final long offset;

    CorruptGenerationException(Path path, long offset, String detail) {
        this(path, offset, detail, null);
    }

    CorruptGenerationException(Path path, long offset, String detail, Throwable cause) {
        super("corrupt generation " + path + " at offset " + offset + ": " + detail, cause);
        this.path = String.valueOf(path);
        this.offset = offset;
    }

    /** Returns the path of the corrupt file, as a string. */
    public String path() {
        return path;
    }

    /** Returns the byte offset in the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
