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

package dev.kiln.examples;

import dev.kiln.examples.job.Workload;
import dev.kiln.flink.lookup.KilnLookup;
import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.MemoryCheck;
import dev.kiln.flink.sink.KilnSink;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.ParameterTool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The main example as a job for a Flink cluster ({@code flink run -d -p 2 kiln-examples-*-job.jar
 * --table file:///tmp/kiln-table}): one stream upserts and deletes rows of a Kiln table with {@code
 * KilnSink} (a commit per checkpoint), another looks keys up in it through {@code KilnLookup}
 * (bucket-partitioned, async), and an operator after the lookup decides in the TaskManagers whether
 * each answer is right. Nothing runs in the client after submission; the job ends by itself, with a
 * final commit, when its sources end.
 *
 * <p>Contract, for the tests that drive it from outside:
 *
 * <ul>
 *   <li>Input: write {@code i} for {@code i} in {@code [0, records)} touches key {@link
 *       Workload#keyOf} of {@code i}, deletes it if {@link Workload#isDelete}, else upserts the row
 *       {@code (id, seq = i, v = "v" + i)}. Its source is a {@code DataGeneratorSource} (a FLIP-27
 *       source whose position is in every checkpoint and savepoint) at parallelism 1, so the writes
 *       of a key reach the sink in order; the table after the job ends is therefore {@link
 *       #expectedTable} whatever stops, savepoints, rescales and failovers happened in between.
 *   <li>Checks: an answer is right if it is absent, or a row that a write of that key below {@code
 *       records} put there (not a delete), so a value the key held at some version. The checker's
 *       counters {@value #ANSWERS}, {@value #WRONG_ANSWERS}, {@value #ABSENT_ANSWERS} are metrics
 *       of the operator {@value #CHECK_UID} and accumulators of the job (the web UI's and REST
 *       API's {@code /jobs/<id>/accumulators}); {@value #WRITES} counts the writes emitted.
 *   <li>Uids, stable so that savepoints restore at another parallelism: {@value #WRITES_UID},
 *       {@value #COUNT_WRITES_UID}, {@value #SINK_UID}, {@value #LOOKUPS_UID}, {@value
 *       #LOOKUP_UID}, {@value #CHECK_UID}, {@value #ANSWERS_SINK_UID}.
 *   <li>Configuration: parallelism from {@code -p} (or the cluster's default), state backend and
 *       checkpoint storage from the cluster's configuration; the checkpoint (commit) interval from
 *       {@code --checkpoint-ms}, else the cluster's, else 1 s. {@code --help} lists the flags.
 * </ul>
 */
public final class KilnClusterJob {

    /** Metric and accumulator: lookup answers checked. */
    public static final String ANSWERS = "exampleAnswers";

    /** Metric and accumulator: answers no write of the key could have made. */
    public static final String WRONG_ANSWERS = "exampleWrongAnswers";

    /** Metric and accumulator: answers that found no row (key never written, or deleted). */
    public static final String ABSENT_ANSWERS = "exampleAbsentAnswers";

    /** Metric and accumulator: writes emitted towards the sink by this run. */
    public static final String WRITES = "exampleWrites";

    public static final String WRITES_UID = "writes";
    public static final String COUNT_WRITES_UID = "count-writes";
    public static final String SINK_UID = "kiln-sink";
    public static final String LOOKUPS_UID = "lookups";
    public static final String LOOKUP_UID = "kiln-lookup";
    public static final String CHECK_UID = "check-answers";
    public static final String ANSWERS_SINK_UID = "answers";

    private KilnClusterJob() {}

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println();
            System.err.println(Settings.usage());
            System.exit(2);
            return;
        }
        if (settings.help()) {
            System.out.println(Settings.usage());
            return;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.getConfig().setGlobalJobParameters(ParameterTool.fromArgs(args));
        build(env, settings);
        JobExecutionResult result = env.execute(settings.jobName());
        if (result.isJobExecutionResult()) { // attached (flink run without -d): report and judge
            long answers = count(result, ANSWERS);
            long wrong = count(result, WRONG_ANSWERS);
            System.out.printf(
                    "%,d writes, %,d lookup answers (%,d absent), %,d wrong%n",
                    count(result, WRITES), answers, count(result, ABSENT_ANSWERS), wrong);
            if (wrong > 0) {
                throw new IllegalStateException(wrong + " lookup answers were wrong");
            }
        }
    }

    private static long count(JobExecutionResult result, String accumulator) {
        Long value = result.getAccumulatorResult(accumulator);
        return value == null ? 0 : value;
    }

    /**
     * Adds the job's pipeline to {@code env} (creating the table, or checking the one there, on the
     * way); the caller executes it. Enables checkpointing every {@link Settings#checkpointMillis}
     * if set, else every second if {@code env} has no interval configured.
     */
    public static void build(StreamExecutionEnvironment env, Settings settings) throws Exception {
        if (settings.checkpointMillis() > 0) {
            env.enableCheckpointing(settings.checkpointMillis());
        } else if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(1000);
        }
        if (settings.failAttempts() > 0) {
            Configuration restarts = new Configuration();
            restarts.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            restarts.set(
                    RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS,
                    settings.failAttempts());
            restarts.set(
                    RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY,
                    Duration.ofMillis(100));
            env.configure(restarts);
        }
        Path table = new Path(settings.table());
        Workload w = new Workload(settings.keys(), settings.deleteEvery());

        KilnSink<Long> sink =
                KilnSink.forType(
                                table,
                                Workload.ROW_TYPE,
                                Workload.PRIMARY_KEY,
                                (Long seq) -> w.row(seq))
                        .bucketCount(settings.buckets())
                        .cacheSettings(settings.cacheSettings())
                        .name("example")
                        .build();
        env.fromSource(
                        new DataGeneratorSource<>(
                                seq -> seq,
                                settings.records(),
                                RateLimiterStrategy.perSecond(settings.rate()),
                                Types.LONG),
                        WatermarkStrategy.noWatermarks(),
                        "writes")
                .uid(WRITES_UID)
                // One reader, chained to one counter: the writes of a key reach the sink in
                // sequence order, so the last write of a key is the one the table keeps.
                .setParallelism(1)
                .map(new CountWrites(settings.failAttempts()))
                .uid(COUNT_WRITES_UID)
                .name("count writes")
                .setParallelism(1)
                .sinkTo(sink)
                .uid(SINK_UID)
                .name("kiln sink");

        if (!settings.lookups()) {
            return;
        }
        long lookups =
                (long)
                        Math.max(
                                1,
                                (double) settings.records()
                                        * settings.lookupRate()
                                        / settings.rate());
        DataStream<Long> keys =
                env.fromSource(
                                new DataGeneratorSource<>(
                                        w::lookupKey,
                                        lookups,
                                        RateLimiterStrategy.perSecond(settings.lookupRate()),
                                        Types.LONG),
                                WatermarkStrategy.noWatermarks(),
                                "lookups")
                        .uid(LOOKUPS_UID)
                        .setBufferTimeout(0);
        AsyncDataStream.unorderedWait(
                        KilnLookup.partitionByBucket(keys, (Long key) -> key, table),
                        KilnLookup.builder(table)
                                .options(
                                        LookupOptions.builder()
                                                .pollInterval(
                                                        Duration.ofMillis(settings.pollMillis()))
                                                .cacheSettings(settings.cacheSettings())
                                                .build())
                                .partitionedByBucket()
                                .keyOf((Long key) -> key)
                                .build(KilnClusterJob::answer, TypeInformation.of(Answer.class)),
                        30,
                        TimeUnit.SECONDS,
                        1000)
                .uid(LOOKUP_UID)
                .name("kiln lookup")
                .map(new CheckAnswers(w, settings.records()))
                .uid(CHECK_UID)
                .name("check answers")
                .sinkTo(new DiscardingSink<>())
                .uid(ANSWERS_SINK_UID)
                .name("discard answers");
    }

    /**
     * Returns the table the job leaves after writes {@code [0, records)} of {@code keys} keys with
     * one write in {@code deleteEvery} a delete (0: none): key → {@code seq} of its live row, which
     * is {@code (id = key, seq, v = "v" + seq)}; keys whose last write deleted them, or never
     * written, are absent.
     */
    public static SortedMap<Long, Long> expectedTable(long records, long keys, int deleteEvery) {
        return new TreeMap<>(new Workload(keys, deleteEvery).finalState(records));
    }

    private static Answer answer(Long key, RowData row) {
        Answer answer = new Answer();
        answer.key = key;
        if (row != null) {
            answer.found = true;
            answer.id = row.getLong(0);
            answer.seq = row.isNullAt(1) ? -1 : row.getLong(1);
            answer.v = row.isNullAt(2) ? null : row.getString(2).toString();
        }
        return answer;
    }

    /** A lookup's answer, as the checker receives it: a Flink POJO. */
    public static final class Answer {
        public long key;
        public boolean found;
        public long id;
        public long seq;
        public String v;

        public Answer() {}

        @Override
        public String toString() {
            return found
                    ? "key " + key + " answered (" + id + ", " + seq + ", " + v + ")"
                    : "key " + key + " answered no row";
        }
    }

    /**
     * Counts the writes emitted, as a metric and an accumulator; in its first {@code failAttempts}
     * attempts it fails after {@value #WRITES_BEFORE_FAILING} writes, so that the job restarts.
     */
    private static final class CountWrites extends RichMapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;
        private static final int WRITES_BEFORE_FAILING = 100;
        private final int failAttempts;
        private transient Counter writes;
        private transient LongCounter writesTotal;
        private transient long attemptWrites;

        CountWrites(int failAttempts) {
            this.failAttempts = failAttempts;
        }

        @Override
        public void open(OpenContext openContext) {
            writes = getRuntimeContext().getMetricGroup().counter(WRITES);
            writesTotal = new LongCounter();
            getRuntimeContext().addAccumulator(WRITES, writesTotal);
        }

        @Override
        public Long map(Long seq) {
            if (++attemptWrites > WRITES_BEFORE_FAILING
                    && getRuntimeContext().getTaskInfo().getAttemptNumber() < failAttempts) {
                throw new IllegalStateException(
                        "a deliberate failure (--fail-attempts "
                                + failAttempts
                                + ") in attempt "
                                + getRuntimeContext().getTaskInfo().getAttemptNumber());
            }
            writes.inc();
            writesTotal.add(1);
            return seq;
        }
    }

    /**
     * Decides each answer from the deterministic workload and counts it, as metrics of its operator
     * and accumulators of the job; logs the first few wrong answers of each subtask.
     */
    private static final class CheckAnswers extends RichMapFunction<Answer, Answer> {
        private static final long serialVersionUID = 1L;
        private static final Logger LOG = LoggerFactory.getLogger(CheckAnswers.class);
        private static final int WRONG_LOGGED = 5;

        private final Workload workload;
        private final long records;
        private transient Counter answers;
        private transient Counter wrong;
        private transient Counter absent;
        private transient LongCounter answersTotal;
        private transient LongCounter wrongTotal;
        private transient LongCounter absentTotal;

        CheckAnswers(Workload workload, long records) {
            this.workload = workload;
            this.records = records;
        }

        @Override
        public void open(OpenContext openContext) {
            answers = getRuntimeContext().getMetricGroup().counter(ANSWERS);
            wrong = getRuntimeContext().getMetricGroup().counter(WRONG_ANSWERS);
            absent = getRuntimeContext().getMetricGroup().counter(ABSENT_ANSWERS);
            answersTotal = new LongCounter();
            wrongTotal = new LongCounter();
            absentTotal = new LongCounter();
            getRuntimeContext().addAccumulator(ANSWERS, answersTotal);
            getRuntimeContext().addAccumulator(WRONG_ANSWERS, wrongTotal);
            getRuntimeContext().addAccumulator(ABSENT_ANSWERS, absentTotal);
        }

        @Override
        public Answer map(Answer answer) {
            answers.inc();
            answersTotal.add(1);
            if (!answer.found) {
                absent.inc();
                absentTotal.add(1);
            } else if (!isPossible(answer)) {
                wrong.inc();
                wrongTotal.add(1);
                if (wrong.getCount() <= WRONG_LOGGED) {
                    LOG.warn("Wrong lookup answer: {}", answer);
                }
            }
            return answer;
        }

        /** Whether a write of the answer's key below {@code records} upserted its row. */
        private boolean isPossible(Answer answer) {
            long seq = answer.seq;
            return answer.id == answer.key
                    && seq >= 0
                    && seq < records
                    && workload.keyOf(seq) == answer.key
                    && !workload.isDelete(seq)
                    && ("v" + seq).equals(answer.v);
        }
    }

    /** The job's flags; see {@link #usage()}. */
    public record Settings(
            String table,
            long records,
            long keys,
            long rate,
            boolean lookups,
            long lookupRate,
            int deleteEvery,
            int buckets,
            long checkpointMillis,
            long pollMillis,
            int failAttempts,
            long cacheMegabytes,
            String memoryCheck,
            String jobName,
            boolean help) {

        private static final Set<String> NAMES =
                Set.of(
                        "table",
                        "records",
                        "keys",
                        "rate",
                        "lookups",
                        "lookup-rate",
                        "delete-every",
                        "buckets",
                        "checkpoint-ms",
                        "poll-ms",
                        "fail-attempts",
                        "cache-mb",
                        "memory-check",
                        "job-name",
                        "help");

        public static String usage() {
            return String.join(
                    "\n",
                    "Writes a Kiln table and looks keys up in it, checking every answer in the"
                            + " TaskManagers.",
                    "",
                    "flink run -d -p 2 kiln-examples-<version>-job.jar --table URI [flags]",
                    "",
                    "  --table URI          the table: any Flink file system URI (required),"
                            + " e.g. file:///tmp/kiln-table",
                    "  --records N          writes in all (default 1000000)",
                    "  --keys N             distinct keys written (default 50000)",
                    "  --rate N             writes per second for the job (default 10000)",
                    "  --lookups BOOL       whether to look keys up (default true)",
                    "  --lookup-rate N      lookups per second for the job, for as long as the"
                            + " writes last (default 2000)",
                    "  --delete-every N     one write in N deletes its key, 0 for none (default"
                            + " 10)",
                    "  --buckets N          buckets of a table the job creates (default 8)",
                    "  --checkpoint-ms N    checkpoint (commit) interval; default: the cluster's,"
                            + " else 1000",
                    "  --poll-ms N          how often lookups look for a new version (default"
                            + " 100)",
                    "  --fail-attempts N    fail the writing pipeline deliberately in its first N"
                            + " attempts, to try restarts (default 0)",
                    "  --cache-mb N         the TaskManager's page cache of the table, in MB"
                            + " (default: Kiln's, 256)",
                    "  --memory-check C     WARN, FAIL or OFF: when the caches exceed the"
                            + " TaskManager's task off-heap memory (default WARN)",
                    "  --job-name NAME      (default kiln-cluster-example)",
                    "  --help               this text",
                    "",
                    "Parallelism: flink run -p. Metrics of the operator 'check answers': "
                            + ANSWERS
                            + ", "
                            + WRONG_ANSWERS
                            + ", "
                            + ABSENT_ANSWERS
                            + " (also the job's accumulators).");
        }

        /** Parses {@code args}; see {@link #usage()}. */
        public static Settings parse(String[] args) {
            ParameterTool params;
            try {
                params = ParameterTool.fromArgs(args);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cannot read the flags: " + e.getMessage(), e);
            }
            Set<String> unknown = new TreeSet<>(params.toMap().keySet());
            unknown.removeAll(NAMES);
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException(
                        "unknown flag(s): --" + String.join(", --", unknown));
            }
            boolean help = params.has("help");
            String table = params.get("table");
            if (table == null && !help) {
                throw new IllegalArgumentException("--table is required");
            }
            String lookups = params.get("lookups", "true");
            if (!lookups.equals("true") && !lookups.equals("false")) {
                throw new IllegalArgumentException(
                        "--lookups must be true or false, not '" + lookups + "'");
            }
            return new Settings(
                    table,
                    number(params, "records", 1_000_000, 1, Long.MAX_VALUE),
                    number(params, "keys", 50_000, 1, Integer.MAX_VALUE),
                    number(params, "rate", 10_000, 1, Integer.MAX_VALUE),
                    Boolean.parseBoolean(lookups),
                    number(params, "lookup-rate", 2_000, 1, Integer.MAX_VALUE),
                    (int) number(params, "delete-every", 10, 0, Integer.MAX_VALUE),
                    (int) number(params, "buckets", 8, 1, 1 << 16),
                    number(params, "checkpoint-ms", 0, 0, Integer.MAX_VALUE),
                    number(params, "poll-ms", 100, 1, Integer.MAX_VALUE),
                    (int) number(params, "fail-attempts", 0, 0, 1000),
                    number(params, "cache-mb", 0, 0, 1 << 20),
                    memoryCheck(params.get("memory-check", "WARN")),
                    params.get("job-name", "kiln-cluster-example"),
                    help);
        }

        private static String memoryCheck(String value) {
            try {
                return MemoryCheck.valueOf(value.toUpperCase(java.util.Locale.ROOT)).name();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "--memory-check must be WARN, FAIL or OFF, not '" + value + "'");
            }
        }

        /** The cache settings the flags ask for, shared by the sink's warm step and the lookup. */
        CacheSettings cacheSettings() {
            CacheSettings.Builder cache =
                    CacheSettings.builder().memoryCheck(MemoryCheck.valueOf(memoryCheck));
            if (cacheMegabytes > 0) {
                cache.maximumPageBytes(cacheMegabytes << 20);
            }
            return cache.build();
        }

        private static long number(
                ParameterTool params, String name, long fallback, long min, long max) {
            String value = params.get(name, Long.toString(fallback));
            long parsed;
            try {
                parsed = Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--" + name + " must be a number, not '" + value + "'");
            }
            if (parsed < min || parsed > max) {
                throw new IllegalArgumentException(
                        "--"
                                + name
                                + " must be between "
                                + min
                                + " and "
                                + max
                                + ", not "
                                + parsed);
            }
            return parsed;
        }
    }
}
