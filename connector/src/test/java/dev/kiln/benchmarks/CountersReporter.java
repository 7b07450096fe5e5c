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

package dev.kiln.benchmarks;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Flink metric reporter, for benchmarks on an embedded MiniCluster, that keeps every counter
 * registered so that the benchmark can sum them by name once the job ended: {@code
 * metrics.reporter.<name>.factory.class} set to {@link Factory} (registered as a service in the
 * test resources). Counters of ended tasks are kept with their last counts.
 */
public final class CountersReporter implements MetricReporter {

    private static final Map<String, List<Counter>> COUNTERS = new ConcurrentHashMap<>();

    /** Forgets the counters registered so far (before a job whose counts are wanted). */
    static void clear() {
        COUNTERS.clear();
    }

    /** Sums the counters registered as {@code name} since the last {@link #clear}. */
    static long sum(String name) {
        return COUNTERS.getOrDefault(name, List.of()).stream().mapToLong(Counter::getCount).sum();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        if (metric instanceof Counter counter) {
            COUNTERS.computeIfAbsent(metricName, n -> new CopyOnWriteArrayList<>()).add(counter);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        // kept: the job's counts are read after it ended
    }

    /** Creates {@link CountersReporter}s. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CountersReporter();
        }
    }
}
