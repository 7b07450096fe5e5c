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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Flink's REST API ({@code rest.port} of the JobManager) as the tests read it: the TaskManagers,
 * job states, vertices, metrics of vertices, subtasks and TaskManagers, accumulators and
 * checkpoints. Metric values are returned as numbers.
 */
final class RestApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    RestApi(int port) {
        this.base = URI.create("http://localhost:" + port);
    }

    URI base() {
        return base;
    }

    /** GETs {@code path}; throws {@link IOException} on a status other than 200. */
    JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request =
                HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(
                    "GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** GETs {@code path} as text (the web UI's pages); throws on a status other than 200. */
    String getText(String path) throws IOException, InterruptedException {
        HttpRequest request =
                HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + response.statusCode());
        }
        return response.body();
    }

    /** The ids of the registered TaskManagers ({@code taskmanager.resource-id}). */
    List<String> taskManagers() throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        get("/taskmanagers").path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText()));
        return ids;
    }

    /** The job's state ({@code RUNNING}, {@code FINISHED}, ...). */
    String jobState(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /**
     * Waits until the job reaches {@code state}; fails at once if it reaches another terminal state
     * ({@code FAILED}, {@code CANCELED}, or {@code FINISHED} when not awaited).
     */
    void awaitJobState(String jobId, String state, Duration timeout) throws InterruptedException {
        Deadline.await(
                "job " + jobId + " " + state,
                timeout,
                () -> {
                    String now = jobState(jobId);
                    if (now.equals(state)) {
                        return Optional.of(now);
                    }
                    if (Set.of("FAILED", "CANCELED", "FINISHED").contains(now)) {
                        throw new AssertionError(
                                "job "
                                        + jobId
                                        + " is "
                                        + now
                                        + ", awaited "
                                        + state
                                        + ": "
                                        + get("/jobs/" + jobId + "/exceptions")
                                                .path("rootException")
                                                .asText());
                    }
                    return Optional.empty();
                });
    }

    /** Whether the job is RUNNING with every task of every vertex RUNNING. */
    boolean allTasksRunning(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode vertex : job.path("vertices")) {
            if (vertex.path("tasks").path("RUNNING").asInt()
                    != vertex.path("parallelism").asInt()) {
                return false;
            }
        }
        return true;
    }

    /** The job's vertices: id to name. */
    Map<String, String> vertices(String jobId) throws IOException, InterruptedException {
        Map<String, String> vertices = new LinkedHashMap<>();
        get("/jobs/" + jobId)
                .path("vertices")
                .forEach(v -> vertices.put(v.path("id").asText(), v.path("name").asText()));
        return vertices;
    }

    /**
     * The values of every subtask metric of the job whose name ends with {@code suffix} (for
     * example {@code kilnManifestVersion}), across vertices: metric id (subtask index, operator,
     * group, name) to value.
     */
    Map<String, Double> metrics(String jobId, String suffix)
            throws IOException, InterruptedException {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String vertex : vertices(jobId).keySet()) {
            String path = "/jobs/" + jobId + "/vertices/" + vertex + "/metrics";
            List<String> ids = new ArrayList<>();
            get(path).forEach(m -> ids.add(m.path("id").asText()));
            List<String> wanted =
                    ids.stream().filter(id -> id.endsWith(suffix)).collect(Collectors.toList());
            if (!wanted.isEmpty()) {
                values.putAll(values(get(path + "?get=" + encode(String.join(",", wanted)))));
            }
        }
        return values;
    }

    /** The ids of the vertex's subtask metrics ({@code <subtask>.<operator>.<name>}). */
    List<String> vertexMetricIds(String jobId, String vertexId)
            throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        get("/jobs/" + jobId + "/vertices/" + vertexId + "/metrics")
                .forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }

    /** The values of the vertex's subtask metrics {@code ids}: id to value. */
    Map<String, Double> vertexMetrics(String jobId, String vertexId, List<String> ids)
            throws IOException, InterruptedException {
        return values(
                get(
                        "/jobs/"
                                + jobId
                                + "/vertices/"
                                + vertexId
                                + "/metrics?get="
                                + encode(String.join(",", ids))));
    }

    /**
     * The metric ending with {@code suffix} summed per TaskManager: TaskManager id to the sum over
     * the subtasks it runs (of every vertex).
     */
    Map<String, Double> metricByTaskManager(String jobId, String suffix)
            throws IOException, InterruptedException {
        Map<String, Double> sums = new TreeMap<>();
        for (String vertex : vertices(jobId).keySet()) {
            Map<Integer, String> hosts = new TreeMap<>();
            get("/jobs/" + jobId + "/vertices/" + vertex)
                    .path("subtasks")
                    .forEach(
                            s ->
                                    hosts.put(
                                            s.path("subtask").asInt(),
                                            s.path("taskmanager-id").asText()));
            String path = "/jobs/" + jobId + "/vertices/" + vertex + "/metrics";
            List<String> ids = new ArrayList<>();
            get(path).forEach(m -> ids.add(m.path("id").asText()));
            List<String> wanted =
                    ids.stream().filter(id -> id.endsWith(suffix)).collect(Collectors.toList());
            if (wanted.isEmpty()) {
                continue;
            }
            for (Map.Entry<String, Double> e :
                    values(get(path + "?get=" + encode(String.join(",", wanted)))).entrySet()) {
                int subtask = Integer.parseInt(e.getKey().substring(0, e.getKey().indexOf('.')));
                sums.merge(hosts.getOrDefault(subtask, "?"), e.getValue(), Double::sum);
            }
        }
        return sums;
    }

    /** The ids of the TaskManagers that run a subtask of the job. */
    Set<String> taskManagersOf(String jobId) throws IOException, InterruptedException {
        Set<String> hosts = new TreeSet<>();
        for (String vertex : vertices(jobId).keySet()) {
            get("/jobs/" + jobId + "/vertices/" + vertex)
                    .path("subtasks")
                    .forEach(s -> hosts.add(s.path("taskmanager-id").asText()));
        }
        return hosts;
    }

    /** A job-level metric (e.g. {@code numRestarts}), or NaN if it is not (yet) reported. */
    double jobMetric(String jobId, String name) throws IOException, InterruptedException {
        return values(get("/jobs/" + jobId + "/metrics?get=" + encode(name)))
                .getOrDefault(name, Double.NaN);
    }

    /** The sum over subtasks and vertices of the metric ending with {@code suffix}. */
    double metricSum(String jobId, String suffix) throws IOException, InterruptedException {
        return metrics(jobId, suffix).values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** The largest value over subtasks and vertices of the metric ending with {@code suffix}. */
    double metricMax(String jobId, String suffix) throws IOException, InterruptedException {
        return metrics(jobId, suffix).values().stream()
                .mapToDouble(Double::doubleValue)
                .max()
                .orElse(Double.NaN);
    }

    /**
     * Aggregates over the subtasks of one vertex ({@code
     * /jobs/:jid/vertices/:vid/subtasks/metrics}): metric name to {@code min/max/avg/sum}.
     */
    JsonNode subtaskMetrics(String jobId, String vertexId, List<String> names)
            throws IOException, InterruptedException {
        return get(
                "/jobs/"
                        + jobId
                        + "/vertices/"
                        + vertexId
                        + "/subtasks/metrics?get="
                        + encode(String.join(",", names))
                        + "&agg=min,max,avg,sum");
    }

    /** The TaskManager's metrics named (e.g. {@code Status.JVM.Memory.Metaspace.Used}). */
    Map<String, Double> taskManagerMetrics(String taskManagerId, List<String> names)
            throws IOException, InterruptedException {
        return values(
                get(
                        "/taskmanagers/"
                                + taskManagerId
                                + "/metrics?get="
                                + encode(String.join(",", names))));
    }

    /** The job's user accumulators: name to value (as text). */
    Map<String, String> accumulators(String jobId) throws IOException, InterruptedException {
        Map<String, String> values = new LinkedHashMap<>();
        get("/jobs/" + jobId + "/accumulators")
                .path("user-task-accumulators")
                .forEach(a -> values.put(a.path("name").asText(), a.path("value").asText()));
        return values;
    }

    /** The number of completed checkpoints of the job. */
    long completedCheckpoints(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }

    /** The path of the job's latest completed checkpoint, if any. */
    Optional<String> latestCheckpointPath(String jobId) throws IOException, InterruptedException {
        JsonNode completed =
                get("/jobs/" + jobId + "/checkpoints").path("latest").path("completed");
        return completed.isMissingNode() || completed.isNull()
                ? Optional.empty()
                : Optional.of(completed.path("external_path").asText());
    }

    private static Map<String, Double> values(JsonNode metrics) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (JsonNode m : metrics) {
            try {
                values.put(m.path("id").asText(), Double.parseDouble(m.path("value").asText()));
            } catch (NumberFormatException e) {
                // not a number (a gauge of text): not reported
            }
        }
        return values;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
