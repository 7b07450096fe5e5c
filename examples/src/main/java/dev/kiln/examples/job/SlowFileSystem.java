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

package dev.kiln.examples.job;

import org.apache.flink.core.fs.BlockLocation;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The local file system with a remote store's latency, for the end-to-end benchmark: scheme {@value
 * #SCHEME} is the local file system (path {@code kilnslow:///x} is {@code /x}), and every {@code
 * open} for reading first waits {@link #delayMicros} (Kiln opens a stream per range read, so that
 * is one wait per storage request) and is counted. Writes, renames and listings are not delayed.
 * Static, as the embedded cluster runs in this JVM.
 */
public final class SlowFileSystem extends FileSystem {

    public static final String SCHEME = "kilnslow";

    private static final LocalFileSystem LOCAL = LocalFileSystem.getSharedInstance();
    private static final LongAdder OPENS = new LongAdder();
    private static volatile long delayMicros;

    /** Sets the wait of every open for reading, and zeroes the count of opens. */
    public static void reset(long delayMicros) {
        SlowFileSystem.delayMicros = delayMicros;
        OPENS.reset();
    }

    /** Returns the opens for reading (storage requests) since {@link #reset}. */
    public static long opens() {
        return OPENS.sum();
    }

    /** Returns {@code dir} on this file system. */
    public static Path of(java.nio.file.Path dir) {
        return new Path(SCHEME + "://" + dir.toAbsolutePath().toUri().getPath());
    }

    private static Path local(Path path) {
        return new Path(path.toUri().getPath());
    }

    private static void delay() throws IOException {
        OPENS.increment();
        long micros = delayMicros;
        if (micros > 0) {
            try {
                TimeUnit.MICROSECONDS.sleep(micros);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for storage");
            }
        }
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        delay();
        return LOCAL.open(local(f), bufferSize);
    }

    @Override
    public FSDataInputStream open(Path f) throws IOException {
        delay();
        return LOCAL.open(local(f));
    }

    @Override
    public FSDataOutputStream create(Path path, WriteMode mode) throws IOException {
        return LOCAL.create(local(path), mode);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        return LOCAL.rename(local(src), local(dst));
    }

    @Override
    public Path getWorkingDirectory() {
        return new Path(SCHEME + ":///");
    }

    @Override
    public Path getHomeDirectory() {
        return new Path(SCHEME + ":///");
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return LOCAL.getFileStatus(local(f));
    }

    @Override
    public BlockLocation[] getFileBlockLocations(FileStatus file, long start, long len)
            throws IOException {
        return LOCAL.getFileBlockLocations(file, start, len);
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        return LOCAL.listStatus(local(f));
    }

    @Override
    public boolean exists(Path f) throws IOException {
        return LOCAL.exists(local(f));
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        return LOCAL.delete(local(f), recursive);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        return LOCAL.mkdirs(local(f));
    }

    @Override
    public boolean isDistributedFS() {
        return false;
    }

    /** Registered in {@code META-INF/services}. */
    public static final class Factory implements FileSystemFactory {
        @Override
        public String getScheme() {
            return SCHEME;
        }

        @Override
        public FileSystem create(URI fsUri) {
            return new SlowFileSystem();
        }
    }
}
