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

package dev.kiln.flink.runtime;

import dev.kiln.io.ByteRange;
import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import static java.util.Objects.requireNonNull;

/**
 * The {@link GenerationCache}s of one TaskManager, one per table root, shared by every Kiln
 * operator there that reads or warms that table: what the sink's warm-before-commit step warms is
 * what lookups in the same TaskManager read. Like Flink's {@code LookupCacheManager}, entries are
 * reference-counted: {@link #acquire} opens (or joins) a table's cache and returns a {@link Lease};
 * the cache, its Arrow memory and its I/O threads are released when the last lease is closed.
 *
 * <p>The registry lives in the class loader that loaded Kiln: with the connector in Flink's {@code
 * lib/} folder it is shared by every job of the TaskManager; bundled in a job's jar it is shared by
 * that job's operators (its sinks and lookups) in the TaskManager.
 *
 * <p>Memory: a cache's pages live off heap, in a child of {@link KilnMemory}'s allocator, bounded
 * by {@link CacheSettings#maximumPageBytes()}. Each {@link #acquire} given the TaskManager's
 * configuration checks the bounds of every cache open here, the new one included, against the
 * TaskManager's task off-heap memory ({@link CacheSettings#memoryCheck()}), before it builds
 * anything; {@link #boundBytes()} is their sum.
 *
 * <p>Thread-safe. {@link #acquire} and {@link Lease#close} may block briefly (closing a cache
 * releases its memory inline); call them from an operator's {@code open} and {@code close}.
 */
@Internal
public final class KilnCacheRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(KilnCacheRegistry.class);

    private static final KilnCacheRegistry INSTANCE = new KilnCacheRegistry();

    /** Threads of a table's disk tier (disk reads and writes of its copies). */
    private static final int DISK_THREADS = 4;

    private final Map<String, Entry> entries = new HashMap<>();

    /** Every cache open, shared or plain. */
    private final Set<Entry> open = Collections.newSetFromMap(new IdentityHashMap<>());

    private volatile long boundBytes;

    KilnCacheRegistry() {}

    /** Returns the registry of this TaskManager (of this class loader). */
    public static KilnCacheRegistry instance() {
        return INSTANCE;
    }

    /**
     * Returns a lease on the cache of the table at {@code tableRoot} as {@link #acquire(Path,
     * CacheSettings, ReadableConfig)} does, checking no memory budget: for tools and tests, which
     * run outside a TaskManager.
     */
    public Lease acquire(Path tableRoot, CacheSettings settings) {
        return acquire(tableRoot, settings, null);
    }

    /**
     * Returns a lease on the cache of the table at {@code tableRoot}, building it with {@code
     * settings} if no operator holds one; otherwise the existing cache is shared as it was built.
     * Settings that ask for a {@linkplain CacheSettings#plainPerSubtask() plain cache per subtask}
     * get a cache of their own, not shared.
     *
     * <p>First, unless {@code taskManager} is {@code null}, checks the page-cache bounds of every
     * table open here, this one included, against its task off-heap memory, as {@link
     * CacheSettings#memoryCheck()} says: a warning is logged when this call builds a cache.
     *
     * @param taskManager the configuration of the TaskManager the caller runs in ({@link
     *     TaskManagerConfig}), or {@code null} if it is unknown (nothing is checked)
     * @throws org.apache.flink.configuration.IllegalConfigurationException over budget with {@link
     *     MemoryCheck#FAIL}, naming both settings; nothing was built
     */
    public synchronized Lease acquire(
            Path tableRoot, CacheSettings settings, @Nullable ReadableConfig taskManager) {
        String key =
                requireNonNull(tableRoot, "tableRoot")
                        .makeQualified(fileSystem(tableRoot))
                        .toString();
        requireNonNull(settings, "settings");
        Entry entry = settings.plainPerSubtask() ? null : entries.get(key);
        checkBudget(key, settings, entry == null, taskManager);
        if (settings.plainPerSubtask()) {
            Entry own = opened(new Entry(key, settings, diskParent(key, settings, taskManager)));
            own.leases++;
            return new Lease(own);
        }
        if (entry == null) {
            S3ConnectionPool.warnIfSmaller(fileSystem(tableRoot), key, settings.ioThreads());
            entry = opened(new Entry(key, settings, diskParent(key, settings, taskManager)));
            entries.put(key, entry);
        } else if (!entry.settings.buildSameCacheAs(settings)) {
            LOG.info(
                    "Kiln table {} shares the cache built with {}; the settings {} are ignored.",
                    key,
                    entry.settings,
                    settings);
        }
        entry.leases++;
        return new Lease(entry);
    }

    /** Returns how many tables have a cache open. */
    public synchronized int openCaches() {
        return entries.size();
    }

    /**
     * Returns the sum of the page-cache bounds ({@link CacheSettings#maximumPageBytes()}) of the
     * caches open: the off-heap memory they may hold. Does not block.
     */
    public long boundBytes() {
        return boundBytes;
    }

    private void checkBudget(
            String key, CacheSettings settings, boolean builds, @Nullable ReadableConfig tm) {
        if (tm == null || settings.memoryCheck() == MemoryCheck.OFF) {
            return;
        }
        List<OffHeapBudgetCheck.Bound> bounds = new ArrayList<>();
        if (builds) {
            bounds.add(new OffHeapBudgetCheck.Bound(key, settings.maximumPageBytes()));
        }
        for (Entry entry : open) {
            String table =
                    entry.settings.plainPerSubtask()
                            ? entry.key + " (plain, per subtask)"
                            : entry.key;
            bounds.add(new OffHeapBudgetCheck.Bound(table, entry.settings.maximumPageBytes()));
        }
        OffHeapBudgetCheck.check(
                settings.memoryCheck(),
                OffHeapBudgetCheck.budgetBytes(tm),
                key,
                bounds,
                builds ? LOG::warn : warning -> {});
    }

    /**
     * Returns the directory the disk tier of {@code settings} goes under: its own, or one of the
     * TaskManager's {@code io.tmp.dirs} (picked by table, so tables spread over the disks), or the
     * JVM's temporary directory when the TaskManager's configuration is unknown; {@code null} when
     * the settings ask for no disk tier.
     */
    @Nullable
    static java.nio.file.Path diskParent(
            String key, CacheSettings settings, @Nullable ReadableConfig taskManager) {
        if (settings.diskBytes() <= 0) {
            return null;
        }
        if (settings.diskDirectory() != null) {
            return java.nio.file.Paths.get(settings.diskDirectory());
        }
        String[] dirs =
                taskManager == null
                        ? new String[0]
                        : ConfigurationUtils.parseTempDirectories(
                                Configuration.fromMap(taskManager.toMap()));
        if (dirs.length == 0) {
            return java.nio.file.Paths.get(System.getProperty("java.io.tmpdir"));
        }
        return java.nio.file.Paths.get(dirs[Math.floorMod(key.hashCode(), dirs.length)]);
    }

    private Entry opened(Entry entry) {
        open.add(entry);
        boundBytes += entry.settings.maximumPageBytes();
        return entry;
    }

    private synchronized void release(Entry entry) {
        if (--entry.leases == 0) {
            entries.remove(entry.key, entry);
            if (open.remove(entry)) {
                boundBytes -= entry.settings.maximumPageBytes();
            }
            entry.close();
        }
    }

    private static FileSystem fileSystem(Path path) {
        try {
            return path.getFileSystem();
        } catch (IOException e) {
            throw new IllegalArgumentException("no file system for Kiln table " + path, e);
        }
    }

    /** A table's cache, with what it owns. */
    private static final class Entry {
        final String key;
        final CacheSettings settings;
        final ExecutorService io;
        @Nullable final ExecutorService disk;
        final BufferAllocator allocator;
        final GenerationCache cache;
        final LongAdder storageRequests = new LongAdder();
        int leases;

        Entry(String key, CacheSettings settings, @Nullable java.nio.file.Path diskParent) {
            this.key = key;
            this.settings = settings;
            this.io =
                    Executors.newFixedThreadPool(
                            settings.ioThreads(), KilnThreads.factory("kiln-io"));
            this.allocator = KilnMemory.newAllocator("kiln-cache " + key, Long.MAX_VALUE);
            RangeReader storage = RangeReader.onFileSystem(io);
            RangeReader counted =
                    new RangeReader() {
                        @Override
                        public CompletableFuture<byte[]> read(Path path, ByteRange range) {
                            storageRequests.increment();
                            return storage.read(path, range);
                        }

                        @Override
                        public CompletableFuture<Long> length(Path path) {
                            storageRequests.increment();
                            return storage.length(path);
                        }
                    };
            GenerationCache.Builder builder =
                    settings.configure(GenerationCache.builder(counted, allocator));
            // Disk reads and writes get threads of their own, so that they never queue behind
            // blocking storage requests.
            this.disk =
                    diskParent == null
                            ? null
                            : Executors.newFixedThreadPool(
                                    DISK_THREADS, KilnThreads.factory("kiln-disk"));
            if (diskParent != null) {
                builder.diskTier(diskParent, settings.diskBytes(), disk);
            }
            this.cache = builder.build();
        }

        void close() {
            try {
                cache.close();
                allocator.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the Kiln cache of {} failed.", key, e);
            } finally {
                io.shutdownNow();
                if (disk != null) {
                    disk.shutdownNow();
                }
            }
        }
    }

    /**
     * One operator's hold on a table's cache. Close it exactly when the operator closes; closing
     * twice is a no-op. Not thread-safe.
     */
    @Internal
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /**
         * Returns the shared cache; valid until this lease is closed.
         *
         * @throws IllegalStateException if this lease was closed
         */
        public GenerationCache cache() {
            if (closed.get()) {
                throw new IllegalStateException("the lease on " + entry.key + " is closed");
            }
            return entry.cache;
        }

        /**
         * Returns the storage requests (range reads and length requests) the shared cache made
         * since it was built, for every user of the table in this TaskManager.
         */
        public long storageRequests() {
            return entry.storageRequests.sum();
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release(entry);
            }
        }
    }
}
