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

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Waits for a job to finish while sampling, over REST, the figures the scenarios report: the sink's
 * commit latency (the {@code kilnCommitLatencyMs} histogram's median and p99, last seen while
 * running) and the lookups' cold reads per TaskManager ({@code coldReads}, last seen while running:
 * a finished job's metrics are gone).
 */
final class JobWatch {

    private JobWatch() {}

    /** Waits for {@code FINISHED}; prints the figures under {@code scenario}. */
    static void awaitFinished(RestApi rest, String jobId, String scenario, Duration timeout)
            throws InterruptedException {
        double[] latency = {Double.NaN, Double.NaN};
        @SuppressWarnings("unchecked")
        Map<String, Double>[] coldReads = new Map[] {Map.of()};
        double[] lookups = {0};
        Deadline.await(
                "job " + jobId + " to finish",
                timeout,
                () -> {
                    String state = rest.jobState(jobId);
                    if ("FINISHED".equals(state)) {
                        return Optional.of(state);
                    }
                    if ("FAILED".equals(state) || "CANCELED".equals(state)) {
                        throw new AssertionError(
                                "job "
                                        + jobId
                                        + " "
                                        + state
                                        + ": "
                                        + rest.get("/jobs/" + jobId + "/exceptions")
                                                .path("rootException")
                                                .asText());
                    }
                    if ("RUNNING".equals(state)) {
                        double p50 = rest.metricMax(jobId, "kilnCommitLatencyMs_median");
                        if (!Double.isNaN(p50)) {
                            latency[0] = p50;
                            latency[1] = rest.metricMax(jobId, "kilnCommitLatencyMs_p99");
                        }
                        Map<String, Double> cold = rest.metricByTaskManager(jobId, ".coldReads");
                        if (!cold.isEmpty()) {
                            coldReads[0] = cold;
                            lookups[0] = rest.metricSum(jobId, ".lookups");
                        }
                    }
                    return Optional.empty();
                });
        if (!Double.isNaN(latency[0])) {
            Figures.print(scenario, "commitLatencyMedianMs", latency[0], "ms");
            Figures.print(scenario, "commitLatencyP99Ms", latency[1], "ms");
        }
        Figures.print(scenario, "lookupsSeen", lookups[0], "lookups");
        coldReads[0].forEach(
                (tm, n) -> Figures.print(scenario, "coldReads[" + tm + "]", n, "reads"));
    }
}
