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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 4 of issue 20: the same job jar submitted again and again, and one job restarted again
 * and again, leave nothing of theirs in the TaskManagers. Once the jobs are done and a full GC ran,
 * no job class loader is reachable and no Kiln thread is alive, and Metaspace and thread counts are
 * back where they were; while a job restarts, its restarts share one class loader per TaskManager.
 * A thread or timer that outlives its job (the JDK's delay scheduler started from a task thread, a
 * pool not shut down) keeps the job's class loader, and with it about 10 MB of Metaspace, for the
 * TaskManager's life: this is where that shows.
 */
class ClassLoaderE2ETest {

    @RegisterExtension static final FlinkCluster CLUSTER = FlinkCluster.builder("loaders").build();

    /** Submissions, and restarts of one job: 20 in the long run, fewer in {@code mvn verify}. */
    private static final int TIMES = KilnJars.longRun() ? 20 : 4;

    private static final Duration RUN = Duration.ofMinutes(3);

    /**
     * Metaspace a TaskManager may gain over all the runs: well below the ~10 MB one job's loader
     * (Kiln, Arrow, Caffeine, Jackson) keeps when it stays reachable.
     */
    private static final long METASPACE_SLACK_KB = 6 * 1024;

    /**
     * Threads a TaskManager may gain over all the runs: Flink's own pools (network, I/O) grow on
     * demand up to their bounds. Kiln's threads are counted exactly (none may be left).
     */
    private static final int THREAD_SLACK = 10;

    @Test
    void repeatedSubmissionsOfOneJarLeaveNoJobLoaderNorKilnThreadBehind() throws Exception {
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("submissions").resolve("table"),
                        3_000,
                        500,
                        3_000);
        runToEnd(job, 1);
        Map<String, JvmInspector.Look> first = settled("after the first submission");
        long started = System.nanoTime();
        for (int i = 2; i <= TIMES; i++) {
            runToEnd(job, i);
        }
        Figures.print(
                "loaders",
                "secondsPerSubmission",
                (System.nanoTime() - started) / 1e9 / Math.max(1, TIMES - 1),
                "s");
        assertFlat(first, settled("after " + TIMES + " submissions"), "submissions");
    }

    @Test
    void restartsOfOneJobShareItsLoaderAndLeaveNothingBehind() throws Exception {
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("restarts").resolve("table"),
                        6_000,
                        500,
                        2_000);
        // A first run, so that what Flink itself loads once per TaskManager is in the baseline.
        runToEnd(job, 0);
        Map<String, JvmInspector.Look> before = settled("before the restarting job");
        RestApi rest = CLUSTER.rest();
        String jobId =
                job.runWith(CLUSTER.cli(), 2, List.of("--fail-attempts", Integer.toString(TIMES)));
        Deadline.await(
                "job " + jobId + " to restart " + TIMES + " times",
                RUN,
                () ->
                        rest.jobMetric(jobId, "numRestarts") >= TIMES
                                ? Optional.of(true)
                                : Optional.empty());
        for (String tm : CLUSTER.taskManagerIds()) {
            JvmInspector.Look look = JvmInspector.look(CLUSTER.taskManagerPid(tm));
            System.out.println("E2E loaders: " + tm + " after " + TIMES + " restarts: " + look);
            assertThat(look.userLoaders())
                    .as("job class loaders in " + tm + " after " + TIMES + " restarts: " + look)
                    .isLessThanOrEqualTo(1);
        }
        JobWatch.awaitFinished(rest, jobId, "restarts", RUN);
        ExampleJob.assertNoWrongAnswers(rest, jobId);
        job.assertTableExact();
        assertFlat(before, settled("after " + TIMES + " restarts of one job"), "restarts");
    }

    private static void runToEnd(ExampleJob job, int run) throws Exception {
        RestApi rest = CLUSTER.rest();
        String jobId = job.run(CLUSTER.cli(), 2, null);
        JobWatch.awaitFinished(rest, jobId, "run " + run, RUN);
        ExampleJob.assertNoWrongAnswers(rest, jobId);
    }

    /**
     * Waits until every TaskManager holds no job class loader and no Kiln thread (a finished job's
     * loader is released when the TaskManager lets the job go, shortly after it ends); returns what
     * each looks like then.
     */
    private static Map<String, JvmInspector.Look> settled(String when) throws InterruptedException {
        Map<String, JvmInspector.Look> looks = new LinkedHashMap<>();
        for (String tm : CLUSTER.taskManagerIds()) {
            long pid = CLUSTER.taskManagerPid(tm);
            JvmInspector.Look[] last = new JvmInspector.Look[1];
            JvmInspector.Look look;
            try {
                look =
                        Deadline.await(
                                "no job class loader and no Kiln thread in " + tm + " " + when,
                                Duration.ofMinutes(2),
                                () -> {
                                    last[0] = JvmInspector.look(pid);
                                    return last[0].userLoaders() == 0
                                                    && last[0].kilnThreads().isEmpty()
                                            ? Optional.of(last[0])
                                            : Optional.empty();
                                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last seen: " + last[0], e);
            }
            System.out.println("E2E loaders: " + tm + " " + when + ": " + look);
            looks.put(tm, look);
        }
        return looks;
    }

    private static void assertFlat(
            Map<String, JvmInspector.Look> before,
            Map<String, JvmInspector.Look> after,
            String scenario) {
        for (Map.Entry<String, JvmInspector.Look> e : before.entrySet()) {
            JvmInspector.Look was = e.getValue();
            JvmInspector.Look is = after.get(e.getKey());
            Figures.print(
                    "loaders-" + scenario,
                    e.getKey() + ".metaspaceGrowthMb",
                    (is.metaspaceKb() - was.metaspaceKb()) / 1024.0,
                    "MB");
            Figures.print(
                    "loaders-" + scenario,
                    e.getKey() + ".threadGrowth",
                    is.threads() - was.threads(),
                    "threads");
            assertThat(is.metaspaceKb())
                    .as("Metaspace (KB) of " + e.getKey() + ": was " + was + ", is " + is)
                    .isLessThanOrEqualTo(was.metaspaceKb() + METASPACE_SLACK_KB);
            List<String> added = new java.util.ArrayList<>(is.threadNames());
            was.threadNames().forEach(added::remove);
            System.out.println("E2E loaders: " + e.getKey() + " threads added: " + added);
            assertThat(is.threads())
                    .as(
                            "threads of "
                                    + e.getKey()
                                    + ": was "
                                    + was
                                    + ", is "
                                    + is
                                    + ", added "
                                    + added)
                    .isLessThanOrEqualTo(was.threads() + THREAD_SLACK);
        }
    }
}
