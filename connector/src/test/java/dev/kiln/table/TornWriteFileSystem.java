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

import org.apache.flink.core.fs.BlockLocation;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for tests: the real local file system, except that the next {@code n} files
 * created stop accepting bytes after {@code limit} of them and fail, as a crash mid-write leaves a
 * file (the bytes written so far stay on disk).
 */
final class TornWriteFileSystem extends FileSystem {

    private final FileSystem local = LocalFileSystem.getSharedInstance();
    private final AtomicInteger tearNext = new AtomicInteger();
    private volatile long limit;

    /** Makes the next {@code files} creates fail after {@code bytes} bytes. */
    void tearNextCreates(int files, long bytes) {
        this.limit = bytes;
        tearNext.set(files);
    }

    @Override
    public FSDataOutputStream create(Path path, WriteMode mode) throws IOException {
        FSDataOutputStream out = local.create(path, mode);
        if (tearNext.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
            return out;
        }
        long bytes = limit;
        return new FSDataOutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                if (written == bytes) {
                    out.flush();
                    throw new IOException("injected crash after " + bytes + " bytes of " + path);
                }
                out.write(b);
                written++;
            }

            @Override
            public long getPos() throws IOException {
                return out.getPos();
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void sync() throws IOException {
                out.sync();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    @Override
    public Path getWorkingDirectory() {
        return local.getWorkingDirectory();
    }

    @Override
    public Path getHomeDirectory() {
        return local.getHomeDirectory();
    }

    @Override
    public URI getUri() {
        return local.getUri();
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return local.getFileStatus(f);
    }

    @Override
    public BlockLocation[] getFileBlockLocations(FileStatus file, long start, long len)
            throws IOException {
        return local.getFileBlockLocations(file, start, len);
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        return local.open(f, bufferSize);
    }

    @Override
    public FSDataInputStream open(Path f) throws IOException {
        return local.open(f);
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        return local.listStatus(f);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        return local.delete(f, recursive);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        return local.mkdirs(f);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        return local.rename(src, dst);
    }

    @Override
    public boolean isDistributedFS() {
        return false;
    }
}
