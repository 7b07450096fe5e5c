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
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.KeyCodec;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.Compaction;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.Compactor;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The sink's two write-path steps on one thread, without Flink around them, for issue 22 goal 5:
 * {@code flush} adds {@code rows} rows of {@link SinkThroughputBenchmark}'s shape (two BIGINTs and
 * a short string) to a memtable after choosing their bucket from the encoded key, as the sink's
 * writer does, and flushes it as a generation; {@code merge} compacts 8 generations of {@code rows
 * / 8} rows each into one ({@link Compactor#rewrite}, not published), with keys {@code disjoint}
 * (ascending ids, as the end-to-end benchmark writes them) or {@code overlapping} (random upserts
 * over {@code rows / 2} keys). One operation is one whole flush or merge: divide the time and
 * {@code gc.alloc.rate.norm} by {@code rows}; each operation also prints its thread's CPU time per
 * row (the merge reads storage on the same thread; GC threads are not counted).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
public class WritePathBenchmark {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.BIGINT()),
                                    DataTypes.FIELD("s", DataTypes.STRING()))
                            .getLogicalType();

    private static final int GENERATIONS = 8;

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    @Param({"flush", "merge"})
    public String step;

    @Param({"disjoint", "overlapping"})
    public String keys;

    @Param({"1000000"})
    public int rows;

    private java.nio.file.Path dir;
    private BufferAllocator allocator;
    private KilnTable table;
    private RowKeyExtractor extractor;
    private RowData[] input;
    private Compactor compactor;
    private Manifest base;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kiln-bench-writepath");
        allocator = new RootAllocator();
        table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(1)
                                .build());
        extractor = new RowKeyExtractor(ROW_TYPE, List.of("id"));
        Random random = new Random(22);
        input = new RowData[rows];
        for (int i = 0; i < rows; i++) {
            long id = keys.equals("disjoint") ? i : random.nextInt(rows / 2);
            long v = id * 31 + i;
            input[i] = GenericRowData.of(id, v, StringData.fromString("s" + (v & 1023)));
        }
        if (step.equals("merge")) {
            List<GenerationRef> added = new ArrayList<>();
            int per = rows / GENERATIONS;
            for (int g = 0; g < GENERATIONS; g++) {
                added.add(flush(g * per, (g + 1) * per));
            }
            table.commit(new Commit("bench", 1, added, List.of()));
            base = table.latestManifest();
            compactor =
                    new Compactor(
                            table,
                            RangeReader.onFileSystem(Runnable::run),
                            allocator,
                            CompactionPolicy.builder().maxGenerations(2).tierFactor(2).build());
        }
    }

    private GenerationRef flush(int from, int to) throws Exception {
        try (RowDataMemtable memtable = new RowDataMemtable(ROW_TYPE, table.options(), allocator)) {
            for (int i = from; i < to; i++) {
                // as the sink's writer: the bucket from the encoded key, then the memtable
                byte[] key = extractor.key(input[i]);
                if (KeyCodec.bucket(key, 1) != 0) {
                    throw new IllegalStateException();
                }
                memtable.add(input[i], key);
            }
            String path = table.newGenerationPath(0);
            GenerationStats stats = memtable.flush(table.resolve(path));
            return GenerationRef.of(path, 0, stats);
        }
    }

    @Benchmark
    public long run() throws Exception {
        long cpu = THREADS.getCurrentThreadCpuTime();
        long result = step();
        // This thread's CPU time: on a shared machine, steadier than the time JMH reports.
        System.out.printf(
                "%n%s %s: %.0f ns of CPU per row%n",
                step, keys, (THREADS.getCurrentThreadCpuTime() - cpu) / (double) rows);
        return result;
    }

    private long step() throws Exception {
        if (step.equals("flush")) {
            GenerationRef written = flush(0, rows);
            delete(written.path());
            return written.sizeBytes();
        }
        List<Compaction> compactions = compactor.rewrite(base, null);
        if (compactions.size() != 1 || compactions.get(0).inputs().size() != GENERATIONS) {
            throw new IllegalStateException("expected one merge of all: " + compactions);
        }
        GenerationRef output = compactions.get(0).output();
        delete(output.path());
        return output.rowCount();
    }

    private void delete(String path) throws Exception {
        table.resolve(path).getFileSystem().delete(table.resolve(path), false);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        allocator.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
