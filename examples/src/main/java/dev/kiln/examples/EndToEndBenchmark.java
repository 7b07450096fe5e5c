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

import dev.kiln.examples.job.ExampleRun;
import dev.kiln.examples.job.Flags;
import dev.kiln.examples.job.LookupStats;
import dev.kiln.examples.job.SlowFileSystem;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The end-to-end benchmark: the main example's job run twice in this JVM over storage with a remote
 * store's latency, once as Kiln is built and once as the baseline: warming and single flight
 * switched off, a plain cache per lookup subtask ({@link ExampleRun.Variant#PLAIN}), then a
 * side-by-side report and a PNG chart of lookup p99 over time with each commit marked. Flags are
 * the example's plus {@code --latency-ms} (default 4) and {@code --chart FILE} (default {@code
 * target/e2e-lookup-latency.png}). Fails if any answer is wrong.
 */
public final class EndToEndBenchmark {

    private static final String KILN = "Kiln (warm before commit and swap)";
    private static final String BASELINE = "plain cache (no warming, no single flight)";
    private static final long BUCKET_MILLIS = 200;
    private static final long AGE_BIN_MILLIS = 50;
    private static final long MAX_AGE_MILLIS = 1000;
    private static final long WARM_UP_MILLIS = ExampleRun.WARM_UP_MILLIS;

    private EndToEndBenchmark() {}

    public static void main(String[] args) throws Exception {
        long latencyMs = 4;
        Path chart = Paths.get("target", "e2e-lookup-latency.png");
        List<String> rest = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--latency-ms") && i + 1 < args.length) {
                    latencyMs = Long.parseLong(args[++i]);
                    if (latencyMs < 0) {
                        throw new IllegalArgumentException("--latency-ms must be >= 0");
                    }
                } else if (args[i].equals("--chart") && i + 1 < args.length) {
                    chart = Paths.get(args[++i]);
                } else {
                    rest.add(args[i]);
                }
            }
        } catch (NumberFormatException e) {
            usage("--latency-ms must be a number: " + e.getMessage());
            return;
        }
        Flags flags;
        try {
            flags = Flags.parse(rest.toArray(new String[0]));
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        if (flags.help()) {
            usage(null);
            return;
        }
        run(flags, latencyMs, chart);
    }

    private static void usage(String error) {
        if (error != null) {
            System.err.println(error);
            System.err.println();
        }
        System.err.println(
                "End-to-end benchmark: Kiln vs the same job with a plain cache (warming and"
                        + " single flight off, a cache per subtask), over storage that"
                        + " waits --latency-ms N (default 4) per read request; writes a chart to"
                        + " --chart FILE (default target/e2e-lookup-latency.png). Other flags:");
        System.err.println(Flags.usage());
        if (error != null) {
            System.exit(2);
        }
    }

    /** Runs both variants and writes the chart; returns their outcomes (Kiln, baseline). */
    public static List<ExampleRun.Outcome> run(Flags flags, long latencyMs, Path chart)
            throws Exception {
        Path dir = flags.table().getParent();
        System.out.printf("== Kiln as built, storage latency %d ms per request%n", latencyMs);
        SlowFileSystem.reset(latencyMs * 1000);
        ExampleRun.Outcome kiln =
                new ExampleRun(flags, dir.resolve("kiln-table"), ExampleRun.Variant.KILN, true)
                        .run();
        System.out.printf(
                "%n== Baseline: a plain cache per subtask, warming and single flight off, storage"
                        + " latency %d ms per request%n",
                latencyMs);
        SlowFileSystem.reset(latencyMs * 1000);
        ExampleRun.Outcome plain =
                new ExampleRun(flags, dir.resolve("baseline-table"), ExampleRun.Variant.PLAIN, true)
                        .run();
        compare(kiln, plain);
        writeChart(kiln, plain, chart);
        Path byAge = byCommitAge(chart);
        writeCommitAgeChart(kiln, plain, byAge);
        System.out.printf("%ncharts: %s, %s%n", chart.toAbsolutePath(), byAge.toAbsolutePath());
        return List.of(kiln, plain);
    }

    private static void compare(ExampleRun.Outcome kiln, ExampleRun.Outcome plain) {
        System.out.printf("%n== Kiln vs a plain cache (one run)%n");
        System.out.printf("  %-44s %12s %12s %10s%n", "", "Kiln", "plain", "plain/Kiln");
        row("cold reads on lookups", kiln.coldReads(), plain.coldReads());
        row("pages read from storage", kiln.cache().pagesRead(), plain.cache().pagesRead());
        row(
                "distinct pages read",
                kiln.cache().distinctPagesRead(),
                plain.cache().distinctPagesRead());
        row(
                "loads per distinct page",
                kiln.cache().loadsPerDistinctPage(),
                plain.cache().loadsPerDistinctPage());
        row("joins of a page load in flight", kiln.cache().pageJoins(), plain.cache().pageJoins());
        row(
                "storage requests of the caches",
                kiln.cache().storageRequests(),
                plain.cache().storageRequests());
        row(
                "storage requests (all file opens for reading)",
                kiln.storageRequests(),
                plain.storageRequests());
        row("lookups answered with no storage read", kiln.hits(), plain.hits());
        long[] kilnAll = afterWarmUp(kiln);
        long[] plainAll = afterWarmUp(plain);
        row("lookup p50 after the first 5 s (µs)", p(kilnAll, 0.5), p(plainAll, 0.5));
        row("lookup p99 after the first 5 s (µs)", p(kilnAll, 0.99), p(plainAll, 0.99));
        row(
                "p99 in 200 ms after a commit (µs)",
                p(kiln.afterCommits(), 0.99),
                p(plain.afterCommits(), 0.99));
        row("p99 at other times (µs)", p(kiln.otherTimes(), 0.99), p(plain.otherTimes(), 0.99));
        // Freshness, as ExampleRun reports it (see Freshness for the definitions).
        row("stale answers", kiln.freshness().stale(), plain.freshness().stale());
        row(
                "staleness p50 of stale answers (ms)",
                kiln.freshness().stalenessQuantile(0.5),
                plain.freshness().stalenessQuantile(0.5));
        row(
                "staleness p99 of stale answers (ms)",
                kiln.freshness().stalenessQuantile(0.99),
                plain.freshness().stalenessQuantile(0.99));
        row(
                "answers matching no committed version",
                kiln.freshness().unmatched(),
                plain.freshness().unmatched());
    }

    private static long[] afterWarmUp(ExampleRun.Outcome outcome) {
        return java.util.stream.LongStream.concat(
                        java.util.Arrays.stream(outcome.afterCommits()),
                        java.util.Arrays.stream(outcome.otherTimes()))
                .sorted()
                .toArray();
    }

    private static long p(long[] sorted, double q) {
        return LookupStats.quantile(sorted, q);
    }

    private static void row(String name, double kiln, double plain) {
        System.out.printf(
                "  %-44s %12.2f %12.2f %10s%n",
                name, kiln, plain, kiln == 0 ? "-" : String.format("%.2f", plain / kiln));
    }

    private static void row(String name, long kiln, long plain) {
        System.out.printf(
                "  %-44s %,12d %,12d %10s%n",
                name,
                kiln,
                plain,
                kiln == 0
                        ? (plain == 0 ? "-" : "inf")
                        : String.format("%.2f", (double) plain / kiln));
    }

    /** Writes a PNG of lookup p99 per bucket of time, both variants, commits marked. */
    static void writeChart(ExampleRun.Outcome kiln, ExampleRun.Outcome plain, Path file)
            throws java.io.IOException {
        XYPlot plot =
                plot(
                        series(KILN, kiln),
                        series(BASELINE, plain),
                        "time since start (s)",
                        "lookup p99 per " + BUCKET_MILLIS + " ms (ms, log scale)");
        mark(plot, kiln, new Color(31, 119, 180, 90));
        mark(plot, plain, new Color(214, 39, 40, 90));
        save(plot, "Lookup latency through commits (vertical lines: commits)", file);
    }

    /** The path of the second chart: {@code x.png} gives {@code x-by-commit-age.png}. */
    static Path byCommitAge(Path chart) {
        String name = chart.getFileName().toString();
        String stem = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        return chart.resolveSibling(stem + "-by-commit-age.png");
    }

    /**
     * Writes a PNG of lookup p99 against the time since the latest commit (every commit of the run
     * after the warm-up folded onto one axis, in bins of {@value #AGE_BIN_MILLIS} ms): the latency
     * a commit causes, if any, stands out in the first bins.
     */
    static void writeCommitAgeChart(ExampleRun.Outcome kiln, ExampleRun.Outcome plain, Path file)
            throws java.io.IOException {
        save(
                plot(
                        byAgeSeries(KILN, kiln),
                        byAgeSeries(BASELINE, plain),
                        "time since the latest commit (ms)",
                        "lookup p99 per " + AGE_BIN_MILLIS + " ms since a commit (ms, log scale)"),
                "Lookup latency by time since the latest commit (after the first "
                        + WARM_UP_MILLIS / 1000
                        + " s)",
                file);
    }

    private static XYSeries byAgeSeries(String name, ExampleRun.Outcome outcome) {
        long[] commits = outcome.commitMillis().clone();
        java.util.Arrays.sort(commits);
        TreeMap<Long, List<Long>> bins = new TreeMap<>();
        for (LookupStats.Sample s : outcome.samples()) {
            if (s.issuedAtMillis() < outcome.startedMillis() + WARM_UP_MILLIS) {
                continue;
            }
            int i = java.util.Arrays.binarySearch(commits, s.issuedAtMillis());
            int latest = i >= 0 ? i : -i - 2;
            if (latest < 0) {
                continue;
            }
            long age = s.issuedAtMillis() - commits[latest];
            if (age < MAX_AGE_MILLIS) {
                bins.computeIfAbsent(age / AGE_BIN_MILLIS, b -> new ArrayList<>())
                        .add(s.latencyMicros());
            }
        }
        XYSeries series = new XYSeries(name);
        bins.forEach(
                (bin, latencies) ->
                        series.add(
                                bin * AGE_BIN_MILLIS + AGE_BIN_MILLIS / 2.0, p99Millis(latencies)));
        return series;
    }

    /** The p99 of latencies in µs, in ms, at least 0.01 (the log axis' floor). */
    private static double p99Millis(List<Long> latencies) {
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return Math.max(0.01, LookupStats.quantile(sorted, 0.99) / 1000.0);
    }

    private static XYPlot plot(XYSeries kiln, XYSeries plain, String xLabel, String yLabel) {
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(kiln);
        data.addSeries(plain);
        LogAxis y = new LogAxis(yLabel);
        y.setSmallestValue(0.01);
        y.setNumberFormatOverride(new DecimalFormat("0.##"));
        return new XYPlot(data, new NumberAxis(xLabel), y, renderer());
    }

    private static XYLineAndShapeRenderer renderer() {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setSeriesPaint(0, new Color(0x1f77b4));
        renderer.setSeriesPaint(1, new Color(0xd62728));
        renderer.setSeriesStroke(0, new BasicStroke(1.6f));
        renderer.setSeriesStroke(1, new BasicStroke(1.6f));
        return renderer;
    }

    private static void save(XYPlot plot, String title, Path file) throws java.io.IOException {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(new File(file.toString()), chart, 1200, 600);
    }

    private static XYSeries series(String name, ExampleRun.Outcome outcome) {
        TreeMap<Long, List<Long>> buckets = new TreeMap<>();
        for (LookupStats.Sample s : outcome.samples()) {
            long bucket = (s.issuedAtMillis() - outcome.startedMillis()) / BUCKET_MILLIS;
            buckets.computeIfAbsent(bucket, b -> new ArrayList<>()).add(s.latencyMicros());
        }
        XYSeries series = new XYSeries(name);
        buckets.forEach(
                (bucket, latencies) ->
                        series.add(bucket * BUCKET_MILLIS / 1000.0, p99Millis(latencies)));
        return series;
    }

    private static void mark(XYPlot plot, ExampleRun.Outcome outcome, Color color) {
        for (long t : outcome.commitMillis()) {
            ValueMarker marker = new ValueMarker((t - outcome.startedMillis()) / 1000.0);
            marker.setPaint(color);
            marker.setStroke(new BasicStroke(1f));
            plot.addDomainMarker(marker);
        }
    }
}
