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

import dev.kiln.flink.action.CompactAction;
import dev.kiln.flink.source.KilnTableReader;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.CloseableIterator;

import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.stream.Stream;

/**
 * Issue 22's workload as a new user runs it: {@code rows} small upserts (a BIGINT id drawn at
 * random from {@code [0, keys)}, a 30-bit BIGINT, a 4-letter string) from Flink's {@code datagen}
 * through SQL {@code INSERT INTO} a Kiln table created with the connector's defaults (16 buckets,
 * ZSTD pages, compaction and warming on) at parallelism {@code parallelism}, a checkpoint (and so a
 * commit) per second; and the same rows into the {@code blackhole} connector. For each it prints
 * rows per second of the job's wall time and rows per CPU-second of the whole process (source,
 * shuffle, sink, warm, commit, Flink). For Kiln it prints the bytes of the live table (its latest
 * manifest's generations), of its directory (with generations not yet expired), and of Parquet
 * files (ZSTD and snappy, written by DuckDB) of the same final rows sorted by id; then it compacts
 * the table to one generation per bucket ({@link CompactAction}) and prints its bytes again.
 *
 * <p>For each job it also prints where the process's CPU time went by thread ({@link
 * ThreadCpuSplit}), and for Kiln the writers' counters ({@link CountersReporter}): rows,
 * generations flushed, compactions and the rows they read and wrote, since a job that runs more
 * compactions does more work per row; and the Kiln job's rates over its second half ({@link
 * SecondHalf}), past the start-up work that a long-running job pays once.
 *
 * <p>Usage: {@code SqlUpsertWorkload [rows] [keys] [parallelism] [dir] [kiln options]}; defaults
 * 20,000,000, 2,000,000, 2, a temporary directory and none. {@code kiln options} are more {@code
 * WITH} options of the Kiln table, comma-separated {@code key=value} (for example {@code
 * write.filter-fpp.bottommost=0.9,write.compression.compaction-level=9}); a new table records them.
 * A plain program, not JMH: one job per sink is the figure.
 */
public final class SqlUpsertWorkload {

    private SqlUpsertWorkload() {}

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
        long keys = args.length > 1 ? Long.parseLong(args[1]) : 2_000_000L;
        int parallelism = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        java.nio.file.Path dir =
                args.length > 3
                        ? java.nio.file.Path.of(args[3])
                        : Files.createTempDirectory("kiln-sql-upserts");
        StringBuilder with = new StringBuilder();
        if (args.length > 4 && !args[4].isBlank()) {
            for (String option : args[4].split(",")) {
                String[] kv = option.split("=", 2);
                with.append(", '")
                        .append(kv[0].trim())
                        .append("' = '")
                        .append(kv[1].trim())
                        .append("'");
            }
            System.out.println("kiln      options:" + with.substring(1));
        }
        for (String sink : new String[] {"blackhole", "kiln"}) {
            java.nio.file.Path table = dir.resolve(sink + "-" + System.nanoTime());
            double[] figures = run(sink, table, rows, keys, parallelism, with.toString());
            System.out.printf(
                    "%-9s %,d rows over %,d keys, parallelism %d: %,.0f rows/s, %,.0f rows per"
                            + " CPU-second%n",
                    sink, rows, keys, parallelism, figures[0], figures[1]);
            if (sink.equals("kiln")) {
                bytes(table);
                int commits =
                        CompactAction.compact(
                                new Path(table.toUri()),
                                CompactionPolicy.builder().maxGenerations(1).build());
                Manifest compacted = KilnTable.open(new Path(table.toUri())).latestManifest();
                long bytes = 0;
                long rowsLeft = 0;
                for (GenerationRef ref : compacted.generations()) {
                    bytes += ref.sizeBytes();
                    rowsLeft += ref.rowCount();
                }
                System.out.printf(
                        "kiln      compacted to one generation per bucket (%d commits, the"
                                + " table's own codec): %,d rows in %d generations, %,d B ="
                                + " %.2f B/row%n",
                        commits,
                        rowsLeft,
                        compacted.generations().size(),
                        bytes,
                        (double) bytes / rowsLeft);
            }
        }
    }

    private static double[] run(
            String sink,
            java.nio.file.Path table,
            long rows,
            long keys,
            int parallelism,
            String kilnOptions)
            throws Exception {
        TableEnvironment tEnv = tableEnvironment(parallelism);
        tEnv.executeSql(
                "CREATE TEMPORARY TABLE upserts (id BIGINT, v BIGINT, s STRING) WITH ("
                        + "'connector' = 'datagen', 'number-of-rows' = '"
                        + rows
                        + "', 'rows-per-second' = '1000000000',"
                        + " 'fields.id.min' = '0', 'fields.id.max' = '"
                        + (keys - 1)
                        + "', 'fields.v.min' = '0', 'fields.v.max' = '1073741823',"
                        + " 'fields.s.length' = '4')");
        tEnv.executeSql(
                "CREATE TABLE t (id BIGINT, v BIGINT, s STRING, PRIMARY KEY (id) NOT ENFORCED)"
                        + " WITH ("
                        + (sink.equals("kiln")
                                ? "'connector' = 'kiln', 'path' = '"
                                        + table.toUri()
                                        + "'"
                                        + kilnOptions
                                : "'connector' = 'blackhole'")
                        + ")");
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        CountersReporter.clear();
        ThreadCpuSplit split = ThreadCpuSplit.start();
        SecondHalf secondHalf =
                sink.equals("kiln")
                        ? SecondHalf.watch(() -> CountersReporter.sum("kilnRowsWritten"), rows / 2)
                        : null;
        long cpuBefore = os.getProcessCpuTime();
        long start = System.nanoTime();
        tEnv.executeSql("INSERT INTO t SELECT * FROM upserts").await();
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
        double[] half = secondHalf == null ? null : secondHalf.stop(rows);
        if (half != null) {
            System.out.printf(
                    "%-9s second half (from the writers' %,d th row): %,.0f rows/s, %,.0f rows per"
                            + " CPU-second%n",
                    sink, rows / 2, half[0], half[1]);
        }
        System.out.print(split.stop(String.format("%-9s cpu ", sink)));
        if (sink.equals("kiln")) {
            System.out.printf(
                    "kiln      writers: %,d rows, %,d generations flushed; compaction: %,d"
                            + " compactions, %,d rows read and %,d written (%,d B read, %,d B"
                            + " written)%n",
                    CountersReporter.sum("kilnRowsWritten"),
                    CountersReporter.sum("kilnGenerationsWritten"),
                    CountersReporter.sum("kilnCompactionsRun"),
                    CountersReporter.sum("kilnCompactionRowsRead"),
                    CountersReporter.sum("kilnCompactionRowsWritten"),
                    CountersReporter.sum("kilnCompactionBytesRead"),
                    CountersReporter.sum("kilnCompactionBytesWritten"));
        }
        return new double[] {rows / seconds, rows / cpuSeconds};
    }

    /**
     * A streaming {@link TableEnvironment} on an embedded MiniCluster whose counters {@link
     * CountersReporter} keeps, at {@code parallelism}, with a checkpoint (and so a Kiln commit) per
     * second.
     */
    static TableEnvironment tableEnvironment(int parallelism) {
        Configuration config = new Configuration();
        config.setString(
                "metrics.reporter.counters.factory.class",
                CountersReporter.Factory.class.getName());
        TableEnvironment tEnv =
                TableEnvironment.create(
                        EnvironmentSettings.newInstance()
                                .inStreamingMode()
                                .withConfiguration(config)
                                .build());
        tEnv.getConfig().set("parallelism.default", String.valueOf(parallelism));
        tEnv.getConfig().set("execution.checkpointing.interval", "1 s");
        return tEnv;
    }

    private static void bytes(java.nio.file.Path table) throws Exception {
        Manifest manifest = KilnTable.open(new Path(table.toUri())).latestManifest();
        long liveBytes = 0;
        long liveRows = 0;
        for (GenerationRef ref : manifest.generations()) {
            liveBytes += ref.sizeBytes();
            liveRows += ref.rowCount();
        }
        long directoryBytes;
        try (Stream<java.nio.file.Path> files = Files.walk(table)) {
            directoryBytes =
                    files.filter(Files::isRegularFile).mapToLong(SqlUpsertWorkload::size).sum();
        }
        long finalRows = 0;
        try (DuckDBConnection db = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
                Statement sql = db.createStatement()) {
            sql.execute("SET threads TO 1");
            sql.execute("CREATE TABLE t (id BIGINT, v BIGINT, s VARCHAR)");
            try (KilnTableReader reader = KilnTableReader.open(new Path(table.toUri()));
                    CloseableIterator<RowData> rows = reader.latest().scan();
                    DuckDBAppender appender =
                            db.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "t")) {
                while (rows.hasNext()) {
                    RowData row = rows.next();
                    appender.beginRow();
                    appender.append(row.getLong(0));
                    appender.append(row.getLong(1));
                    appender.append(row.getString(2).toString());
                    appender.endRow();
                    finalRows++;
                }
            }
            System.out.printf(
                    "kiln      version %d: %,d live rows in %d generations (%,d rows read back),"
                            + " live %,d B = %.2f B/row, directory %,d B = %.2f B/row%n",
                    manifest.version(),
                    liveRows,
                    manifest.generations().size(),
                    finalRows,
                    liveBytes,
                    (double) liveBytes / finalRows,
                    directoryBytes,
                    (double) directoryBytes / finalRows);
            for (String compression : new String[] {"zstd", "snappy"}) {
                java.nio.file.Path file = table.resolveSibling("final-" + compression + ".parquet");
                sql.execute(
                        "COPY (SELECT * FROM t ORDER BY id) TO '"
                                + file
                                + "' (FORMAT parquet, COMPRESSION "
                                + compression
                                + ")");
                System.out.printf(
                        "parquet   %s, the same %,d rows sorted by id: %,d B = %.2f B/row%n",
                        compression,
                        finalRows,
                        Files.size(file),
                        (double) Files.size(file) / finalRows);
            }
        }
    }

    private static long size(java.nio.file.Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
