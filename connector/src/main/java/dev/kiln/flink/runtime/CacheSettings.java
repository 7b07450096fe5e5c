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

import dev.kiln.warm.GenerationCache;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

import javax.annotation.Nullable;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * How the {@link GenerationCache} a TaskManager shares for one table is built: page and footer byte
 * bounds, the warm budget, concurrency and deadline, and the I/O threads. The first user of a table
 * in a TaskManager decides; later users share what it built (see {@link KilnCacheRegistry}).
 *
 * <p>Immutable and serializable; built by a {@link Builder} that validates each option, naming it.
 */
@PublicEvolving
public final class CacheSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Default I/O threads per table and TaskManager: blocking storage calls run there. */
    public static final int DEFAULT_IO_THREADS = 16;

    /** The SQL option of {@link #maximumPageBytes()}, as messages name it. */
    public static final String PAGE_BYTES_OPTION = "cache.page-bytes";

    /** The SQL option of {@link #memoryCheck()}, as messages name it. */
    public static final String MEMORY_CHECK_OPTION = "cache.memory-check";

    /** Default {@link Builder#memoryCheck}. */
    public static final MemoryCheck DEFAULT_MEMORY_CHECK = MemoryCheck.WARN;

    private final long maximumPageBytes;
    private final long maximumGenerationBytes;
    private final long warmPageBudgetBytes;
    private final int maxConcurrentWarms;
    private final Duration warmDeadline;
    private final int ioThreads;
    private final boolean plain;
    private final MemoryCheck memoryCheck;
    private final long diskBytes;
    @Nullable private final String diskDirectory;

    private CacheSettings(Builder builder) {
        this.maximumPageBytes = builder.maximumPageBytes;
        this.maximumGenerationBytes = builder.maximumGenerationBytes;
        this.warmPageBudgetBytes = builder.warmPageBudgetBytes;
        this.maxConcurrentWarms = builder.maxConcurrentWarms;
        this.warmDeadline = builder.warmDeadline;
        this.ioThreads = builder.ioThreads;
        this.plain = builder.plain;
        this.memoryCheck = builder.memoryCheck;
        this.diskBytes = builder.diskBytes;
        this.diskDirectory = builder.diskDirectory;
    }

    /** Returns the settings with every option at its default. */
    public static CacheSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Bytes of decoded pages the cache keeps; see {@code GenerationCache.Builder}. */
    public long maximumPageBytes() {
        return maximumPageBytes;
    }

    /** Bytes of open generations (footers: index and filter) the cache keeps. */
    public long maximumGenerationBytes() {
        return maximumGenerationBytes;
    }

    /** Bytes of pages the default warmer loads per generation. */
    public long warmPageBudgetBytes() {
        return warmPageBudgetBytes;
    }

    /** Warms that may run at once in the cache's gate. */
    public int maxConcurrentWarms() {
        return maxConcurrentWarms;
    }

    /** How long a warm may take before it is given up (and the generation served cold). */
    public Duration warmDeadline() {
        return warmDeadline;
    }

    /** Threads that run the cache's blocking storage calls. */
    public int ioThreads() {
        return ioThreads;
    }

    /**
     * What an operator does at open when the page-cache bounds of the TaskManager's open tables
     * exceed its task off-heap memory (see {@link MemoryCheck}). Not a property of the shared
     * cache: each operator checks with its own.
     */
    public MemoryCheck memoryCheck() {
        return memoryCheck == null ? DEFAULT_MEMORY_CHECK : memoryCheck; // null: serialized before
    }

    /**
     * Bytes of the local-disk tier under the page cache: copies of blocks of generation files,
     * evicted least-recently-used; 0 (the default) means no disk tier.
     */
    public long diskBytes() {
        return diskBytes;
    }

    /**
     * The directory the disk tier lives under, or {@code null} for the TaskManager's {@code
     * io.tmp.dirs}.
     */
    @Nullable
    public String diskDirectory() {
        return diskDirectory;
    }

    /**
     * Whether these settings build the comparison baseline, a plain cache per operator subtask (see
     * {@link Builder#plainPerSubtask()}).
     */
    @Internal
    public boolean plainPerSubtask() {
        return plain;
    }

    /** Returns a builder of {@code cache} configured with these settings. */
    GenerationCache.Builder configure(GenerationCache.Builder cache) {
        return cache.maximumPageBytes(maximumPageBytes)
                .maximumGenerationBytes(maximumGenerationBytes)
                .warmPageBudgetBytes(warmPageBudgetBytes)
                .maxConcurrentWarms(maxConcurrentWarms)
                .warmDeadline(warmDeadline)
                .singleFlight(!plain)
                .warmOnOpen(!plain);
    }

    /** Whether a cache built with {@code other} is the cache these settings build. */
    boolean buildSameCacheAs(CacheSettings other) {
        return equals(other) || equals(other.withMemoryCheck(memoryCheck));
    }

    private CacheSettings withMemoryCheck(MemoryCheck check) {
        Builder builder = new Builder();
        builder.maximumPageBytes = maximumPageBytes;
        builder.maximumGenerationBytes = maximumGenerationBytes;
        builder.warmPageBudgetBytes = warmPageBudgetBytes;
        builder.maxConcurrentWarms = maxConcurrentWarms;
        builder.warmDeadline = warmDeadline;
        builder.ioThreads = ioThreads;
        builder.plain = plain;
        builder.memoryCheck = check;
        builder.diskBytes = diskBytes;
        builder.diskDirectory = diskDirectory;
        return builder.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheSettings other
                && maximumPageBytes == other.maximumPageBytes
                && maximumGenerationBytes == other.maximumGenerationBytes
                && warmPageBudgetBytes == other.warmPageBudgetBytes
                && maxConcurrentWarms == other.maxConcurrentWarms
                && warmDeadline.equals(other.warmDeadline)
                && ioThreads == other.ioThreads
                && plain == other.plain
                && memoryCheck == other.memoryCheck
                && diskBytes == other.diskBytes
                && Objects.equals(diskDirectory, other.diskDirectory);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                maximumPageBytes,
                maximumGenerationBytes,
                warmPageBudgetBytes,
                maxConcurrentWarms,
                warmDeadline,
                ioThreads,
                plain,
                memoryCheck,
                diskBytes,
                diskDirectory);
    }

    @Override
    public String toString() {
        return "CacheSettings{pages="
                + maximumPageBytes
                + "B, generations="
                + maximumGenerationBytes
                + "B, warmBudget="
                + warmPageBudgetBytes
                + "B, warms="
                + maxConcurrentWarms
                + ", warmDeadline="
                + warmDeadline
                + ", ioThreads="
                + ioThreads
                + ", memoryCheck="
                + memoryCheck
                + (diskBytes > 0
                        ? ", disk="
                                + diskBytes
                                + "B in "
                                + (diskDirectory == null ? "io.tmp.dirs" : diskDirectory)
                        : "")
                + (plain ? ", plain per subtask" : "")
                + "}";
    }

    /** Builds {@link CacheSettings}; each setter validates its option. Not thread-safe. */
    @PublicEvolving
    public static final class Builder {
        private long maximumPageBytes = GenerationCache.DEFAULT_MAXIMUM_PAGE_BYTES;
        private long maximumGenerationBytes = GenerationCache.DEFAULT_MAXIMUM_GENERATION_BYTES;
        private long warmPageBudgetBytes = GenerationCache.DEFAULT_WARM_PAGE_BUDGET_BYTES;
        private int maxConcurrentWarms = GenerationCache.DEFAULT_MAX_CONCURRENT_WARMS;
        private Duration warmDeadline = GenerationCache.DEFAULT_WARM_DEADLINE;
        private int ioThreads = DEFAULT_IO_THREADS;
        private boolean plain;
        private MemoryCheck memoryCheck = DEFAULT_MEMORY_CHECK;
        private long diskBytes;
        @Nullable private String diskDirectory;

        private Builder() {}

        public Builder maximumPageBytes(long bytes) {
            this.maximumPageBytes = positive("maximumPageBytes", bytes);
            return this;
        }

        public Builder maximumGenerationBytes(long bytes) {
            this.maximumGenerationBytes = positive("maximumGenerationBytes", bytes);
            return this;
        }

        public Builder warmPageBudgetBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException(
                        "warmPageBudgetBytes must not be negative, but was " + bytes);
            }
            this.warmPageBudgetBytes = bytes;
            return this;
        }

        public Builder maxConcurrentWarms(int warms) {
            this.maxConcurrentWarms = (int) positive("maxConcurrentWarms", warms);
            return this;
        }

        public Builder warmDeadline(Duration deadline) {
            requireNonNull(deadline, "warmDeadline");
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException(
                        "warmDeadline must be positive, but was " + deadline);
            }
            this.warmDeadline = deadline;
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = (int) positive("ioThreads", threads);
            return this;
        }

        /**
         * What the operator does at open when the page-cache bounds of the tables open in its
         * TaskManager, this one included, exceed the TaskManager's {@code
         * taskmanager.memory.task.off-heap.size}: {@link MemoryCheck#WARN} (default), {@link
         * MemoryCheck#FAIL} or {@link MemoryCheck#OFF}.
         */
        public Builder memoryCheck(MemoryCheck check) {
            this.memoryCheck = requireNonNull(check, "memoryCheck");
            return this;
        }

        /**
         * Bytes of the local-disk tier under the page cache (copies of blocks of generation files,
         * evicted least-recently-used, dropped when their generation retires); 0 (the default)
         * turns it off. Must not be negative.
         */
        public Builder diskBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException(
                        "diskBytes must not be negative, but was " + bytes);
            }
            this.diskBytes = bytes;
            return this;
        }

        /**
         * The local directory the disk tier lives under (in a folder of its own), or {@code null}
         * (the default) for the TaskManager's {@code io.tmp.dirs}.
         */
        public Builder diskDirectory(@Nullable String directory) {
            this.diskDirectory = directory == null || directory.isBlank() ? null : directory;
            return this;
        }

        /**
         * Builds the baseline that benchmarks compare Kiln with, not a setting for jobs: a plain
         * cache per operator subtask (not shared in the TaskManager), without single flight (each
         * lookup reads what it misses itself, even a page another lookup has in flight) and without
         * the warm a lookup fires when it opens a cold generation. Warming before commit and before
         * swap are the sink's and the lookup's own switches.
         */
        @Internal
        public Builder plainPerSubtask() {
            this.plain = true;
            return this;
        }

        public CacheSettings build() {
            return new CacheSettings(this);
        }

        private static long positive(String option, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(option + " must be positive, but was " + value);
            }
            return value;
        }
    }
}
