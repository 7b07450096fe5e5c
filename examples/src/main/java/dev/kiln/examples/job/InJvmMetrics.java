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

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A metric reporter that keeps every metric of the embedded cluster in this JVM, by name, so that
 * the example can print Kiln's own counters (cold reads, warms, commits) while the job runs and in
 * its report. Only for a cluster embedded in the same JVM, which is what the example runs.
 */
public final class InJvmMetrics implements MetricReporter {

    private static final Map<String, List<Metric>> METRICS = new ConcurrentHashMap<>();

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        METRICS.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // Kept: the report reads the final values after the job ended.
    }

    /** Forgets the metrics of earlier jobs, so that a second job in this JVM reports its own. */
    public static void reset() {
        METRICS.clear();
    }

    /** Returns the sum of the counters named {@code name} over all subtasks. */
    public static long count(String name) {
        long sum = 0;
        for (Metric metric : METRICS.getOrDefault(name, List.of())) {
            if (metric instanceof Counter counter) {
                sum += counter.getCount();
            }
        }
        return sum;
    }

    /** Returns the largest value of the numeric gauges named {@code name}, or -1. */
    public static long maxGauge(String name) {
        long max = -1;
        for (Metric metric : METRICS.getOrDefault(name, List.of())) {
            if (metric instanceof Gauge<?> gauge && gauge.getValue() instanceof Number n) {
                max = Math.max(max, n.longValue());
            }
        }
        return max;
    }

    /** Returns the sum of the numeric gauges named {@code name} over all subtasks. */
    public static long sumGauges(String name) {
        long sum = 0;
        for (Metric metric : METRICS.getOrDefault(name, List.of())) {
            if (metric instanceof Gauge<?> gauge && gauge.getValue() instanceof Number n) {
                sum += n.longValue();
            }
        }
        return sum;
    }

    /** Returns the histograms named {@code name}, one per subtask. */
    public static List<Histogram> histograms(String name) {
        List<Histogram> result = new ArrayList<>();
        for (Metric metric : METRICS.getOrDefault(name, List.of())) {
            if (metric instanceof Histogram histogram) {
                result.add(histogram);
            }
        }
        return result;
    }

    /** Creates the reporter; named in the cluster's configuration. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new InJvmMetrics();
        }
    }
}
