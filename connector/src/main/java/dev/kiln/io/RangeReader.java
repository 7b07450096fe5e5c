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

package dev.kiln.io;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Reads byte ranges of immutable files, one range per request, without blocking the caller.
 *
 * <p>Every method starts its I/O on an executor and returns at once; a returned future completes on
 * a thread of that executor (or of whatever the implementation delegates to). Callers must not
 * assume which thread, and dependent stages that block or run long should use an async variant with
 * their own executor.
 *
 * <p>Errors complete the returned future exceptionally, never throw: {@link java.io.IOException}
 * (for example {@link java.io.FileNotFoundException}) when the storage fails, and {@link
 * java.io.EOFException} when a range ends past the end of the file. Argument errors ({@code null}
 * path or range) are thrown as {@link NullPointerException} at once.
 *
 * <p>Implementations are thread-safe and hold no per-file state that needs closing; files are
 * treated as immutable (a generation is never rewritten), so a result may be cached by the caller.
 */
@Internal
public interface RangeReader {

    /**
     * Returns a reader over Flink's {@link org.apache.flink.core.fs.FileSystem} of each path (so
     * {@code file://}, {@code s3://}, {@code hdfs://} and every other scheme Flink has a file
     * system for), running each request on {@code ioExecutor}.
     *
     * <p>Each request opens the file, seeks, reads the range fully and closes the stream, so that
     * requests never share stream state. The executor is owned by the caller, who shuts it down;
     * size it for the number of requests that should be in flight at once (each request blocks one
     * of its threads while it waits for storage).
     *
     * <p>A range's length is not trusted to fit the file: the buffer grows with the bytes that
     * arrive (from at most 1 MiB), so a huge range over a short file fails with {@link
     * ShortReadException} instead of allocating its stated length, and so does an offset past the
     * end that the file system refuses to seek to (such as {@link Long#MAX_VALUE}).
     */
    static RangeReader onFileSystem(Executor ioExecutor) {
        return new FileSystemRangeReader(ioExecutor);
    }

    /**
     * Reads the bytes of {@code range} of the file at {@code path} with one storage request.
     *
     * @return a future of exactly {@code range.length()} bytes; it fails with {@link
     *     java.io.EOFException} if the file ends before the range does
     */
    CompletableFuture<byte[]> read(Path path, ByteRange range);

    /** Returns the length of the file at {@code path} in bytes (one metadata request). */
    CompletableFuture<Long> length(Path path);
}
