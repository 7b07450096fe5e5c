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

import dev.kiln.flink.source.KilnTableReader;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.FileUtils;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster example's pipeline on a MiniCluster (RocksDB, real checkpoints): its answers are
 * checked in the job and counted by its metrics and accumulators, and the table it leaves is the
 * one {@link KilnClusterJob#expectedTable} computes, also when the job is stopped with a savepoint
 * mid-run and resumed from it at another parallelism.
 */
class KilnClusterJobTest {

    private static final java.nio.file.Path CHECKPOINTS = checkpoints();

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(clusterConfig())
                            .build());

    private static final Duration DEADLINE = Duration.ofMinutes(2);

    @TempDir java.nio.file.Path dir;

    private static Configuration clusterConfig() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, CHECKPOINTS.toUri().toString());
        return METRICS.addToConfiguration(config);
    }

    private static java.nio.file.Path checkpoints() {
        try {
            return Files.createTempDirectory("kiln-cluster-job-checkpoints");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void deleteCheckpoints() {
        FileUtils.deleteDirectoryQuietly(CHECKPOINTS.toFile());
    }

    @Test
    void answersAreCheckedInTheJobAndTheTableIsTheExpectedOne() throws Exception {
        String table = dir.resolve("t").toUri().toString();
        KilnClusterJob.Settings settings =
                // 6 s of writes and lookups: lookups go on well after the first commits.
                settings(table, "3000", "--rate", "500", "--lookup-rate", "500");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        KilnClusterJob.build(env, settings);
        JobClient job = env.executeAsync("kiln cluster example");
        JobExecutionResult result = job.getJobExecutionResult().get(2, TimeUnit.MINUTES);

        long answers = accumulator(result, KilnClusterJob.ANSWERS);
        assertThat(answers).as("answers").isEqualTo(3000);
        assertThat(accumulator(result, KilnClusterJob.WRONG_ANSWERS)).as("wrong").isZero();
        // A tenth of the keys looked up are never written (absent); the rows found are what the
        // checker can find wrong.
        assertThat(accumulator(result, KilnClusterJob.ABSENT_ANSWERS))
                .as("absent")
                .isBetween(1L, answers - 1);
        assertThat(accumulator(result, KilnClusterJob.WRITES)).isEqualTo(3000);
        // The same counts as metrics of the checker's operator, one counter per subtask.
        assertThat(operatorCounter(job.getJobID(), KilnClusterJob.ANSWERS)).isEqualTo(answers);
        assertThat(operatorCounter(job.getJobID(), KilnClusterJob.WRONG_ANSWERS)).isZero();

        assertThat(tableOf(table)).isEqualTo(KilnClusterJob.expectedTable(3000, 300, 5));
    }

    @Test
    void stopWithSavepointAndResumeAtAnotherParallelismLeavesTheExpectedTable() throws Exception {
        String table = dir.resolve("t").toUri().toString();
        long records = 6000;
        // 500 writes a second: the job would run for about 12 s; it is stopped after its second
        // commit (the test checks that it was stopped before its end).
        KilnClusterJob.Settings settings =
                settings(table, Long.toString(records), "--rate", "500", "--lookup-rate", "250");

        StreamExecutionEnvironment first = StreamExecutionEnvironment.getExecutionEnvironment();
        first.setParallelism(2);
        KilnClusterJob.build(first, settings);
        JobClient running = first.executeAsync("kiln cluster example, first run");
        awaitVersion(table, 2);
        String savepoint =
                running.stopWithSavepoint(
                                false,
                                dir.resolve("savepoints").toUri().toString(),
                                SavepointFormatType.CANONICAL)
                        .get(2, TimeUnit.MINUTES);
        JobExecutionResult stopped = running.getJobExecutionResult().get(2, TimeUnit.MINUTES);
        long writtenBefore = accumulator(stopped, KilnClusterJob.WRITES);
        assertThat(writtenBefore).as("writes before the savepoint").isBetween(1L, records - 1);
        assertThat(accumulator(stopped, KilnClusterJob.WRONG_ANSWERS)).isZero();

        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment second =
                StreamExecutionEnvironment.getExecutionEnvironment(restore);
        second.setParallelism(3);
        KilnClusterJob.build(second, settings);
        JobExecutionResult resumed =
                second.executeAsync("kiln cluster example, resumed")
                        .getJobExecutionResult()
                        .get(2, TimeUnit.MINUTES);

        assertThat(accumulator(resumed, KilnClusterJob.WRITES))
                .as("the resumed run writes what the first one had not")
                .isEqualTo(records - writtenBefore);
        assertThat(accumulator(resumed, KilnClusterJob.ANSWERS)).isPositive();
        assertThat(accumulator(resumed, KilnClusterJob.WRONG_ANSWERS)).isZero();
        assertThat(tableOf(table)).isEqualTo(KilnClusterJob.expectedTable(records, 300, 5));
    }

    private static KilnClusterJob.Settings settings(String table, String records, String... more) {
        String[] common = {
            "--table", table,
            "--records", records,
            "--keys", "300",
            "--delete-every", "5",
            "--buckets", "4",
            "--checkpoint-ms", "200",
            "--poll-ms", "50"
        };
        String[] args = new String[common.length + more.length];
        System.arraycopy(common, 0, args, 0, common.length);
        System.arraycopy(more, 0, args, common.length, more.length);
        return KilnClusterJob.Settings.parse(args);
    }

    private static long accumulator(JobExecutionResult result, String name) {
        Long value = result.getAccumulatorResult(name);
        assertThat(value).as("accumulator %s", name).isNotNull();
        return value;
    }

    /** Sums the counter {@code name} over the subtasks of the "check answers" operator. */
    private static long operatorCounter(JobID job, String name) {
        long sum = 0;
        int subtasks = 0;
        for (OperatorMetricGroup group : METRICS.findOperatorMetricGroups(job, "check answers")) {
            sum += ((Counter) METRICS.getMetricsByGroup(group).get(name)).getCount();
            subtasks++;
        }
        assertThat(subtasks).as("subtasks reporting %s", name).isEqualTo(2);
        return sum;
    }

    /** Waits, with a deadline, until the table at {@code uri} has published {@code version}. */
    private static void awaitVersion(String uri, long version) throws IOException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try (KilnTableReader reader = KilnTableReader.open(new Path(uri))) {
            while (reader.latest().number() < version) {
                assertThat(System.nanoTime())
                        .as("version %s published within %s", version, DEADLINE)
                        .isLessThan(deadline);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    /** The live rows of the table's latest version, as key → seq, checking each row's value. */
    private static SortedMap<Long, Long> tableOf(String uri) throws Exception {
        SortedMap<Long, Long> rows = new TreeMap<>();
        try (KilnTableReader reader = KilnTableReader.open(new Path(uri));
                CloseableIterator<RowData> scan = reader.latest().scan()) {
            while (scan.hasNext()) {
                RowData row = scan.next();
                long seq = row.getLong(1);
                assertThat(row.getString(2).toString()).isEqualTo("v" + seq);
                assertThat(rows.put(row.getLong(0), seq))
                        .as("key %s twice", row.getLong(0))
                        .isNull();
            }
        }
        return rows;
    }
}
