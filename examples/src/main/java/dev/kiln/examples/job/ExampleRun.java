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

import dev.kiln.flink.lookup.KilnLookup;
import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.flink.source.KilnTableReader;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.CloseableIterator;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;

/**
 * One run of the main example: build the job, run it on an embedded MiniCluster, print progress
 * every few seconds, then a report; check every lookup answer and the final table.
 */
public final class ExampleRun {

    private static final long PROGRESS_MILLIS = 3000;

    /** Lookups of the first seconds (JIT, first opens) are left out of the latency comparison. */
    /**
     * Lookups of the first seconds (JIT, the first versions opened) left out of the percentiles.
     */
    public static final long WARM_UP_MILLIS = 5000;

    /** How long after a new version a lookup counts as "right after a commit". */
    private static final long AFTER_COMMIT_MILLIS = 200;

    private final Flags flags;
    private final Workload workload;
    private final java.nio.file.Path tableDir;
    private final Variant variant;
    private final Path root;
    private final long writes;
    private final Map<Long, Long> commitTimes = new ConcurrentSkipListMap<>();

    /** What a run measures: Kiln as built, or the baseline the end-to-end benchmark compares. */
    public enum Variant {
        /**
         * Warm before commit and before swap, single flight, one cache per table and TaskManager.
         */
        KILN,
        /**
         * No warm before commit or swap and no single flight: a plain cache per lookup subtask
         * ({@link CacheSettings.Builder#plainPerSubtask()}).
         */
        PLAIN
    }

    public ExampleRun(Flags flags) {
        this(flags, flags.table(), Variant.KILN, false);
    }

    /**
     * A run of {@code variant} over table directory {@code table}; with {@code slowStorage} the
     * table is read through {@link SlowFileSystem}.
     */
    public ExampleRun(Flags flags, java.nio.file.Path table, Variant variant, boolean slowStorage) {
        this.flags = flags;
        this.workload = new Workload(flags.keys(), flags.deleteEvery());
        this.tableDir = table;
        this.variant = variant;
        this.root = slowStorage ? SlowFileSystem.of(table) : new Path(table.toUri());
        this.writes = flags.rowsPerSecond() * flags.seconds();
    }

    /** What one run measured, for comparing runs. */
    public record Outcome(
            long startedMillis,
            List<LookupStats.Sample> samples,
            long[] commitMillis,
            long coldReads,
            long storageRequests,
            long lookups,
            long hits,
            CacheFigures cache,
            long[] all,
            long[] afterCommits,
            long[] otherTimes,
            Freshness freshness) {}

    public Outcome run() throws Exception {
        LookupStats.reset();
        InJvmMetrics.reset();
        System.out.printf(
                "Kiln example: %,d writes over %,d keys and %,d lookups in %d s, parallelism %d,"
                        + " a commit every %d ms, table %s%n",
                writes,
                flags.keys(),
                flags.lookupsPerSecond() * flags.seconds(),
                flags.seconds(),
                flags.parallelism(),
                flags.checkpointMillis(),
                root);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(
                        flags.parallelism(), clusterConfig());
        env.enableCheckpointing(flags.checkpointMillis());
        build(env);
        JobClient job = env.executeAsync("kiln-example");
        // Read directly, not through slow storage: the run's own checks are not measured.
        KilnTable table = KilnTable.open(new Path(tableDir.toUri()));
        long started = System.currentTimeMillis();
        long nextProgress = started + PROGRESS_MILLIS;
        while (!job.getJobExecutionResult().isDone()) {
            long version = table.latestVersion();
            commitTimes.putIfAbsent(version, System.currentTimeMillis());
            if (System.currentTimeMillis() >= nextProgress) {
                progress(started, version);
                nextProgress += PROGRESS_MILLIS;
            }
            Thread.sleep(20);
        }
        job.getJobExecutionResult().get();
        commitTimes.putIfAbsent(table.latestVersion(), System.currentTimeMillis());
        long storageRequests = SlowFileSystem.opens();
        // Judged against the table read directly, not through slow storage.
        Freshness freshness =
                Freshness.judge(new Path(tableDir.toUri()), List.copyOf(LookupStats.SAMPLES));
        report(table, started, freshness);
        long warmedUp = started + WARM_UP_MILLIS;
        return new Outcome(
                started,
                List.copyOf(LookupStats.SAMPLES),
                commitTimes.values().stream().mapToLong(Long::longValue).toArray(),
                InJvmMetrics.count("coldReads"),
                storageRequests,
                InJvmMetrics.count("lookups"),
                InJvmMetrics.count("hits"),
                cacheFigures(),
                LookupStats.all(),
                afterCommits(warmedUp, true),
                afterCommits(warmedUp, false),
                freshness);
    }

    private Configuration clusterConfig() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                tableDir.resolveSibling(tableDir.getFileName() + "-checkpoints")
                        .toUri()
                        .toString());
        config.setString(
                "metrics.reporter.injvm.factory.class", InJvmMetrics.Factory.class.getName());
        config.setString("metrics.reporter.injvm.interval", "1 s");
        return config;
    }

    private void build(StreamExecutionEnvironment env) throws Exception {
        Workload w = workload;
        DataStream<Long> seqs =
                env.fromSource(
                                new DataGeneratorSource<>(
                                        seq -> seq,
                                        writes,
                                        RateLimiterStrategy.perSecond(flags.rowsPerSecond()),
                                        Types.LONG),
                                WatermarkStrategy.noWatermarks(),
                                "writes")
                        .uid("writes")
                        // One reader, so that writes arrive in sequence order and the last write of
                        // a key is the one with the highest sequence number.
                        .setParallelism(1);
        KilnSink<Long> sink =
                KilnSink.forType(
                                root,
                                Workload.ROW_TYPE,
                                Workload.PRIMARY_KEY,
                                (Long seq) -> w.row(seq))
                        .bucketCount(flags.buckets())
                        .warming(variant == Variant.KILN)
                        .name("example")
                        .build();
        seqs.sinkTo(sink).uid("kiln-sink").name("kiln sink");

        DataStream<Probe> probes =
                env.fromSource(
                                new DataGeneratorSource<>(
                                        i -> new Probe(w.lookupKey(i)),
                                        flags.lookupsPerSecond() * flags.seconds(),
                                        RateLimiterStrategy.perSecond(flags.lookupsPerSecond()),
                                        TypeInformation.of(Probe.class)),
                                WatermarkStrategy.noWatermarks(),
                                "lookups")
                        .uid("lookups")
                        // Lookups are latency-bound: flush network buffers at once, not every 100
                        // ms.
                        .setBufferTimeout(0);
        AsyncDataStream.unorderedWait(
                        KilnLookup.partitionByBucket(probes, (Probe p) -> p.key, root),
                        KilnLookup.builder(root)
                                .options(lookupOptions())
                                .partitionedByBucket()
                                .keyOf((Probe p) -> p.key)
                                .build(
                                        (probe, row) -> Answer.of(probe, row, w),
                                        TypeInformation.of(Answer.class)),
                        10,
                        TimeUnit.SECONDS,
                        1000)
                .uid("kiln-lookup")
                .name("kiln lookup")
                .map(new RecordAnswers())
                .uid("check-answers")
                .name("check answers")
                .sinkTo(new DiscardingSink<>())
                .uid("answers");
    }

    private LookupOptions lookupOptions() {
        LookupOptions.Builder options =
                LookupOptions.builder().pollInterval(Duration.ofMillis(flags.pollMillis()));
        if (variant == Variant.PLAIN) {
            options.warmBeforeSwap(false)
                    .cacheSettings(CacheSettings.builder().plainPerSubtask().build());
        }
        return options.build();
    }

    /**
     * The lookup caches' counters at the end of a run, over every cache of the run: Kiln's cache is
     * shared by the subtasks (each reports the same figures), the baseline's are one per subtask
     * (their figures add up).
     */
    public record CacheFigures(
            long pageLoads,
            long pageJoins,
            long pagesRead,
            long distinctPagesRead,
            long storageRequests) {

        /** Pages read from storage per distinct page read; 1 when no page was read twice. */
        public double loadsPerDistinctPage() {
            return distinctPagesRead == 0 ? 0 : (double) pagesRead / distinctPagesRead;
        }

        /**
         * Pages read from storage per storage request of the cache; the requests include opens
         * (footer reads), so it is below 1 when generations are small, and higher the more pages
         * one coalesced request carries.
         */
        public double pagesPerRequest() {
            return storageRequests == 0 ? 0 : (double) pagesRead / storageRequests;
        }
    }

    private CacheFigures cacheFigures() {
        java.util.function.ToLongFunction<String> figure =
                variant == Variant.KILN ? InJvmMetrics::maxGauge : InJvmMetrics::sumGauges;
        return new CacheFigures(
                figure.applyAsLong("pageLoads"),
                figure.applyAsLong("pageJoins"),
                figure.applyAsLong("pagesRead"),
                figure.applyAsLong("distinctPagesRead"),
                figure.applyAsLong("storageRequests"));
    }

    private void progress(long started, long version) {
        long[] recent =
                LookupStats.latencies(System.currentTimeMillis() - PROGRESS_MILLIS, Long.MAX_VALUE);
        System.out.printf(
                "  %3d s: %,d rows written, version %d, %,d lookups (%,d wrong), cold reads %d,"
                        + " lookup p99 over the last %d s: %s%n",
                (System.currentTimeMillis() - started) / 1000,
                InJvmMetrics.count("kilnRowsWritten"),
                version,
                LookupStats.answers(),
                LookupStats.wrong(),
                InJvmMetrics.count("coldReads"),
                PROGRESS_MILLIS / 1000,
                recent.length == 0 ? "-" : LookupStats.quantile(recent, 0.99) + " µs");
    }

    private void report(KilnTable table, long started, Freshness freshness) throws Exception {
        Manifest latest = table.latestManifest();
        System.out.println();
        System.out.printf(
                "Done in %.1f s. Report%n", (System.currentTimeMillis() - started) / 1000.0);
        System.out.println("writes");
        System.out.printf(
                "  rows written %,d, generations flushed %,d (%,d bytes), commits %d (latest"
                        + " version %d, %d live generations)%n",
                InJvmMetrics.count("kilnRowsWritten"),
                InJvmMetrics.count("kilnGenerationsWritten"),
                InJvmMetrics.count("kilnBytesFlushed"),
                commitTimes.size() - 1,
                latest.version(),
                latest.generations().size());
        System.out.printf(
                "  compactions committed %,d (%,d bytes rewritten), stale ones dropped %,d%n",
                InJvmMetrics.count("kilnCompactionsCommitted"),
                InJvmMetrics.count("kilnCompactionBytesWritten"),
                InJvmMetrics.count("kilnStaleCompactionsDropped"));
        System.out.printf(
                "  warm before commit: %,d warmed, %,d already warm, %,d failed, %,d timed out;"
                        + " held back %s%n",
                InJvmMetrics.count("kilnWarmsWarmed"),
                InJvmMetrics.count("kilnWarmsAlreadyWarm"),
                InJvmMetrics.count("kilnWarmsFailed"),
                InJvmMetrics.count("kilnWarmsTimedOut"),
                describe(InJvmMetrics.histograms("kilnWarmDurationMs"), "ms"));
        System.out.printf(
                "  commit latency (newest flush to published manifest): %s%n",
                describe(InJvmMetrics.histograms("kilnCommitLatencyMs"), "ms"));
        long lookups = InJvmMetrics.count("lookups");
        long hits = InJvmMetrics.count("hits");
        System.out.println("lookups");
        System.out.printf(
                "  %,d answered (%,d found, %,d absent), %,d wrong%n",
                LookupStats.answers(),
                LookupStats.found(),
                LookupStats.answers() - LookupStats.found(),
                LookupStats.wrong());
        System.out.printf(
                "  answered from cache with no storage read: %,d of %,d (%.2f%%); cold reads %,d;"
                        + " batches %,d; lookups of buckets not owned %,d%n",
                hits,
                lookups,
                lookups == 0 ? 0.0 : 100.0 * hits / lookups,
                InJvmMetrics.count("coldReads"),
                InJvmMetrics.count("batches"),
                InJvmMetrics.count("notOwnedLookups"));
        CacheFigures cache = cacheFigures();
        System.out.println("cache (of the lookups and, in Kiln, the warm step: shared per table)");
        System.out.printf(
                "  page loads %,d, joins of a load in flight %,d%n",
                cache.pageLoads(), cache.pageJoins());
        System.out.printf(
                "  pages read from storage %,d, distinct %,d: %.2f loads per distinct page%n",
                cache.pagesRead(), cache.distinctPagesRead(), cache.loadsPerDistinctPage());
        System.out.printf(
                "  storage requests %,d (opens, footers, pages): %.2f pages read per request"
                        + " (coalescing)%n",
                cache.storageRequests(), cache.pagesPerRequest());
        long warmedUp = started + WARM_UP_MILLIS;
        long[] afterCommits = afterCommits(warmedUp, true);
        long[] steady = afterCommits(warmedUp, false);
        System.out.printf("  latency, all lookups: %s%n", LookupStats.describe(LookupStats.all()));
        System.out.printf(
                "  latency after the first %d s, in the %d ms after each new version: %s%n",
                WARM_UP_MILLIS / 1000, AFTER_COMMIT_MILLIS, LookupStats.describe(afterCommits));
        System.out.printf(
                "  latency after the first %d s, at other times: %s%n",
                WARM_UP_MILLIS / 1000, LookupStats.describe(steady));
        if (steady.length > 0 && afterCommits.length > 0) {
            System.out.printf(
                    "  p99 right after commits / p99 at other times: %.2f%n",
                    (double) LookupStats.quantile(afterCommits, 0.99)
                            / Math.max(1, LookupStats.quantile(steady, 0.99)));
        }
        System.out.printf(
                "  freshness (an answer is stale if it matches only a version older than the one"
                        + " published when the lookup was issued): %s%n",
                freshness.describe());
        long mismatches = verifyTable(latest);
        System.out.println("checks");
        System.out.printf(
                "  every answer was a value written for its key: %s%n",
                LookupStats.wrong() == 0 ? "yes" : "NO: " + LookupStats.FIRST_WRONG);
        System.out.printf(
                "  the table equals the last write of each of %,d keys: %s%n",
                flags.keys() + flags.keys() / 10,
                mismatches == 0 ? "yes" : "NO, " + mismatches + " keys differ");
        if (LookupStats.wrong() > 0 || mismatches > 0) {
            throw new IllegalStateException(
                    "the example found wrong answers: "
                            + LookupStats.wrong()
                            + " lookups, "
                            + mismatches
                            + " keys of the final table");
        }
    }

    /**
     * Latencies of lookups issued after {@code from}: within {@link #AFTER_COMMIT_MILLIS} after a
     * new version appeared if {@code afterCommit}, else outside those windows; sorted.
     */
    private long[] afterCommits(long from, boolean afterCommit) {
        long[] versionTimes = commitTimes.values().stream().mapToLong(Long::longValue).toArray();
        return LookupStats.samples()
                .filter(s -> s.issuedAtMillis() >= from)
                .filter(s -> afterCommit == inWindow(versionTimes, s.issuedAtMillis()))
                .mapToLong(LookupStats.Sample::latencyMicros)
                .sorted()
                .toArray();
    }

    private static boolean inWindow(long[] versionTimes, long at) {
        for (long t : versionTimes) {
            if (at >= t && at < t + AFTER_COMMIT_MILLIS) {
                return true;
            }
        }
        return false;
    }

    /**
     * Compares the final table with the writes, key by key, through {@link KilnTableReader} (which
     * names no Arrow type, so this links against the {@code sql} jar as well).
     */
    private long verifyTable(Manifest latest) throws Exception {
        Map<Long, Long> expected = workload.finalState(writes);
        Map<Long, Long> found = new HashMap<>();
        try (KilnTableReader reader = KilnTableReader.open(new Path(tableDir.toUri()));
                CloseableIterator<RowData> rows = reader.version(latest.version()).scan()) {
            while (rows.hasNext()) {
                RowData row = rows.next();
                found.put(row.getLong(0), row.isNullAt(1) ? null : row.getLong(1));
            }
        }
        long mismatches = 0;
        long probeKeys = flags.keys() + flags.keys() / 10;
        for (long key = 0; key < probeKeys; key++) {
            Long seq = expected.get(key);
            boolean present = found.containsKey(key);
            if (present != (seq != null) || (present && !seq.equals(found.get(key)))) {
                mismatches++;
            }
        }
        // A row the writes never made is a mismatch too.
        mismatches += found.keySet().stream().filter(k -> !expected.containsKey(k)).count();
        return mismatches;
    }

    private static String describe(List<Histogram> histograms, String unit) {
        long count = 0;
        double mean = 0;
        long max = 0;
        double p99 = 0;
        for (Histogram h : histograms) {
            long n = h.getCount();
            if (n == 0 || h.getStatistics().size() == 0) {
                continue;
            }
            mean = (mean * count + h.getStatistics().getMean() * n) / (count + n);
            count += n;
            max = Math.max(max, h.getStatistics().getMax());
            p99 = Math.max(p99, h.getStatistics().getQuantile(0.99));
        }
        return count == 0
                ? "none"
                : String.format(
                        "mean %.1f %s, p99 %.0f %s, max %d %s", mean, unit, p99, unit, max, unit);
    }
}
