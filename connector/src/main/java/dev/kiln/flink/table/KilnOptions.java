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

package dev.kiln.flink.table;

import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.MemoryCheck;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.flink.source.OnVersionExpired;
import dev.kiln.flink.source.StartingPosition;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.PageCompression;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every option of the {@code 'kiln'} SQL connector, with its type, default and description. The
 * defaults are those of the Java builders ({@link KilnSink.Builder}, {@link CacheSettings}, {@link
 * GenerationWriter}, {@link LookupOptions}), read from their constants so that SQL and DataStream
 * users get the same table. {@code docs/sql.md} lists them (a test checks that it lists each with
 * its default).
 *
 * <p>Stateless; the options are immutable constants.
 */
@PublicEvolving
public final class KilnOptions {

    private KilnOptions() {}

    /** The table's root directory on any Flink file system. Required. */
    public static final ConfigOption<String> PATH =
            ConfigOptions.key("path")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Root directory of the Kiln table on any Flink file system"
                                    + " (file://, s3://, hdfs://, ...).");

    /**
     * The table's bucket count: used when the sink creates the table; must match an existing
     * table's when set.
     */
    public static final ConfigOption<Integer> BUCKET =
            ConfigOptions.key("bucket")
                    .intType()
                    .defaultValue(KilnSink.DEFAULT_BUCKET_COUNT)
                    .withDescription(
                            "Number of buckets (hash of the primary key modulo this), fixed when"
                                    + " the table is created; from 1 to "
                                    + TableOptions.MAX_BUCKET_COUNT
                                    + ". When set, an existing table must"
                                    + " have this many; when not set, an existing table's count"
                                    + " is used.");

    /** Parallelism of the sink's writers and warm step (Flink's {@code sink.parallelism}). */
    public static final ConfigOption<Integer> SINK_PARALLELISM = FactoryUtil.SINK_PARALLELISM;

    /** Memtable size bound per bucket of the sink. */
    public static final ConfigOption<MemorySize> SINK_MEMTABLE_SIZE =
            ConfigOptions.key("sink.memtable-size")
                    .memoryType()
                    .defaultValue(new MemorySize(KilnSink.DEFAULT_MEMTABLE_BYTES))
                    .withDescription(
                            "A bucket's memtable past this size is flushed to a generation at"
                                    + " once, between checkpoints.");

    /** Compaction in the sink's writers on or off. */
    public static final ConfigOption<Boolean> SINK_COMPACTION_ENABLED =
            ConfigOptions.key("sink.compaction.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Each writer compacts the buckets it writes in the background; the"
                                    + " outputs are warmed before the commit that retires their"
                                    + " inputs.");

    /** The compaction policy's bound on a bucket's live generations. */
    public static final ConfigOption<Integer> SINK_COMPACTION_MAX_GENERATIONS =
            ConfigOptions.key("sink.compaction.max-generations")
                    .intType()
                    .defaultValue(CompactionPolicy.DEFAULT_MAX_GENERATIONS)
                    .withDescription(
                            "Live generations a bucket may hold after compaction; at least 1.");

    /** The compaction policy's tier factor. */
    public static final ConfigOption<Integer> SINK_COMPACTION_TIER_FACTOR =
            ConfigOptions.key("sink.compaction.tier-factor")
                    .intType()
                    .defaultValue(CompactionPolicy.DEFAULT_TIER_FACTOR)
                    .withDescription(
                            "Generations of one size tier that merge into one, and the size"
                                    + " factor between tiers; at least 2.");

    /** Expiry: the newest versions kept whatever their age. */
    public static final ConfigOption<Integer> SINK_EXPIRE_KEEP_LAST =
            ConfigOptions.key("sink.expire.keep-last")
                    .intType()
                    .noDefaultValue()
                    .withDescription(
                            "After each commit, remove the versions that are neither among the"
                                    + " newest this many nor younger than"
                                    + " 'sink.expire.keep-for'; at least 1. Not set (and"
                                    + " 'sink.expire.keep-for' not set): versions never expire;"
                                    + " not set while 'sink.expire.keep-for' is: 1.");

    /** Expiry: how long a version is kept whatever the count. */
    public static final ConfigOption<Duration> SINK_EXPIRE_KEEP_FOR =
            ConfigOptions.key("sink.expire.keep-for")
                    .durationType()
                    .noDefaultValue()
                    .withDescription(
                            "After each commit, remove the versions older than this that are not"
                                    + " among the newest 'sink.expire.keep-last' (Flink's"
                                    + " durations are never negative)."
                                    + " Not set while 'sink.expire.keep-last' is: 0.");

    /** Orphan cleanup by the sink's committer: the grace period. */
    public static final ConfigOption<Duration> SINK_ORPHANS_OLDER_THAN =
            ConfigOptions.key("sink.orphans.older-than")
                    .durationType()
                    .noDefaultValue()
                    .withDescription(
                            "After a commit, at most once per this period, delete the files no"
                                    + " retained version names that are older than this (at least"
                                    + " 1 min); it must exceed the longest time between a flush"
                                    + " and its commit, downtime before a restore included. Not"
                                    + " set: orphans stay until CompactAction"
                                    + " --orphans-older-than removes them.");

    /** Target page size of the generations the sink writes. */
    public static final ConfigOption<MemorySize> WRITE_PAGE_SIZE =
            ConfigOptions.key("write.page-size")
                    .memoryType()
                    .defaultValue(new MemorySize(GenerationWriter.DEFAULT_TARGET_PAGE_BYTES))
                    .withDescription(
                            "Target size of a page (the unit of I/O and caching) of the"
                                    + " generations the sink writes; a new table records it as"
                                    + " its own.");

    /** What 'write.page-size' counts. */
    public static final ConfigOption<String> WRITE_PAGE_SIZE_BASIS =
            ConfigOptions.key("write.page-size.basis")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "What 'write.page-size' counts: decoded (the page's Arrow buffers, as"
                                    + " a cache holds them) or stored (the page's compressed bytes"
                                    + " on storage: a compressed page holds more rows, and takes"
                                    + " up to 4x the page size decoded). Not set: the table's"
                                    + " (decoded for a new table); a new table records it.");

    /**
     * Returns what the options set 'write.page-size' to count, or null if they set nothing.
     *
     * @throws ValidationException naming the option if the value is neither decoded nor stored
     */
    static TableOptions.PageSizeBasis pageSizeBasis(ReadableConfig config) {
        String value = config.getOptional(WRITE_PAGE_SIZE_BASIS).orElse(null);
        if (value == null) {
            return null;
        }
        try {
            return TableOptions.PageSizeBasis.parse("'" + WRITE_PAGE_SIZE_BASIS.key() + "'", value);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(
                    "Invalid value for an option of the 'kiln' connector: " + e.getMessage(), e);
        }
    }

    /** Key filter false-positive rate of the generations the sink writes. */
    public static final ConfigOption<Double> WRITE_FILTER_FPP =
            ConfigOptions.key("write.filter-fpp")
                    .doubleType()
                    .defaultValue(GenerationWriter.DEFAULT_FILTER_FALSE_POSITIVE_RATE)
                    .withDescription(
                            "False-positive rate of the key filter of the generations the sink"
                                    + " writes, in (0, 1).");

    /** Key filter false-positive rate of bottommost compaction outputs, recorded by a new table. */
    public static final ConfigOption<Double> WRITE_FILTER_FPP_BOTTOMMOST =
            ConfigOptions.key("write.filter-fpp.bottommost")
                    .doubleType()
                    .noDefaultValue()
                    .withDescription(
                            "False-positive rate, in (0, 1), of the key filter of the generations"
                                    + " compaction writes from a run that starts at the bucket's"
                                    + " oldest generation (most of the table's rows, probed only"
                                    + " for keys every newer generation's filter let through); a"
                                    + " new table records it, an existing table's must match. A"
                                    + " higher rate takes filter bytes off (0.9: about 0.03 B per"
                                    + " row instead of 1.2 at 0.01) for a page read with that"
                                    + " probability per lookup of a key absent from the whole"
                                    + " table when the page is not cached. Not set: the table's"
                                    + " (for a new table, 'write.filter-fpp').");

    /** Page compression of the generations the sink writes. */
    public static final ConfigOption<String> WRITE_COMPRESSION =
            ConfigOptions.key("write.compression")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Compression of the page buffers of the generations the sink writes:"
                                    + " none, lz4-frame or zstd (Arrow IPC buffer compression,"
                                    + " which every Arrow reader decodes). Not set: the table's"
                                    + " (zstd for a new table); a new table records it as its"
                                    + " own. Readers decode every codec, so it may change"
                                    + " between jobs.");

    /** ZSTD level of the generations the sink writes. */
    public static final ConfigOption<Integer> WRITE_COMPRESSION_LEVEL =
            ConfigOptions.key("write.compression.level")
                    .intType()
                    .noDefaultValue()
                    .withDescription(
                            "ZSTD level, 1 (fastest) to 22 (smallest), when"
                                    + " 'write.compression' is zstd; not set: 3.");

    /** ZSTD level of the generations compaction writes, recorded by a new table. */
    public static final ConfigOption<Integer> WRITE_COMPRESSION_COMPACTION_LEVEL =
            ConfigOptions.key("write.compression.compaction-level")
                    .intType()
                    .noDefaultValue()
                    .withDescription(
                            "ZSTD level, 1 to 22, of the generations compaction writes (cold rows,"
                                    + " rewritten anyway, may take a slower, smaller level); a new"
                                    + " table records it, an existing table's must match. Needs"
                                    + " zstd compression. Not set: the table's (for a new table,"
                                    + " compaction writes the table's compression).");

    /**
     * Returns the compaction level the options set, or null if they set none.
     *
     * @throws ValidationException naming the option if out of range or the codec is not zstd
     */
    static Integer compactionLevel(ReadableConfig config) {
        Integer level = config.getOptional(WRITE_COMPRESSION_COMPACTION_LEVEL).orElse(null);
        if (level == null) {
            return null;
        }
        PageCompression compression = compression(config);
        if (compression != null && compression.codec() != PageCompression.Codec.ZSTD) {
            throw invalid(
                    WRITE_COMPRESSION_COMPACTION_LEVEL,
                    level,
                    "needs 'write.compression' = 'zstd'");
        }
        if (level < PageCompression.MIN_ZSTD_LEVEL || level > PageCompression.MAX_ZSTD_LEVEL) {
            throw invalid(WRITE_COMPRESSION_COMPACTION_LEVEL, level, "must be in [1, 22]");
        }
        return level;
    }

    /**
     * Returns the compression the options set, or null if they set none.
     *
     * @throws ValidationException naming the option if the codec or level is invalid
     */
    static PageCompression compression(ReadableConfig config) {
        Optional<String> codec = config.getOptional(WRITE_COMPRESSION);
        Integer level = config.getOptional(WRITE_COMPRESSION_LEVEL).orElse(null);
        if (codec.isEmpty()) {
            if (level != null) {
                throw invalid(WRITE_COMPRESSION_LEVEL, level, "needs 'write.compression' = 'zstd'");
            }
            return null;
        }
        try {
            return PageCompression.parse(
                    "'" + WRITE_COMPRESSION.key() + "'",
                    codec.get(),
                    "'" + WRITE_COMPRESSION_LEVEL.key() + "'",
                    level);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(
                    "Invalid value for an option of the 'kiln' connector: " + e.getMessage(), e);
        }
    }

    /** Warm before commit on or off. */
    public static final ConfigOption<Boolean> WARM_ENABLED =
            ConfigOptions.key("warm.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Warm each new generation in the TaskManager's shared cache before"
                                    + " the commit that publishes it.");

    /** Longest a warm may hold a generation back. */
    public static final ConfigOption<Duration> WARM_DEADLINE =
            ConfigOptions.key("warm.deadline")
                    .durationType()
                    .defaultValue(GenerationCache.DEFAULT_WARM_DEADLINE)
                    .withDescription(
                            "Longest a generation is held back by its warm; past it the"
                                    + " generation is committed (or served) cold.");

    /** Warms running at once in the shared cache. */
    public static final ConfigOption<Integer> WARM_CONCURRENCY =
            ConfigOptions.key("warm.concurrency")
                    .intType()
                    .defaultValue(GenerationCache.DEFAULT_MAX_CONCURRENT_WARMS)
                    .withDescription("Warms that run at once in the TaskManager's shared cache.");

    /** Bytes of pages a warm loads per generation. */
    public static final ConfigOption<MemorySize> WARM_PAGE_BUDGET =
            ConfigOptions.key("warm.page-budget")
                    .memoryType()
                    .defaultValue(new MemorySize(GenerationCache.DEFAULT_WARM_PAGE_BUDGET_BYTES))
                    .withDescription(
                            "Bytes of pages a warm loads per generation (0: open the generation"
                                    + " and load its index and filter only).");

    /** Byte bound of decoded pages in the shared cache. */
    public static final ConfigOption<MemorySize> CACHE_PAGE_BYTES =
            ConfigOptions.key("cache.page-bytes")
                    .memoryType()
                    .defaultValue(new MemorySize(GenerationCache.DEFAULT_MAXIMUM_PAGE_BYTES))
                    .withDescription(
                            "Bytes of decoded pages the TaskManager's shared cache of the table"
                                    + " holds (Arrow memory, off heap).");

    /** Byte bound of open generations (index and filter) in the shared cache. */
    public static final ConfigOption<MemorySize> CACHE_GENERATION_BYTES =
            ConfigOptions.key("cache.generation-bytes")
                    .memoryType()
                    .defaultValue(new MemorySize(GenerationCache.DEFAULT_MAXIMUM_GENERATION_BYTES))
                    .withDescription(
                            "Bytes of open generations (key index and key filter) the shared"
                                    + " cache holds.");

    /** I/O threads of the shared cache. */
    public static final ConfigOption<Integer> CACHE_IO_THREADS =
            ConfigOptions.key("cache.io-threads")
                    .intType()
                    .defaultValue(CacheSettings.DEFAULT_IO_THREADS)
                    .withDescription(
                            "Threads that run the shared cache's blocking storage requests.");

    /**
     * What an operator does when the TaskManager's cache bounds exceed its task off-heap memory.
     */
    public static final ConfigOption<MemoryCheck> CACHE_MEMORY_CHECK =
            ConfigOptions.key(CacheSettings.MEMORY_CHECK_OPTION)
                    .enumType(MemoryCheck.class)
                    .defaultValue(CacheSettings.DEFAULT_MEMORY_CHECK)
                    .withDescription(
                            "At an operator's open, when the cache.page-bytes of the tables open"
                                    + " in its TaskManager (this one included) add up to more than"
                                    + " taskmanager.memory.task.off-heap.size: WARN logs it, FAIL"
                                    + " fails the job, OFF checks nothing.");

    /** Byte bound of the local-disk tier under the shared cache; 0 turns it off. */
    public static final ConfigOption<MemorySize> CACHE_DISK_BYTES =
            ConfigOptions.key("cache.disk.bytes")
                    .memoryType()
                    .defaultValue(MemorySize.ZERO)
                    .withDescription(
                            "Bytes of the local-disk tier under the shared cache: copies of"
                                    + " blocks of generation files, evicted least-recently-used"
                                    + " (0: no disk tier).");

    /** Directory of the local-disk tier; the TaskManager's io.tmp.dirs if unset. */
    public static final ConfigOption<String> CACHE_DISK_DIR =
            ConfigOptions.key("cache.disk.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Local directory the disk tier lives under, in a folder of its own"
                                    + " (default: one of the TaskManager's io.tmp.dirs).");

    /** Lookup joins: asynchronous (the default) or synchronous lookup function. */
    public static final ConfigOption<Boolean> LOOKUP_ASYNC =
            ConfigOptions.key("lookup.async")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Serve lookup joins with an asynchronous lookup function (micro-batched"
                                    + " lookups in flight); false for a synchronous one.");

    /** How often a lookup subtask reads the table's latest version. */
    public static final ConfigOption<Duration> LOOKUP_POLL_INTERVAL =
            ConfigOptions.key(LookupOptions.POLL_INTERVAL)
                    .durationType()
                    .defaultValue(LookupOptions.defaults().pollInterval())
                    .withDescription(
                            "How often each lookup subtask reads the table's latest version; a new"
                                    + " version is warmed, then swapped in.");

    /** Warm a new version before lookups see it. */
    public static final ConfigOption<Boolean> LOOKUP_WARM_BEFORE_SWAP =
            ConfigOptions.key(LookupOptions.WARM_BEFORE_SWAP)
                    .booleanType()
                    .defaultValue(LookupOptions.defaults().warmBeforeSwap())
                    .withDescription(
                            "Warm a new version's generations (of the buckets the subtask serves)"
                                    + " before lookups see it.");

    /** How long a swap waits for its warms. */
    public static final ConfigOption<Duration> LOOKUP_WARM_DEADLINE =
            ConfigOptions.key(LookupOptions.WARM_DEADLINE)
                    .durationType()
                    .defaultValue(LookupOptions.defaults().warmDeadline())
                    .withDescription(
                            "How long a lookup subtask waits for a new version's warms before it"
                                    + " swaps anyway (what is not warm yet is then served cold).");

    /** Most lookups per micro-batch. */
    public static final ConfigOption<Integer> LOOKUP_BATCH_MAX_SIZE =
            ConfigOptions.key(LookupOptions.BATCH_MAX_SIZE)
                    .intType()
                    .defaultValue(LookupOptions.defaults().batchMaxSize())
                    .withDescription("Most lookups answered by one micro-batch.");

    /** How long a first queued lookup waits for others. */
    public static final ConfigOption<Duration> LOOKUP_BATCH_WINDOW =
            ConfigOptions.key(LookupOptions.BATCH_WINDOW)
                    .durationType()
                    .defaultValue(LookupOptions.defaults().batchWindow())
                    .withDescription(
                            "How long the first queued lookup waits for others to join its batch;"
                                    + " 0 batches what queued meanwhile, with no timer.");

    /** What a scan reads: a bounded snapshot (default) or a changelog that follows the table. */
    public static final ConfigOption<ScanMode> SCAN_MODE =
            ConfigOptions.key("scan.mode")
                    .enumType(ScanMode.class)
                    .defaultValue(ScanMode.SNAPSHOT)
                    .withDescription(
                            "snapshot: a bounded scan of the latest version (insert-only);"
                                    + " latest-full: its full snapshot, then every later change;"
                                    + " latest: only later changes; from-version: the changes of"
                                    + " scan.version and later; from-timestamp: of the versions"
                                    + " published at or after scan.timestamp-millis. All but"
                                    + " snapshot read an upsert changelog.");

    /** The first version whose changes {@code from-version} reads. */
    public static final ConfigOption<Long> SCAN_VERSION =
            ConfigOptions.key("scan.version")
                    .longType()
                    .noDefaultValue()
                    .withDescription(
                            "With scan.mode = from-version: the first version whose changes are"
                                    + " read (≥ 0).");

    /** The time from which {@code from-timestamp} reads. */
    public static final ConfigOption<Long> SCAN_TIMESTAMP_MILLIS =
            ConfigOptions.key("scan.timestamp-millis")
                    .longType()
                    .noDefaultValue()
                    .withDescription(
                            "With scan.mode = from-timestamp: read the changes of the versions"
                                    + " published at or after this time (epoch milliseconds).");

    /** Stop a changelog scan at the version latest when the job starts. */
    public static final ConfigOption<Boolean> SCAN_BOUNDED =
            ConfigOptions.key("scan.bounded")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Make a changelog scan bounded: it ends at the version latest when the"
                                    + " job first starts.");

    /** How often a changelog scan looks for a new version. */
    public static final ConfigOption<Duration> SCAN_POLL_INTERVAL =
            ConfigOptions.key("scan.poll-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(1))
                    .withDescription("How often a changelog scan looks for a new version.");

    /** What a changelog scan does when the next version it must read has expired. */
    public static final ConfigOption<OnVersionExpired> SCAN_ON_VERSION_EXPIRED =
            ConfigOptions.key("scan.on-version-expired")
                    .enumType(OnVersionExpired.class)
                    .defaultValue(OnVersionExpired.FAIL)
                    .withDescription(
                            "When a version a changelog scan must read has expired (before or"
                                    + " while it reads it): FAIL"
                                    + " fails with VersionExpiredException naming it;"
                                    + " REREAD_LATEST reads the bucket's latest full snapshot"
                                    + " again (keys deleted meanwhile are not deleted downstream)"
                                    + " and counts it in the expiredRereads metric.");

    /** The options that need no value (the factory's {@code optionalOptions}), in docs order. */
    static List<ConfigOption<?>> optional() {
        return List.of(
                BUCKET,
                SINK_PARALLELISM,
                SINK_MEMTABLE_SIZE,
                SINK_COMPACTION_ENABLED,
                SINK_COMPACTION_MAX_GENERATIONS,
                SINK_COMPACTION_TIER_FACTOR,
                SINK_EXPIRE_KEEP_LAST,
                SINK_EXPIRE_KEEP_FOR,
                SINK_ORPHANS_OLDER_THAN,
                WRITE_PAGE_SIZE,
                WRITE_PAGE_SIZE_BASIS,
                WRITE_FILTER_FPP,
                WRITE_FILTER_FPP_BOTTOMMOST,
                WRITE_COMPRESSION,
                WRITE_COMPRESSION_LEVEL,
                WRITE_COMPRESSION_COMPACTION_LEVEL,
                WARM_ENABLED,
                WARM_DEADLINE,
                WARM_CONCURRENCY,
                WARM_PAGE_BUDGET,
                CACHE_PAGE_BYTES,
                CACHE_GENERATION_BYTES,
                CACHE_IO_THREADS,
                CACHE_MEMORY_CHECK,
                CACHE_DISK_BYTES,
                CACHE_DISK_DIR,
                LOOKUP_ASYNC,
                LOOKUP_POLL_INTERVAL,
                LOOKUP_WARM_BEFORE_SWAP,
                LOOKUP_WARM_DEADLINE,
                LOOKUP_BATCH_MAX_SIZE,
                LOOKUP_BATCH_WINDOW,
                SCAN_MODE,
                SCAN_VERSION,
                SCAN_TIMESTAMP_MILLIS,
                SCAN_BOUNDED,
                SCAN_POLL_INTERVAL,
                SCAN_ON_VERSION_EXPIRED);
    }

    /** Every option, required first, in the order {@code docs/sql.md} lists them. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> all = new java.util.ArrayList<>();
        all.add(PATH);
        all.addAll(optional());
        return List.copyOf(all);
    }

    /** Returns how {@code docs/sql.md} shows the default of {@code option}. */
    static String defaultText(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return "(none)";
        }
        Object value = option.defaultValue();
        if (value instanceof Duration duration) {
            return TimeUtils.formatWithHighestUnit(duration);
        }
        return value.toString();
    }

    /**
     * Checks the values the types alone do not (ranges); Flink's {@code FactoryUtil} has checked
     * names and types already.
     *
     * @throws ValidationException naming the option and its value
     */
    static void validate(ReadableConfig config) {
        positive(config, BUCKET);
        if (config.get(BUCKET) > TableOptions.MAX_BUCKET_COUNT) {
            throw invalid(
                    BUCKET, config.get(BUCKET), "must be at most " + TableOptions.MAX_BUCKET_COUNT);
        }
        config.getOptional(SINK_PARALLELISM).ifPresent(p -> positive(SINK_PARALLELISM, p));
        positive(SINK_MEMTABLE_SIZE, config.get(SINK_MEMTABLE_SIZE).getBytes());
        atLeast(config, SINK_COMPACTION_MAX_GENERATIONS, 1);
        atLeast(config, SINK_COMPACTION_TIER_FACTOR, 2);
        config.getOptional(SINK_EXPIRE_KEEP_LAST)
                .ifPresent(
                        keep -> {
                            if (keep < 1) {
                                throw invalid(SINK_EXPIRE_KEEP_LAST, keep, "must be at least 1");
                            }
                        });
        config.getOptional(SINK_ORPHANS_OLDER_THAN)
                .ifPresent(
                        grace -> {
                            if (grace.compareTo(KilnSink.MIN_ORPHAN_GRACE_PERIOD) < 0) {
                                throw invalid(
                                        SINK_ORPHANS_OLDER_THAN, grace, "must be at least 1 min");
                            }
                        });
        positive(WRITE_PAGE_SIZE, config.get(WRITE_PAGE_SIZE).getBytes());
        double fpp = config.get(WRITE_FILTER_FPP);
        if (!(fpp > 0 && fpp < 1)) {
            throw invalid(WRITE_FILTER_FPP, fpp, "must be in (0, 1)");
        }
        config.getOptional(WRITE_FILTER_FPP_BOTTOMMOST)
                .ifPresent(
                        rate -> {
                            if (!(rate > 0 && rate < 1)) {
                                throw invalid(
                                        WRITE_FILTER_FPP_BOTTOMMOST, rate, "must be in (0, 1)");
                            }
                        });
        compression(config);
        pageSizeBasis(config);
        compactionLevel(config);
        positive(config, WARM_DEADLINE);
        positive(config, LOOKUP_POLL_INTERVAL);
        positive(config, LOOKUP_WARM_DEADLINE);
        positive(config, LOOKUP_BATCH_MAX_SIZE);
        Duration window = config.get(LOOKUP_BATCH_WINDOW);
        if (window.isNegative()) {
            throw invalid(LOOKUP_BATCH_WINDOW, window, "must not be negative");
        }
        positive(config, WARM_CONCURRENCY);
        positive(CACHE_PAGE_BYTES, config.get(CACHE_PAGE_BYTES).getBytes());
        positive(CACHE_GENERATION_BYTES, config.get(CACHE_GENERATION_BYTES).getBytes());
        positive(config, CACHE_IO_THREADS);
        positive(config, SCAN_POLL_INTERVAL);
        ScanMode mode = config.get(SCAN_MODE);
        if (mode == ScanMode.FROM_VERSION) {
            long version =
                    config.getOptional(SCAN_VERSION)
                            .orElseThrow(
                                    () ->
                                            invalid(
                                                    SCAN_VERSION,
                                                    "(none)",
                                                    "must be set when 'scan.mode' ="
                                                            + " 'from-version'"));
            if (version < 0) {
                throw invalid(SCAN_VERSION, version, "must not be negative");
            }
        }
        if (mode == ScanMode.FROM_TIMESTAMP
                && config.getOptional(SCAN_TIMESTAMP_MILLIS).isEmpty()) {
            throw invalid(
                    SCAN_TIMESTAMP_MILLIS,
                    "(none)",
                    "must be set when 'scan.mode' = 'from-timestamp'");
        }
    }

    /** Returns where a changelog scan starts, by {@code 'scan.mode'} (not {@code snapshot}). */
    static StartingPosition startingPosition(ReadableConfig config) {
        switch (config.get(SCAN_MODE)) {
            case LATEST:
                return StartingPosition.latest();
            case FROM_VERSION:
                return StartingPosition.fromVersion(config.get(SCAN_VERSION));
            case FROM_TIMESTAMP:
                return StartingPosition.fromTimestamp(config.get(SCAN_TIMESTAMP_MILLIS));
            default:
                return StartingPosition.fullThenFollow();
        }
    }

    /** Returns the shared cache's settings the options describe. */
    static CacheSettings cacheSettings(ReadableConfig config) {
        return CacheSettings.builder()
                .maximumPageBytes(config.get(CACHE_PAGE_BYTES).getBytes())
                .maximumGenerationBytes(config.get(CACHE_GENERATION_BYTES).getBytes())
                .warmPageBudgetBytes(config.get(WARM_PAGE_BUDGET).getBytes())
                .maxConcurrentWarms(config.get(WARM_CONCURRENCY))
                .warmDeadline(config.get(WARM_DEADLINE))
                .ioThreads(config.get(CACHE_IO_THREADS))
                .memoryCheck(config.get(CACHE_MEMORY_CHECK))
                .diskBytes(config.get(CACHE_DISK_BYTES).getBytes())
                .diskDirectory(config.getOptional(CACHE_DISK_DIR).orElse(null))
                .build();
    }

    /** Returns the lookup functions' options the options describe. */
    static LookupOptions lookupOptions(ReadableConfig config) {
        return LookupOptions.builder()
                .pollInterval(config.get(LOOKUP_POLL_INTERVAL))
                .warmBeforeSwap(config.get(LOOKUP_WARM_BEFORE_SWAP))
                .warmDeadline(config.get(LOOKUP_WARM_DEADLINE))
                .batchMaxSize(config.get(LOOKUP_BATCH_MAX_SIZE))
                .batchWindow(config.get(LOOKUP_BATCH_WINDOW))
                .cacheSettings(cacheSettings(config))
                .build();
    }

    /**
     * Sets the sink's compaction, expiry and orphan cleanup options on {@code builder}: compaction
     * as configured, expiry only if {@link #SINK_EXPIRE_KEEP_LAST} or {@link #SINK_EXPIRE_KEEP_FOR}
     * is set, orphan cleanup only if {@link #SINK_ORPHANS_OLDER_THAN} is.
     */
    static void compactionAndExpiry(ReadableConfig config, KilnSink.Builder<?> builder) {
        builder.compaction(config.get(SINK_COMPACTION_ENABLED))
                .compactionMaxGenerations(config.get(SINK_COMPACTION_MAX_GENERATIONS))
                .compactionTierFactor(config.get(SINK_COMPACTION_TIER_FACTOR));
        Optional<Integer> keepLast = config.getOptional(SINK_EXPIRE_KEEP_LAST);
        Optional<Duration> keepFor = config.getOptional(SINK_EXPIRE_KEEP_FOR);
        if (keepLast.isPresent() || keepFor.isPresent()) {
            builder.expireVersions(keepLast.orElse(1), keepFor.orElse(Duration.ZERO));
        }
        config.getOptional(SINK_ORPHANS_OLDER_THAN).ifPresent(builder::removeOrphans);
    }

    private static void atLeast(ReadableConfig config, ConfigOption<Integer> option, int least) {
        int value = config.get(option);
        if (value < least) {
            throw invalid(option, value, "must be at least " + least);
        }
    }

    private static void positive(ReadableConfig config, ConfigOption<?> option) {
        Object value = config.get(option);
        if (value instanceof Duration duration) {
            if (duration.isNegative() || duration.isZero()) {
                throw invalid(
                        option, TimeUtils.formatWithHighestUnit(duration), "must be positive");
            }
        } else {
            positive(option, ((Number) value).longValue());
        }
    }

    private static void positive(ConfigOption<?> option, long value) {
        if (value <= 0) {
            throw invalid(option, value, "must be positive");
        }
    }

    static ValidationException invalid(ConfigOption<?> option, Object value, String rule) {
        return new ValidationException(
                String.format(
                        "Invalid value for option '%s' of the 'kiln' connector: %s, but was %s.",
                        option.key(), rule, value));
    }
}
