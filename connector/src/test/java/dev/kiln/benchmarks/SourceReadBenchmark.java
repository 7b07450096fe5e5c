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

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.source.KilnSourceReaderDriver;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The source's reader on one thread ({@code KilnSourceReader}, driven as its task would drive it,
 * every bucket a split of it, storage read on the same thread) over a table on the local file
 * system: rows per second of a full snapshot ({@code +I}) and of following versions of changes
 * ({@code +U}/{@code -D}). One operation is one row; an invocation reads all {@value #ROWS} rows of
 * its workload with a new reader, and checks the count.
 *
 * <p>The table: {@code (id BIGINT NOT NULL, v BIGINT, s STRING)} of 2–5 characters, keyed by id, 4
 * buckets, default page size. Snapshot: {@value #ROWS} distinct keys written by 4 commits of
 * interleaved keys (id mod 4), so each bucket holds 4 generations spanning its key range and the
 * merge is 4-way. Following: {@value #VERSIONS} later versions of {@value #CHANGES_PER_VERSION}
 * distinct random keys each, one in five a delete (a generation per bucket per version).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SourceReadBenchmark {

    static final int ROWS = 1_000_000;
    static final int SNAPSHOT_COMMITS = 4;
    static final int VERSIONS = 100;
    static final int CHANGES_PER_VERSION = ROWS / VERSIONS;

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.BIGINT()),
                                    DataTypes.FIELD("s", DataTypes.STRING()))
                            .getLogicalType();

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private java.nio.file.Path dir;
    private KilnTable table;
    private long rowsRead;
    private long threadCpuNanos;
    private long processCpuStart;
    private long wallStart;
    private long snapshotVersion;
    private long latestVersion;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("kiln-source-bench");
        table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(4)
                                .build());
        long start = System.nanoTime();
        long checkpoint = 0;
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int c = 0; c < SNAPSHOT_COMMITS; c++) {
                List<RowData> rows = new ArrayList<>(ROWS / SNAPSHOT_COMMITS);
                for (long id = c; id < ROWS; id += SNAPSHOT_COMMITS) {
                    rows.add(row(id, id * 31));
                }
                snapshotVersion = commit(allocator, rows, ++checkpoint);
            }
            Random random = new Random(21);
            for (int v = 0; v < VERSIONS; v++) {
                BitSet chosen = new BitSet(ROWS);
                List<RowData> rows = new ArrayList<>(CHANGES_PER_VERSION);
                while (rows.size() < CHANGES_PER_VERSION) {
                    int id = random.nextInt(ROWS);
                    if (!chosen.get(id)) {
                        chosen.set(id);
                        rows.add(
                                random.nextInt(5) == 0
                                        ? GenericRowData.ofKind(
                                                RowKind.DELETE, (long) id, null, null)
                                        : row(id, random.nextLong()));
                    }
                }
                latestVersion = commit(allocator, rows, ++checkpoint);
            }
        }
        System.out.printf(
                "%ntable: %d rows in version %d, then %d versions of %d changes (to version %d),"
                        + " %d generations live, written in %d s%n",
                ROWS,
                snapshotVersion,
                VERSIONS,
                CHANGES_PER_VERSION,
                latestVersion,
                table.latestManifest().generations().size(),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
    }

    private static RowData row(long id, long v) {
        return GenericRowData.of(id, v, StringData.fromString("s" + (id & 1023)));
    }

    /** Commits {@code rows} as one generation per bucket; returns the version published. */
    private long commit(BufferAllocator allocator, List<RowData> rows, long checkpoint)
            throws IOException {
        int buckets = table.options().bucketCount();
        List<RowDataMemtable> memtables = new ArrayList<>();
        try {
            for (int b = 0; b < buckets; b++) {
                memtables.add(new RowDataMemtable(ROW_TYPE, table.options(), allocator));
            }
            for (RowData row : rows) {
                byte[] key = table.options().keyCodec().encode(row.getLong(0));
                memtables.get(table.options().bucketOf(key)).add(row);
            }
            List<GenerationRef> added = new ArrayList<>();
            for (int b = 0; b < buckets; b++) {
                if (!memtables.get(b).isEmpty()) {
                    String path = table.newGenerationPath(b);
                    added.add(
                            GenerationRef.of(path, b, memtables.get(b).flush(table.resolve(path))));
                }
            }
            return table.commit(new Commit("bench", checkpoint, added, List.of())).version();
        } finally {
            memtables.forEach(RowDataMemtable::close);
        }
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        rowsRead = 0;
        threadCpuNanos = 0;
        processCpuStart = OS.getProcessCpuTime();
        wallStart = System.nanoTime();
    }

    /**
     * Prints the iteration's rows per CPU-second of the reading thread (what one core does with the
     * reader alone, whatever else the machine runs) and of the whole process (GC, JIT and JMH's
     * threads included), and the share of a core the reading thread got.
     */
    @TearDown(Level.Iteration)
    public void endIteration() {
        long wall = System.nanoTime() - wallStart;
        System.out.printf(
                "  [%d rows: %.0f rows per reader-thread CPU-second, %.0f per process"
                        + " CPU-second; reader thread on CPU %.0f%% of the time]%n",
                rowsRead,
                rowsRead / (threadCpuNanos / 1e9),
                rowsRead / ((OS.getProcessCpuTime() - processCpuStart) / 1e9),
                100.0 * threadCpuNanos / wall);
    }

    /** The full snapshot of the version holding the {@value #ROWS} rows, as {@code +I}. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long fullSnapshot(Blackhole sink) throws Exception {
        try (KilnSourceReaderDriver reader =
                KilnSourceReaderDriver.snapshot(table, ROW_TYPE, snapshotVersion)) {
            return timed(reader, sink);
        }
    }

    /** The changes of the {@value #VERSIONS} later versions, as {@code +U} and {@code -D}. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long following(Blackhole sink) throws Exception {
        try (KilnSourceReaderDriver reader =
                KilnSourceReaderDriver.follow(table, ROW_TYPE, snapshotVersion, latestVersion)) {
            return timed(reader, sink);
        }
    }

    /** Drains {@code reader}, checks the count, and adds its thread CPU time to the iteration's. */
    private long timed(KilnSourceReaderDriver reader, Blackhole sink) throws Exception {
        long cpu = THREADS.getCurrentThreadCpuTime();
        long rows = reader.drain(sink::consume);
        threadCpuNanos += THREADS.getCurrentThreadCpuTime() - cpu;
        if (rows != ROWS) {
            throw new IllegalStateException("read " + rows + " rows, expected " + ROWS);
        }
        rowsRead += rows;
        return rows;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
