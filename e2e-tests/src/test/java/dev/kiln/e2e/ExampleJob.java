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

package dev.kiln.e2e;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The examples' cluster job ({@code dev.kiln.examples.KilnClusterJob} in the {@code job} jars) as
 * the scenarios drive it: its flags for one table and workload, submission through the CLI, the
 * checks after a run (the job's own count of wrong lookup answers, over REST) and the table it must
 * leave, computed by the job jar's own helper ({@code KilnClusterJob.expectedTable}) and compared
 * with the table read from the test JVM.
 */
final class ExampleJob {

    private static final String MAIN = "dev.kiln.examples.KilnClusterJob";

    private final Path jar;
    private final Path table;
    private final long records;
    private final long keys;
    private final long rate;
    private final int deleteEvery;

    /**
     * A job writing {@code records} writes of {@code keys} keys into {@code table} at {@code rate}
     * writes per second (so a run lasts about {@code records / rate} seconds), one in 10 a delete.
     */
    ExampleJob(Path jar, Path table, long records, long keys, long rate) {
        this.jar = jar;
        this.table = table;
        this.records = records;
        this.keys = keys;
        this.rate = rate;
        this.deleteEvery = 10;
    }

    Path table() {
        return table;
    }

    List<String> args(long rate) {
        return List.of(
                "--table", table.toUri().toString(),
                "--records", String.valueOf(records),
                "--keys", String.valueOf(keys),
                "--rate", String.valueOf(rate),
                "--lookup-rate", String.valueOf(Math.max(1, rate / 4)),
                "--delete-every", String.valueOf(deleteEvery),
                "--buckets", "8",
                "--checkpoint-ms", "500");
    }

    /** {@code flink run -d -p parallelism [-s savepoint] job.jar flags}: the job's id. */
    String run(FlinkCli cli, int parallelism, String savepoint) throws Exception {
        return run(cli, parallelism, savepoint, rate);
    }

    /**
     * As {@link #run(FlinkCli, int, String)}, at {@code rate} writes per second (and a quarter of
     * that in lookups, so the job's lookup count stays the same): the rate limit is not state, so a
     * run resumed from a savepoint may go faster or slower than the one that took it.
     */
    String run(FlinkCli cli, int parallelism, String savepoint, long rate) throws Exception {
        return cli.run(jar, parallelism, savepoint, args(rate));
    }

    /** As {@link #run(FlinkCli, int, String)}, from no savepoint, with {@code moreArgs} added. */
    String runWith(FlinkCli cli, int parallelism, List<String> moreArgs) throws Exception {
        List<String> args = new ArrayList<>(args(rate));
        args.addAll(moreArgs);
        return cli.run(jar, parallelism, null, args);
    }

    /**
     * Waits until the table has version {@code version} or later, while the job {@code jobId} is
     * running; returns the version seen. Reads the table's latest version from storage (what the
     * sink committed), not the sink's {@code kilnManifestVersion} gauge, which REST reports seconds
     * late.
     */
    long awaitCommitted(RestApi rest, String jobId, long version, Duration timeout)
            throws InterruptedException {
        return Deadline.await(
                "job " + jobId + " to commit version " + version + " of " + table,
                timeout,
                () -> {
                    String state = rest.jobState(jobId);
                    if (!"RUNNING".equals(state)
                            && !"CREATED".equals(state)
                            && !"INITIALIZING".equals(state)) {
                        throw new AssertionError(
                                "job " + jobId + " is " + state + " before version " + version);
                    }
                    long seen = KilnTables.exists(table) ? KilnTables.latestVersion(table) : -1;
                    return seen >= version ? Optional.of(seen) : Optional.empty();
                });
    }

    /** Asserts that the run's checker saw no wrong answer (its accumulators, over REST). */
    static void assertNoWrongAnswers(RestApi rest, String jobId) throws Exception {
        Map<String, String> accumulators = rest.accumulators(jobId);
        assertThat(accumulators).as("accumulators of " + jobId).containsKey("exampleWrongAnswers");
        assertThat(accumulators.get("exampleWrongAnswers"))
                .as("wrong answers of " + jobId + ": " + accumulators)
                .isEqualTo("0");
        System.out.println("E2E job " + jobId + " accumulators: " + accumulators);
    }

    /**
     * Asserts that some lookups of the run found a row: a run whose lookups all came before the
     * first commit (or never saw the table) would pass the wrong-answer check without testing it.
     */
    static void assertSomeAnswersFound(RestApi rest, String jobId) throws Exception {
        Map<String, String> accumulators = rest.accumulators(jobId);
        long answers = Long.parseLong(accumulators.getOrDefault("exampleAnswers", "0"));
        long absent = Long.parseLong(accumulators.getOrDefault("exampleAbsentAnswers", "0"));
        assertThat(answers - absent)
                .as("answers that found a row in " + jobId + ": " + accumulators)
                .isPositive();
    }

    /** Asserts that the table is exactly the one the writes leave. */
    void assertTableExact() throws Exception {
        SortedMap<Object, String> expected = new TreeMap<>();
        for (Map.Entry<Long, Long> e : expectedTable().entrySet()) {
            expected.put(
                    e.getKey(),
                    "[" + e.getKey() + ", " + e.getValue() + ", v" + e.getValue() + "]");
        }
        Map<Object, String> actual = KilnTables.read(table);
        assertThat(actual.size()).as("rows of " + table).isEqualTo(expected.size());
        assertThat(actual).as("table " + table).isEqualTo(expected);
    }

    /** {@code KilnClusterJob.expectedTable(records, keys, deleteEvery)}, from the job jar. */
    @SuppressWarnings("unchecked")
    private SortedMap<Long, Long> expectedTable() throws Exception {
        try (URLClassLoader loader =
                new URLClassLoader(
                        new URL[] {jar.toUri().toURL()}, ExampleJob.class.getClassLoader())) {
            Method method =
                    loader.loadClass(MAIN)
                            .getMethod("expectedTable", long.class, long.class, int.class);
            return (SortedMap<Long, Long>) method.invoke(null, records, keys, deleteEvery);
        }
    }
}
