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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 5 of issue 20: Kiln's off-heap memory in Flink's memory model, on TaskManagers that
 * declare {@value #TASK_OFF_HEAP_MB} MB of task off-heap memory ({@code
 * taskmanager.memory.task.off-heap.size}) in a process of 1 GB. A job whose cache fits fills it and
 * stays within both its bound and the TaskManager's process size; a job whose cache bound exceeds
 * the declaration is warned about at its start, or fails there with {@code --memory-check FAIL},
 * naming both settings.
 */
class MemoryE2ETest {

    private static final int TASK_OFF_HEAP_MB = 48;
    private static final long PROCESS_BYTES = 1L << 30;

    @RegisterExtension
    static final FlinkCluster CLUSTER =
            FlinkCluster.builder("memory")
                    .config("taskmanager.memory.task.off-heap.size", TASK_OFF_HEAP_MB + "m")
                    // Room for it in the 1 GB process: less managed memory (RocksDB's).
                    .config("taskmanager.memory.managed.size", "128m")
                    .build();

    private static final Duration RUN = Duration.ofMinutes(4);
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    @Test
    void aFullCacheStaysWithinItsBoundAndTheProcessSize() throws Exception {
        // About 2.5 times the cache's bound in generations over the run: 40 MB (long run) or 15 MB.
        int cacheMb = KilnJars.longRun() ? 16 : 6;
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("full").resolve("table"),
                        KilnJars.longRun() ? 1_500_000 : 600_000,
                        KilnJars.longRun() ? 600_000 : 250_000,
                        300_000);
        RestApi rest = CLUSTER.rest();
        String jobId =
                job.runWith(CLUSTER.cli(), 2, List.of("--cache-mb", Integer.toString(cacheMb)));
        double[] maxOffHeap = {0};
        long[] maxRss = {0};
        Deadline.await(
                "job " + jobId + " to finish",
                RUN,
                () -> {
                    for (String tm : CLUSTER.taskManagerIds()) {
                        maxRss[0] = Math.max(maxRss[0], rssBytes(CLUSTER.taskManagerPid(tm)));
                    }
                    String state = rest.jobState(jobId);
                    if ("RUNNING".equals(state)) {
                        // Kiln's allocated bytes in the TaskManager, as every subtask reports it.
                        double offHeap = rest.metricMax(jobId, "HeapBytes");
                        if (!Double.isNaN(offHeap)) {
                            maxOffHeap[0] = Math.max(maxOffHeap[0], offHeap);
                        }
                    }
                    if (List.of("FAILED", "CANCELED").contains(state)) {
                        throw new AssertionError("job " + jobId + " is " + state);
                    }
                    return "FINISHED".equals(state) ? Optional.of(true) : Optional.empty();
                });
        Figures.print("memory", "maxKilnOffHeapMb", maxOffHeap[0] / (1 << 20), "MB");
        Figures.print("memory", "maxTaskManagerRssMb", maxRss[0] / (double) (1 << 20), "MB");
        ExampleJob.assertNoWrongAnswers(rest, jobId);
        job.assertTableExact();
        assertThat(maxOffHeap[0])
                .as("Kiln's off-heap bytes at most: the cache filled")
                .isGreaterThanOrEqualTo(cacheMb / 2.0 * (1 << 20));
        assertThat(maxOffHeap[0])
                .as("Kiln's off-heap bytes at most: within the declared task off-heap memory")
                .isLessThanOrEqualTo(TASK_OFF_HEAP_MB * (double) (1 << 20));
        assertThat(maxRss[0])
                .as("resident bytes of the TaskManager processes at most")
                .isLessThanOrEqualTo(PROCESS_BYTES);
    }

    @Test
    void aCacheBoundAboveTheDeclarationIsWarnedAboutAtStart() throws Exception {
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("warned").resolve("table"),
                        2_000,
                        500,
                        5_000);
        RestApi rest = CLUSTER.rest();
        String jobId = job.runWith(CLUSTER.cli(), 2, List.of("--cache-mb", "64"));
        JobWatch.awaitFinished(rest, jobId, "warned", RUN);
        job.assertTableExact();
        List<String> warnings = memoryWarnings();
        assertThat(warnings)
                .as("WARN lines naming both settings in the TaskManagers' logs")
                .anySatisfy(
                        line ->
                                assertThat(line)
                                        .contains("cache.page-bytes")
                                        .contains("64 mb")
                                        .contains("taskmanager.memory.task.off-heap.size")
                                        .contains(TASK_OFF_HEAP_MB + " mb"));
    }

    @Test
    void withMemoryCheckFailTheJobFailsAtStartNamingBothSettings() throws Exception {
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("failed").resolve("table"),
                        2_000,
                        500,
                        5_000);
        RestApi rest = CLUSTER.rest();
        String jobId =
                job.runWith(
                        CLUSTER.cli(),
                        2,
                        List.of(
                                "--cache-mb",
                                "64",
                                "--memory-check",
                                "FAIL",
                                "--fail-attempts",
                                "0"));
        String cause =
                Deadline.await(
                        "job " + jobId + " to fail at start on the memory check",
                        RUN,
                        () -> {
                            // The exception history, as the web UI's Exceptions tab shows it.
                            String history = rest.getText("/jobs/" + jobId + "/exceptions");
                            return history.contains("IllegalConfigurationException")
                                    ? Optional.of(history)
                                    : Optional.empty();
                        });
        if (!List.of("FAILED", "CANCELED", "FINISHED").contains(rest.jobState(jobId))) {
            CLUSTER.cli().cancel(jobId);
        }
        assertThat(cause)
                .contains("cache.page-bytes")
                .contains("taskmanager.memory.task.off-heap.size");
    }

    private static List<String> memoryWarnings() throws IOException {
        List<String> lines = new java.util.ArrayList<>();
        for (String tm : CLUSTER.taskManagerIds()) {
            Path log = CLUSTER.home().logs().resolve(tm + ".log");
            for (String line : Files.readAllLines(log)) {
                if (line.contains(" WARN ")
                        && line.contains("taskmanager.memory.task.off-heap.size")) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    private static long rssBytes(long pid) throws IOException {
        Matcher m = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : 0;
    }
}
