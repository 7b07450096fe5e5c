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

package dev.kiln.table;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.Page;
import dev.kiln.format.RowKind;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The streaming merge of a compaction, over real generation files, against a reference merge. */
class GenerationMergerTest {

    /** A tombstone in the reference. */
    private static final String DELETE = "\u0000delete";

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private RangeReader io;
    private KilnTable table;

    @BeforeEach
    void setUp() throws IOException {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(2);
        io = RangeReader.onFileSystem(ioPool);
        table =
                KilnTable.create(
                        new Path(dir.resolve("table").toUri()),
                        TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                .bucketCount(1)
                                .targetPageBytes(512)
                                .build());
    }

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    /**
     * Random runs of 1 to 6 generations with overlapping keys, updates, deletes and null values,
     * merged with tombstones kept and dropped: the output holds exactly the reference merge's rows
     * (the newest row per key, in key order, tombstones as asked), its file is byte for byte the
     * one a single write of those rows gives (so the merge is deterministic), and no Arrow memory
     * remains allocated.
     */
    @Test
    void mergesAsTheReferenceAndWritesTheSameBytesAsOneWrite() throws Exception {
        Random random = new Random(22);
        for (int round = 0; round < 40; round++) {
            int generations = 1 + random.nextInt(6);
            int keySpace = 1 + random.nextInt(round % 2 == 0 ? 50 : 400);
            List<GenerationRef> run = new ArrayList<>();
            Map<Long, String> reference = new TreeMap<>();
            for (int g = 0; g < generations; g++) {
                Map<Long, String> rows = new LinkedHashMap<>();
                int count = 1 + random.nextInt(200);
                for (int i = 0; i < count; i++) {
                    long id = random.nextInt(keySpace) - keySpace / 2;
                    int dice = random.nextInt(10);
                    rows.put(
                            id,
                            dice < 3 ? DELETE : dice == 3 ? null : "v" + g + "-" + i + "-" + id);
                }
                run.add(write(rows));
                reference.putAll(rows);
            }
            for (boolean drop : new boolean[] {false, true}) {
                Compaction compaction =
                        new GenerationMerger(table, io, allocator).merge(0, run, drop);
                assertThat(compaction.inputs())
                        .containsExactlyElementsOf(run.stream().map(GenerationRef::path).toList());
                Map<Long, String> expected = new TreeMap<>(reference);
                if (drop) {
                    expected.values().removeIf(DELETE::equals);
                }
                if (expected.isEmpty()) {
                    assertThat(compaction.output()).as("round %d", round).isNull();
                    continue;
                }
                GenerationRef output = compaction.output();
                assertThat(read(output)).as("round %d", round).isEqualTo(expected);
                GenerationRef single = write(expected);
                assertThat(bytes(output)).isEqualTo(bytes(single));
                assertThat(output.sizeBytes()).isEqualTo(single.sizeBytes());
                assertThat(output.rowCount()).isEqualTo(expected.size());
                assertThat(allocator.getAllocatedMemory()).isZero();
            }
        }
    }

    /**
     * Memory is a page per input plus the output's page: merging 4 generations of 5,000 rows each
     * (2 KiB pages) never holds more than a small fraction of the rows in Arrow memory at once.
     */
    @Test
    void holdsAPagePerInputNotTheRun() throws Exception {
        Random random = new Random(5);
        List<GenerationRef> run = new ArrayList<>();
        long decoded = 0;
        for (int g = 0; g < 4; g++) {
            Map<Long, String> rows = new LinkedHashMap<>();
            for (int i = 0; i < 5_000; i++) {
                rows.put((long) random.nextInt(40_000), "value-" + g + "-" + i);
            }
            run.add(write(rows));
            decoded += rows.size() * (8L + 4 + 20);
        }
        try (BufferAllocator merging = allocator.newChildAllocator("merge", 0, Long.MAX_VALUE)) {
            Compaction compaction = new GenerationMerger(table, io, merging).merge(0, run, true);
            assertThat(compaction.output().rowCount()).isGreaterThan(10_000);
            assertThat(merging.getPeakMemoryAllocation()).isLessThan(decoded / 8);
            assertThat(merging.getAllocatedMemory()).isZero();
        }
    }

    /**
     * An input page found corrupt while the output is half written fails the merge with the
     * corruption, deletes the partial output and releases every page.
     */
    @Test
    void aCorruptInputPageDeletesThePartialOutput() throws Exception {
        Map<Long, String> rows = new LinkedHashMap<>();
        for (long id = 0; id < 2_000; id++) {
            rows.put(id, "value-" + id);
        }
        GenerationRef good = write(rows);
        GenerationRef bad = write(rows);
        Generation generation = Generation.open(io, table.resolve(bad.path())).join();
        assertThat(generation.pageCount()).isGreaterThan(3);
        long offset = generation.pageRange(generation.pageCount() - 2).offset() + 100;
        try (RandomAccessFile file =
                new RandomAccessFile(new java.io.File(table.resolve(bad.path()).toUri()), "rw")) {
            file.seek(offset);
            int b = file.read();
            file.seek(offset);
            file.write(b ^ 0x5A);
        }
        List<java.nio.file.Path> before = files();

        assertThatThrownBy(
                        () ->
                                new GenerationMerger(table, io, allocator)
                                        .merge(0, List.of(good, bad), false))
                .isInstanceOf(IOException.class);

        assertThat(files()).containsExactlyInAnyOrderElementsOf(before);
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    private GenerationRef write(Map<Long, String> rows) throws IOException {
        String path = table.newGenerationPath(0);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(table.options().schema(), allocator)) {
            BigIntVector id = (BigIntVector) root.getVector("id");
            VarCharVector name = (VarCharVector) root.getVector("name");
            BitSet deletes = new BitSet();
            int row = 0;
            for (Map.Entry<Long, String> e : rows.entrySet()) {
                id.setSafe(row, e.getKey());
                if (e.getValue() == null || e.getValue().equals(DELETE)) {
                    deletes.set(row, e.getValue() != null);
                    name.setNull(row);
                } else {
                    name.setSafe(row, e.getValue().getBytes(StandardCharsets.UTF_8));
                }
                row++;
            }
            root.setRowCount(row);
            GenerationStats stats =
                    table.options()
                            .newWriter()
                            .write(table.resolve(path), root, deletes, allocator);
            return GenerationRef.of(path, 0, stats);
        }
    }

    /** The rows of a generation in file order: id to name, {@link #DELETE} for a tombstone. */
    private Map<Long, String> read(GenerationRef ref) throws IOException {
        Generation generation = Generation.open(io, table.resolve(ref.path())).join();
        Map<Long, String> rows = new LinkedHashMap<>();
        List<Long> order = new ArrayList<>();
        for (int p = 0; p < generation.pageCount(); p++) {
            try (Page page = generation.loadPage(p, allocator).join()) {
                for (int r = 0; r < page.rowCount(); r++) {
                    List<Object> values = page.values(r);
                    long id = (Long) values.get(0);
                    order.add(id);
                    rows.put(
                            id,
                            page.kind(r) == RowKind.DELETE
                                    ? DELETE
                                    : values.get(1) == null ? null : values.get(1).toString());
                }
            }
        }
        assertThat(order).isSorted().doesNotHaveDuplicates();
        return rows;
    }

    private byte[] bytes(GenerationRef ref) throws IOException {
        return Files.readAllBytes(java.nio.file.Paths.get(table.resolve(ref.path()).toUri()));
    }

    private List<java.nio.file.Path> files() throws IOException {
        try (Stream<java.nio.file.Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }
}
