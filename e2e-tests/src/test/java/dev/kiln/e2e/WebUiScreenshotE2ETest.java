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

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 6 of issue 20: Kiln's metrics as a user sees them in Flink's web UI on a cluster, and
 * the screenshots of {@code docs/operations.md}. The example job runs rate-limited; once it has
 * committed a few versions and its lookups are answered, REST must report Kiln's metrics on the
 * lookup operator, the sink's warm step and its committer (the test fails if one vanishes or does
 * not move); then {@code src/test/webui/screenshot.mjs} (Node, playwright-core, headless Chromium)
 * opens the job's page, selects each of those vertices, adds the metrics in its Metrics tab and
 * writes one PNG per vertex into {@code kiln.e2e.webui.out} ({@code target/webui} by default).
 *
 * <p>Not in {@code mvn verify}: in {@code -Pe2e-long}, or chosen with {@code
 * -Dit.test=WebUiScreenshotE2ETest}. Needs {@code node} (20+) and Chromium ({@code
 * kiln.e2e.chromium}, {@code /usr/bin/chromium} by default); installs the script's pinned {@code
 * playwright-core} with {@code npm ci} on its first run.
 */
class WebUiScreenshotE2ETest {

    @RegisterExtension static final FlinkCluster CLUSTER = FlinkCluster.builder("webui").build();

    private static final Duration RUN = Duration.ofMinutes(3);
    private static final Duration SCRIPT = Duration.ofMinutes(6);
    private static final int WIDTH = 1400;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One screenshot: the vertex whose name contains {@code vertexName}, the subtask with the
     * largest {@code lead} (a metric that must be positive there), and the metrics shown, each a
     * name as the operator's metric group ends it and whether the UI shows it as a number.
     */
    private record Shot(String file, String vertexName, String lead, List<Metric> metrics) {}

    private record Metric(String name, boolean numeric) {}

    private static Metric chart(String name) {
        return new Metric(name, false);
    }

    private static Metric number(String name) {
        return new Metric(name, true);
    }

    private static final List<Shot> SHOTS =
            List.of(
                    new Shot(
                            "webui-kiln-lookup-metrics.png",
                            "kiln lookup",
                            "kiln.lookups",
                            List.of(
                                    chart("kiln.lookups"),
                                    chart("kiln.snapshotVersion"),
                                    number("kiln.coldReads"),
                                    number("kiln.versionLag"),
                                    number("kiln.offHeapBytes"),
                                    number("kiln.offHeapBoundBytes"))),
                    new Shot(
                            "webui-kiln-warm-metrics.png",
                            "warm before commit",
                            "kilnWarmsWarmed",
                            List.of(
                                    chart("kilnWarmsWarmed"),
                                    chart("kilnWarmDurationMs_p99"),
                                    number("kilnWarmsTimedOut"),
                                    number("kilnWarmsFailed"),
                                    number("kilnCommittablesHeldBack"),
                                    number("kilnOffHeapBytes"))),
                    new Shot(
                            "webui-kiln-committer-metrics.png",
                            ": Committer",
                            "kilnManifestVersion",
                            List.of(
                                    chart("kilnManifestVersion"),
                                    chart("kilnCommitLatencyMs_median"),
                                    chart("kilnCommitLatencyMs_p99"),
                                    chart("kilnGenerationsCommitted"),
                                    chart("kilnCompactionsCommitted"),
                                    number("kilnStaleCompactionsDropped"))));

    @Test
    void kilnMetricsInFlinksWebUi() throws Exception {
        Path scriptDir = Path.of(System.getProperty("kiln.e2e.webui.script", "src/test/webui"));
        Path out = Path.of(System.getProperty("kiln.e2e.webui.out", "target/webui"));
        Path chromium = Path.of(System.getProperty("kiln.e2e.chromium", "/usr/bin/chromium"));
        assertThat(Files.isExecutable(chromium))
                .as("Chromium at " + chromium + " (set -Dkiln.e2e.chromium=<path>)")
                .isTrue();
        installScript(scriptDir);
        Files.createDirectories(out);

        // At most 15 minutes of writes; cancelled once the screenshots are taken.
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("webui").resolve("table"),
                        900_000,
                        2_000,
                        1_000);
        RestApi rest = CLUSTER.rest();
        String jobId = job.run(CLUSTER.cli(), 2, null);
        job.awaitCommitted(rest, jobId, 5, RUN);
        Map<String, String> vertices = rest.vertices(jobId);

        ObjectNode spec = JSON.createObjectNode();
        spec.put("base", rest.base().toString());
        spec.put("jobId", jobId);
        spec.put("chromium", chromium.toString());
        spec.put("width", WIDTH);
        spec.put("height", 1000);
        spec.put("observeSeconds", 30);
        ArrayNode shots = spec.putArray("shots");
        List<Path> files = new ArrayList<>();
        for (Shot shot : SHOTS) {
            String vertex = vertexId(vertices, shot.vertexName());
            Map<String, String> ids = awaitMetrics(rest, jobId, vertex, shot);
            Path file = out.resolve(shot.file()).toAbsolutePath();
            files.add(file);
            Files.deleteIfExists(file);
            ObjectNode s = shots.addObject();
            s.put("vertex", vertex);
            s.put("file", file.toString());
            s.put("fullWidth", true);
            s.put("panelHeight", 680);
            ArrayNode metrics = s.putArray("metrics");
            for (Metric metric : shot.metrics()) {
                metrics.addObject()
                        .put("id", ids.get(metric.name()))
                        .put("view", metric.numeric() ? "numeric" : "chart");
            }
        }
        Path specFile = CLUSTER.dir().resolve("webui-screenshot.json");
        JSON.writerWithDefaultPrettyPrinter().writeValue(specFile.toFile(), spec);

        long start = System.nanoTime();
        run(
                scriptDir,
                List.of("node", "screenshot.mjs", specFile.toString()),
                CLUSTER.home().logs().resolve("webui-screenshot.out"),
                SCRIPT);
        Figures.print("webui", "screenshotSeconds", (System.nanoTime() - start) / 1e9, "s");
        for (Path file : files) {
            assertPng(file);
            System.out.println("E2E web UI screenshot: " + file);
        }
        assertThat(rest.jobState(jobId)).isEqualTo("RUNNING");
        ExampleJob.assertNoWrongAnswers(rest, jobId);
        CLUSTER.cli().cancel(jobId);
    }

    private static String vertexId(Map<String, String> vertices, String namePart) {
        List<String> ids =
                vertices.entrySet().stream()
                        .filter(e -> e.getValue().contains(namePart))
                        .map(Map.Entry::getKey)
                        .toList();
        assertThat(ids).as("vertices named *" + namePart + "* in " + vertices).hasSize(1);
        return ids.get(0);
    }

    /**
     * Waits until REST reports every metric of the shot on one subtask of the vertex, with the lead
     * metric positive there; returns the metrics' ids (as the UI lists them: {@code
     * <subtask>.<operator>.<name>}) on the subtask with the largest lead.
     */
    private static Map<String, String> awaitMetrics(
            RestApi rest, String jobId, String vertex, Shot shot) throws InterruptedException {
        return Deadline.await(
                "Kiln's metrics " + shot.metrics() + " on vertex " + shot.vertexName(),
                RUN,
                () -> {
                    List<String> all = rest.vertexMetricIds(jobId, vertex);
                    List<String> leadIds =
                            all.stream().filter(id -> id.endsWith("." + shot.lead())).toList();
                    Optional<Map.Entry<String, Double>> best =
                            leadIds.isEmpty()
                                    ? Optional.empty()
                                    : rest.vertexMetrics(jobId, vertex, leadIds).entrySet().stream()
                                            .max(Map.Entry.comparingByValue());
                    if (best.isEmpty() || best.get().getValue() <= 0) {
                        return Optional.empty();
                    }
                    String leadId = best.get().getKey();
                    String prefix = leadId.substring(0, leadId.length() - shot.lead().length());
                    Map<String, String> ids = new LinkedHashMap<>();
                    for (Metric metric : shot.metrics()) {
                        String id = prefix + metric.name();
                        if (!all.contains(id)) {
                            throw new IllegalStateException(
                                    "REST reports no " + id + " on " + shot.vertexName());
                        }
                        ids.put(metric.name(), id);
                    }
                    Map<String, Double> values =
                            rest.vertexMetrics(jobId, vertex, new ArrayList<>(ids.values()));
                    if (values.size() < ids.size()) {
                        throw new IllegalStateException(
                                "REST reports no value for some of "
                                        + ids.values()
                                        + ": "
                                        + values);
                    }
                    System.out.println(
                            "E2E web UI metrics of " + shot.vertexName() + ": " + values);
                    return Optional.of(ids);
                });
    }

    /** {@code npm ci} in the script's directory unless its pinned playwright-core is there. */
    private static void installScript(Path scriptDir) throws Exception {
        assertThat(scriptDir.resolve("screenshot.mjs")).exists();
        if (Files.isRegularFile(scriptDir.resolve("node_modules/playwright-core/package.json"))) {
            return;
        }
        run(
                scriptDir,
                List.of("npm", "ci", "--no-audit", "--no-fund"),
                CLUSTER.home().logs().resolve("npm-ci.out"),
                Duration.ofMinutes(3));
    }

    private static void run(Path dir, List<String> command, Path output, Duration timeout)
            throws Exception {
        Files.createDirectories(output.getParent());
        Process process =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
        boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor();
        }
        String log = Files.readString(output);
        System.out.print(log);
        assertThat(exited).as(command + " within " + timeout + ":\n" + log).isTrue();
        assertThat(process.exitValue()).as(command + " exit code:\n" + log).isZero();
    }

    /** A PNG as wide as the viewport, with room for the metrics, and more than a blank page. */
    private static void assertPng(Path file) throws IOException {
        assertThat(file).exists();
        assertThat(Files.size(file)).as("size of " + file).isGreaterThan(40_000);
        try (InputStream in = Files.newInputStream(file);
                DataInputStream data = new DataInputStream(in)) {
            byte[] header = new byte[16];
            data.readFully(header);
            assertThat(header).startsWith(0x89, 'P', 'N', 'G');
            int width = data.readInt();
            int height = data.readInt();
            assertThat(width).as("width of " + file).isEqualTo(WIDTH);
            assertThat(height).as("height of " + file).isGreaterThan(800);
        }
    }
}
