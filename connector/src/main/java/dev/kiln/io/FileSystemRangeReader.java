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

import org.apache.flink.core.fs.ByteBufferReadable;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import static java.util.Objects.requireNonNull;

/**
 * {@link RangeReader} on Flink's {@link org.apache.flink.core.fs.FileSystem}: every request opens
 * its own stream, so concurrent requests share nothing.
 *
 * <p>Streams that offer positioned reads ({@link ByteBufferReadable}: local files, Flink's Hadoop
 * and S3 file systems) are read at the range's offset without seeking; on S3 with the input policy
 * {@code random} and no readahead that is one ranged GET of exactly the range. Other streams seek
 * and read. (A forward seek on Flink's Hadoop streams skips by reading: on S3 that fetches the
 * skipped bytes, many GETs for one range.)
 *
 * <p>A range is never trusted to fit the file: memory grows with the bytes actually read (from at
 * most {@value #INITIAL_BUFFER_BYTES} bytes), and a range that starts or ends past the end of the
 * file fails with {@link ShortReadException}, however large its offset or length.
 */
final class FileSystemRangeReader implements RangeReader {

    /**
     * The buffer a read starts with (or the range's length, if smaller); it doubles as bytes
     * arrive, up to the range's length.
     */
    static final int INITIAL_BUFFER_BYTES = 1 << 20;

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
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            if (in instanceof ByteBufferReadable positioned && range.length() > 0) {
                return readPositioned(positioned, available(in), path, range);
            }
            seek(in, path, range);
            return readFrom(in, path, range);
        } catch (IOException e) {
            throw new CompletionException(e);
        } catch (UncheckedIOException e) {
            throw new CompletionException(e.getCause());
        }
    }

    // ByteRange has checked offset and length (non-negative, no overflow); the file's length is
    // unknown without a metadata request, so the buffer grows with the bytes that arrive instead
    // of trusting the stated length: a huge range over a short file costs the file's bytes, not
    // an OutOfMemoryError.

    private static byte[] readFrom(FSDataInputStream in, Path path, ByteRange range)
            throws IOException {
        int length = (int) range.length();
        byte[] bytes = new byte[Math.min(length, INITIAL_BUFFER_BYTES)];
        int filled = 0;
        while (filled < length) {
            if (filled == bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(length, 2L * bytes.length));
            }
            int n = in.read(bytes, filled, bytes.length - filled);
            if (n < 0) {
                throw new ShortReadException(path.toString(), range, filled);
            }
            filled += n;
        }
        return bytes;
    }

    /**
     * Reads by position, given the fresh stream's {@code available()}. Implementations differ:
     * local streams read what is there and return -1 at the end; Hadoop's read fully and throw
     * {@link EOFException} when the file ends first (then the file's length, asked on that failure
     * path only, says where the data stopped).
     */
    private static byte[] readPositioned(
            ByteBufferReadable in, int available, Path path, ByteRange range) throws IOException {
        int length = (int) range.length();
        // A fresh stream's available() is the file's length on local and S3 streams (known from
        // the open, no request), at most 0 elsewhere: bytes that exist, so the buffer may start
        // that large and a range inside the file is one positioned read (one GET on S3).
        long inFile = available - range.offset();
        byte[] bytes = new byte[(int) Math.min(length, Math.max(INITIAL_BUFFER_BYTES, inFile))];
        int filled = 0;
        while (filled < length) {
            if (filled == bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(length, 2L * bytes.length));
            }
            int n;
            try {
                n =
                        in.read(
                                range.offset() + filled,
                                ByteBuffer.wrap(bytes, filled, bytes.length - filled).slice());
            } catch (EOFException e) {
                throw shortRead(path, range, e);
            }
            if (n <= 0) {
                throw new ShortReadException(path.toString(), range, filled);
            }
            filled += n;
        }
        return bytes;
    }

    private static int available(FSDataInputStream in) {
        try {
            return in.available();
        } catch (IOException e) {
            return 0;
        }
    }

    private static IOException shortRead(Path path, ByteRange range, EOFException e) {
        long fileLength;
        try {
            fileLength = path.getFileSystem().getFileStatus(path).getLen();
        } catch (IOException lengthFailure) {
            e.addSuppressed(lengthFailure);
            return e;
        }
        if (fileLength >= range.offset() + range.length()) {
            return e;
        }
        ShortReadException shortRead =
                new ShortReadException(
                        path.toString(), range, Math.max(0, fileLength - range.offset()));
        shortRead.initCause(e);
        return shortRead;
    }

    /**
     * Seeks to the range's offset. Some file systems refuse offsets far past the end of the file
     * (local files: {@code EINVAL} beyond the largest possible file); only then is the file's
     * length asked for, to report such a range as the short read it is.
     */
    private static void seek(FSDataInputStream in, Path path, ByteRange range) throws IOException {
        try {
            in.seek(range.offset());
        } catch (IOException e) {
            long fileLength;
            try {
                fileLength = path.getFileSystem().getFileStatus(path).getLen();
            } catch (IOException lengthFailure) {
                e.addSuppressed(lengthFailure);
                throw e;
            }
            if (range.offset() > fileLength) {
                ShortReadException shortRead = new ShortReadException(path.toString(), range, 0);
                shortRead.initCause(e);
                throw shortRead;
            }
            throw e;
        }
    }
}
