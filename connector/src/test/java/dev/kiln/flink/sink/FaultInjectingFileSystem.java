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

import org.apache.flink.core.fs.BlockLocation;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Fault injection and observation for sink tests: scheme {@value #SCHEME} is the local file system
 * (path {@code kilnfault:///x} is {@code /x}) with switches that make the n-th generation file
 * written tear and fail, the n-th manifest rename fail before it happens, or fail after it happened
 * (a crash between publishing and acknowledging a commit), and that record when each manifest
 * appears on the global {@link #TICKS} clock. Static, as the MiniCluster's tasks run in the test's
 * JVM; {@link #reset} between tests.
 */
public final class FaultInjectingFileSystem extends FileSystem {

    public static final String SCHEME = "kilnfault";

    /** A global order of events (warm ends, publications), for exact before/after assertions. */
    public static final AtomicLong TICKS = new AtomicLong();

    private static final AtomicInteger dataCreates = new AtomicInteger();
    private static final AtomicInteger injected = new AtomicInteger();
    private static final AtomicInteger manifestRenames = new AtomicInteger();
    private static volatile int tearDataCreate = -1;
    private static volatile int failRenameBefore = -1;
    private static volatile int failRenameAfter = -1;
    private static volatile LongConsumer onPublish = version -> {};
    private static final AtomicInteger compactionCreates = new AtomicInteger();
    private static volatile int holdCompactionCreate = -1;
    private static volatile CountDownLatch compacting = new CountDownLatch(1);
    private static volatile CountDownLatch failedOver = new CountDownLatch(1);

    /** (manifest version, tick) for every manifest published, in order. */
    public static final List<long[]> PUBLISHED = new CopyOnWriteArrayList<>();

    private static final FileSystem LOCAL = LocalFileSystem.getSharedInstance();

    public static void reset() {
        dataCreates.set(0);
        injected.set(0);
        manifestRenames.set(0);
        tearDataCreate = -1;
        failRenameBefore = -1;
        failRenameAfter = -1;
        onPublish = version -> {};
        PUBLISHED.clear();
        compactionCreates.set(0);
        holdCompactionCreate = -1;
        compacting = new CountDownLatch(1);
        failedOver = new CountDownLatch(1);
    }

    /**
     * Makes the {@code n}-th (from 1) generation file created by a sink's compaction thread wait,
     * before it is written, until {@link #failOverOnceDuringCompaction} made the job fail over.
     */
    public static void holdCompactionCreate(int n) {
        holdCompactionCreate = n;
    }

    /**
     * Returns {@code true} exactly once, while the held compaction write waits (see {@link
     * #holdCompactionCreate}), and then lets that write go on: the caller throws to fail the job
     * over in the middle of a compaction.
     */
    public static boolean failOverOnceDuringCompaction() {
        if (compacting.getCount() == 0 && failedOver.getCount() == 1) {
            synchronized (FaultInjectingFileSystem.class) {
                if (failedOver.getCount() == 1) {
                    injected.incrementAndGet();
                    failedOver.countDown();
                    return true;
                }
            }
        }
        return false;
    }

    /** Makes the {@code n}-th (from 1) generation file created tear after a few bytes and fail. */
    public static void tearDataFileCreate(int n) {
        tearDataCreate = n;
    }

    /**
     * Makes the {@code n}-th (from 1) manifest rename fail with an I/O error, publishing nothing.
     */
    public static void failManifestRenameBefore(int n) {
        failRenameBefore = n;
    }

    /** Makes the {@code n}-th (from 1) manifest rename publish, then throw (a crash). */
    public static void failManifestRenameAfter(int n) {
        failRenameAfter = n;
    }

    /** Runs {@code listener} with each published manifest's version, right after it appears. */
    public static void onPublish(LongConsumer listener) {
        onPublish = listener;
    }

    /** Returns how many faults were injected since {@link #reset}. */
    public static int injectedFaults() {
        return injected.get();
    }

    /** Returns the path of {@code local} (a local directory) on this file system. */
    public static Path path(java.nio.file.Path local) {
        return new Path(SCHEME + "://" + local.toAbsolutePath());
    }

    private static Path local(Path path) {
        return new Path(path.toUri().getPath());
    }

    @Override
    public FSDataOutputStream create(Path path, WriteMode mode) throws IOException {
        if (path.getPath().contains("/data/bucket-")
                && Thread.currentThread().getName().startsWith("kiln-compaction")
                && compactionCreates.incrementAndGet() == holdCompactionCreate) {
            compacting.countDown();
            try {
                if (!failedOver.await(2, TimeUnit.MINUTES)) {
                    throw new IOException("the injected failover never came");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while held", e);
            }
        }
        FSDataOutputStream out = LOCAL.create(local(path), mode);
        if (!path.getPath().contains("/data/bucket-")
                || dataCreates.incrementAndGet() != tearDataCreate) {
            return out;
        }
        return new FSDataOutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                if (written == 16) {
                    out.flush();
                    injected.incrementAndGet();
                    throw new IOException("injected failure writing " + path);
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
    public boolean rename(Path src, Path dst) throws IOException {
        if (!dst.getName().startsWith("manifest-")) {
            return LOCAL.rename(local(src), local(dst));
        }
        int n = manifestRenames.incrementAndGet();
        if (n == failRenameBefore) {
            injected.incrementAndGet();
            throw new IOException("injected failure renaming " + src + " to " + dst);
        }
        boolean renamed = LOCAL.rename(local(src), local(dst));
        if (renamed) {
            long version = Long.parseLong(dst.getName().replaceAll("\\D", ""));
            PUBLISHED.add(new long[] {version, TICKS.incrementAndGet()});
            onPublish.accept(version);
        }
        if (n == failRenameAfter) {
            injected.incrementAndGet();
            throw new IllegalStateException("injected crash after publishing " + dst);
        }
        return renamed;
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
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        return LOCAL.open(local(f), bufferSize);
    }

    @Override
    public FSDataInputStream open(Path f) throws IOException {
        return LOCAL.open(local(f));
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

    /** Registered through {@code META-INF/services}. */
    public static final class Factory implements FileSystemFactory {
        @Override
        public String getScheme() {
            return SCHEME;
        }

        @Override
        public FileSystem create(URI fsUri) {
            return new FaultInjectingFileSystem();
        }
    }
}
