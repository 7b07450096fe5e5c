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

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import static java.util.Objects.requireNonNull;

/**
 * {@link RangeReader} on Flink's {@link org.apache.flink.core.fs.FileSystem}: every request opens
 * its own stream, so concurrent requests share nothing.
 */
final class FileSystemRangeReader implements RangeReader {

    private final Executor ioExecutor;

    FileSystemRangeReader(Executor ioExecutor) {
        this.ioExecutor = requireNonNull(ioExecutor, "ioExecutor");
    }

    @Override
    public CompletableFuture<byte[]> read(Path path, ByteRange range) {
        requireNonNull(path, "path");
        requireNonNull(range, "range");
        return CompletableFuture.supplyAsync(() -> readBlocking(path, range), ioExecutor);
    }

    @Override
    public CompletableFuture<Long> length(Path path) {
        requireNonNull(path, "path");
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return path.getFileSystem().getFileStatus(path).getLen();
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                },
                ioExecutor);
    }

    private static byte[] readBlocking(Path path, ByteRange range) {
        byte[] bytes = new byte[(int) range.length()];
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            in.seek(range.offset());
            int filled = 0;
            while (filled < bytes.length) {
                int n = in.read(bytes, filled, bytes.length - filled);
                if (n < 0) {
                    throw new ShortReadException(path.toString(), range, filled);
                }
                filled += n;
            }
            return bytes;
        } catch (IOException e) {
            throw new CompletionException(e);
        } catch (UncheckedIOException e) {
            throw new CompletionException(e.getCause());
        }
    }
}
