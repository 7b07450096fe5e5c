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
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code bottommostFilterFalsePositiveRate}: a compaction whose run starts at the bucket's oldest
 * generation writes its output's key filter at that rate; other compactions and flushes at the
 * table's rate; lookups answer right through a weak filter, and its cost is storage reads of absent
 * keys, counted.
 */
class BottommostFilterTest {

    private static final double TABLE_RATE = 0.01;
    private static final double BOTTOMMOST_RATE = 0.9;
    private static final long PAGE_BYTES = 2048;

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(2);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
    }

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    @Test
    void theBottommostOutputHasItsRateAndNewerOutputsAndFlushesTheTables() throws Exception {
        KilnTable table = create(BOTTOMMOST_RATE);
        TableOptions options = table.options();
        assertThat(options.newWriter().filterFalsePositiveRate()).isEqualTo(TABLE_RATE);
        assertThat(options.newCompactionWriter().filterFalsePositiveRate()).isEqualTo(TABLE_RATE);
        assertThat(options.newBottommostCompactionWriter().filterFalsePositiveRate())
                .isEqualTo(BOTTOMMOST_RATE);

        // Even keys in [0, 8000); then updates and deletes of some of them.
        Map<Long, String> base = new TreeMap<>();
        for (long id = 0; id < 8000; id += 2) {
            base.put(id, "base-" + id);
        }
        Map<Long, String> updates = new TreeMap<>();
        for (long id = 0; id < 8000; id += 6) {
            updates.put(id, id % 12 == 0 ? null : "update-" + id);
        }
        Map<Long, String> more = new TreeMap<>();
        for (long id = 4; id < 8000; id += 10) {
            more.put(id, "more-" + id);
        }
        GenerationRef g0 = commitFlush(table, base, 1);
        GenerationRef g1 = commitFlush(table, updates, 2);
        GenerationRef g2 = commitFlush(table, more, 3);
        assertThat(g0.sizeBytes()).isEqualTo(directBytes(table, base, TABLE_RATE));

        GenerationMerger merger = new GenerationMerger(table, io, allocator);
        Compaction newer = merger.merge(0, List.of(g1, g2), false);
        Map<Long, String> newerRows = new TreeMap<>(updates);
        newerRows.putAll(more);
        assertThat(newer.output().sizeBytes()).isEqualTo(directBytes(table, newerRows, TABLE_RATE));
        table.commit(new Commit("c", 1, List.of(), List.of(), List.of(newer)));

        Compaction bottom = merger.merge(0, List.of(g0, newer.output()), true);
        Manifest after = table.commit(new Commit("c", 2, List.of(), List.of(), List.of(bottom)));
        assertThat(after.generations()).containsExactly(bottom.output());
        Map<Long, String> reference = new TreeMap<>(base);
        reference.putAll(newerRows);
        Map<Long, String> live = new TreeMap<>(reference);
        live.values().removeIf(Objects::isNull);
        long weak = directBytes(table, live, BOTTOMMOST_RATE);
        assertThat(bottom.output().sizeBytes()).isEqualTo(weak);
        // A filter at 1% is ~1.2 B per key, at 0.9 ~0.03.
        assertThat(directBytes(table, live, TABLE_RATE) - weak).isGreaterThan(live.size());

        assertAnswers(table, after, reference);
        // Absent keys (odd, inside the key range): nearly each costs a page read of the weak
        // filter's generation; of a 1% filter's, about one in a hundred.
        long[] absent = new long[1000];
        for (int i = 0; i < absent.length; i++) {
            absent[i] = 1 + 2L * i * 3;
        }
        assertThat(absentKeyReads(table, bottom.output(), absent)).isGreaterThan(800);
        GenerationRef strong =
                GenerationFiles.write(table, writer(table, TABLE_RATE), allocator, 0, live);
        assertThat(absentKeyReads(table, strong, absent)).isLessThan(50);
    }

    @Test
    void theCompactorWritesABucketsWholeRunWithTheBottommostRate() throws Exception {
        KilnTable table = create(BOTTOMMOST_RATE);
        Map<Long, String> reference = new TreeMap<>();
        for (int g = 0; g < 3; g++) {
            Map<Long, String> rows = new TreeMap<>();
            for (long id = g * 500L; id < g * 500L + 2000; id++) {
                rows.put(id, id % 11 == 0 ? null : "g" + g + "-" + id);
            }
            commitFlush(table, rows, g + 1);
            reference.putAll(rows);
        }
        Manifest after =
                new Compactor(
                                table,
                                io,
                                allocator,
                                CompactionPolicy.builder().maxGenerations(1).build())
                        .compact("c", 1)
                        .orElseThrow();
        assertThat(after.generations()).hasSize(1);
        Map<Long, String> live = new TreeMap<>(reference);
        live.values().removeIf(Objects::isNull);
        assertThat(after.generations().get(0).sizeBytes())
                .isEqualTo(directBytes(table, live, BOTTOMMOST_RATE))
                .isLessThan(directBytes(table, live, TABLE_RATE));
        assertAnswers(table, after, reference);
    }

    @Test
    void theRateIsRecordedAbsentInAnOlderTableAndValidatedNamingTheOption() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        TableOptions options =
                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                        .bottommostFilterFalsePositiveRate(0.5)
                        .build();
        KilnTable.create(path, options);
        TableOptions read = KilnTable.open(path).options();
        assertThat(read).isEqualTo(options);
        assertThat(read.bottommostFilterFalsePositiveRate()).isEqualTo(0.5);
        assertThat(read.newBottommostCompactionWriter().filterFalsePositiveRate()).isEqualTo(0.5);

        // The metadata of a table created before the option: every filter at the table's rate.
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode file = (ObjectNode) mapper.readTree(TableJson.writeTable(options, "id-1"));
        ObjectNode body = (ObjectNode) file.get("body");
        assertThat(body.has("bottommostFilterFalsePositiveRate")).isTrue();
        body.remove("bottommostFilterFalsePositiveRate");
        TableOptions old =
                TableJson.readTable(path, MixedCompressionTest.checksummed(mapper, file)).options();
        assertThat(old.bottommostFilterFalsePositiveRate()).isNull();
        assertThat(old.newBottommostCompactionWriter().filterFalsePositiveRate())
                .isEqualTo(GenerationWriter.DEFAULT_FILTER_FALSE_POSITIVE_RATE);

        for (double bad : new double[] {0, 1, -0.5, Double.NaN}) {
            assertThatThrownBy(
                            () ->
                                    TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                            .bottommostFilterFalsePositiveRate(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bottommostFilterFalsePositiveRate")
                    .hasMessageContaining(Double.toString(bad));
        }
    }

    private KilnTable create(double bottommostRate) throws Exception {
        return KilnTable.create(
                new Path(dir.resolve("t").toUri()),
                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                        .targetPageBytes(PAGE_BYTES)
                        .filterFalsePositiveRate(TABLE_RATE)
                        .bottommostFilterFalsePositiveRate(bottommostRate)
                        .build());
    }

    private GenerationRef commitFlush(KilnTable table, Map<Long, String> rows, long checkpoint)
            throws Exception {
        GenerationRef ref = GenerationFiles.write(table, allocator, 0, rows);
        table.commit(new Commit("w", checkpoint, List.of(ref), List.of()));
        return ref;
    }

    /** A writer of the table's pages with key filters at {@code rate}, built apart from it. */
    private static GenerationWriter writer(KilnTable table, double rate) {
        return GenerationWriter.builder(table.options().schema(), List.of("id"))
                .targetPageBytes(PAGE_BYTES)
                .compression(table.options().compression())
                .filterFalsePositiveRate(rate)
                .build();
    }

    /** The bytes of {@code rows} written in one generation with key filters at {@code rate}. */
    private long directBytes(KilnTable table, Map<Long, String> rows, double rate)
            throws Exception {
        return GenerationFiles.write(table, writer(table, rate), allocator, 0, rows).sizeBytes();
    }

    /** Storage reads of looking {@code keys} up, all absent, in freshly opened {@code ref}. */
    private long absentKeyReads(KilnTable table, GenerationRef ref, long[] keys) throws Exception {
        Generation g = Generation.open(io, table.resolve(ref.path())).get(30, TimeUnit.SECONDS);
        io.resetCounters();
        for (long key : keys) {
            LookupResult r =
                    g.lookup(table.options().keyCodec().encode(key), allocator)
                            .get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as("key %s", key).isEqualTo(LookupResult.Status.ABSENT);
        }
        return io.totalRequests();
    }

    /** Every key in [0, 8001) answers its value in {@code reference} (absent if none or null). */
    private void assertAnswers(KilnTable table, Manifest manifest, Map<Long, String> reference)
            throws Exception {
        Snapshot snapshot = new Snapshot(table, manifest, GenerationLookup.direct(io, allocator));
        List<Long> keys = new ArrayList<>();
        List<byte[]> encoded = new ArrayList<>();
        for (long id = 0; id <= 8000; id++) {
            keys.add(id);
            encoded.add(table.options().keyCodec().encode(id));
        }
        List<LookupResult> results = snapshot.lookupAll(encoded).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < keys.size(); i++) {
            LookupResult r = results.get(i);
            String value =
                    r.status() == LookupResult.Status.FOUND
                            ? Objects.toString(r.values().get(1))
                            : null;
            assertThat(value).as("key %s", keys.get(i)).isEqualTo(reference.get(keys.get(i)));
        }
    }
}
