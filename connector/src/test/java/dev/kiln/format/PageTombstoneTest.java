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

package dev.kiln.format;

import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Page#lookup(byte[], RowReader)} reads a found row's kind only in a page that may hold a
 * tombstone ({@link Page#mayHoldTombstones}, counted once when the page is built): lookups over the
 * edge keys of a signed 64-bit key (the first and last rows of the generation and of each page,
 * absent keys between, below and above) answer the same in pages with and without tombstones.
 */
class PageTombstoneTest {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            Memtables.notNull("k", new ArrowType.Int(64, true)),
                            Memtables.nullable("v", new ArrowType.Int(64, true))));

    /** Reads column v of a found row. */
    private static final RowReader<Long> V =
            (page, row) -> ((BigIntVector) page.vector(1)).get(row);

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioExecutor = Executors.newFixedThreadPool(2);
    private final RangeReader io = RangeReader.onFileSystem(ioExecutor);

    @TempDir java.nio.file.Path dir;

    @AfterEach
    void closeAndCheckForLeaks() {
        ioExecutor.shutdownNow();
        assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        allocator.close();
    }

    /** The written keys, ascending: the extremes, and the even numbers in [-2000, 2000]. */
    private static List<Long> keys() {
        List<Long> keys = new ArrayList<>();
        keys.add(Long.MIN_VALUE);
        keys.add(Long.MIN_VALUE + 2);
        for (long k = -2000; k <= 2000; k += 2) {
            keys.add(k);
        }
        keys.add(Long.MAX_VALUE - 2);
        keys.add(Long.MAX_VALUE);
        return keys;
    }

    /** Keys that were not written: beside each written key, and beyond the written range. */
    private static List<Long> absentKeys() {
        List<Long> absent = new ArrayList<>(List.of(Long.MIN_VALUE + 1, Long.MIN_VALUE + 3));
        for (long k = -2003; k <= 2003; k += 2) {
            absent.add(k);
        }
        absent.addAll(List.of(-1_000_000L, 1_000_000L, Long.MAX_VALUE - 3, Long.MAX_VALUE - 1));
        return absent;
    }

    /** Writes {@link #keys()} with v = 3 * key, the rows at {@code deletes} as tombstones. */
    private Generation write(String name, BitSet deletes, GenerationWriter writer)
            throws Exception {
        Path path = new Path(dir.resolve(name).toUri());
        List<Long> keys = keys();
        try (VectorSchemaRoot rows = VectorSchemaRoot.create(SCHEMA, allocator)) {
            BigIntVector k = (BigIntVector) rows.getVector("k");
            BigIntVector v = (BigIntVector) rows.getVector("v");
            for (int i = 0; i < keys.size(); i++) {
                k.setSafe(i, keys.get(i));
                v.setSafe(i, 3 * keys.get(i));
            }
            rows.setRowCount(keys.size());
            writer.write(path, rows, deletes, allocator);
        }
        return Generation.open(io, path).join();
    }

    private static GenerationWriter writer() {
        // About 40 rows per page: past the search sample's stride, so that it is used.
        return GenerationWriter.builder(SCHEMA, List.of("k")).targetPageBytes(512).build();
    }

    /** Looks {@code key} up in its page, loaded for the call. */
    private Object lookup(Generation g, KeyCodec codec, long key) {
        byte[] encoded = codec.encode(key);
        int p = g.pageOf(encoded);
        if (p < 0) {
            return LookupResult.absent();
        }
        try (Page page = g.loadPage(p, allocator).join()) {
            return page.lookup(encoded, V);
        }
    }

    @Test
    void aPageWithoutTombstonesAnswersEveryKeyWithoutReadingItsKind() throws Exception {
        GenerationWriter writer = writer();
        KeyCodec codec = writer.keyCodec();
        Generation g = write("upserts.arrow", new BitSet(), writer);
        assertThat(g.pageCount()).isGreaterThan(20);
        for (int p = 0; p < g.pageCount(); p++) {
            try (Page page = g.loadPage(p, allocator).join()) {
                assertThat(page.rowCount()).isGreaterThan(KeyCodec.SAMPLE_STRIDE);
                assertThat(page.mayHoldTombstones()).as("page %d", p).isFalse();
            }
        }
        for (long key : keys()) {
            assertThat(lookup(g, codec, key)).as("key %d", key).isEqualTo(3 * key);
        }
        for (long key : absentKeys()) {
            assertThat(lookup(g, codec, key)).as("key %d", key).isSameAs(LookupResult.absent());
        }
        // The kind was counted once, when the page was built: marking its first and last rows
        // deleted afterwards (which a page's rows never are) shows that lookups do not read it,
        // where the values lookup, which reads the kind, sees the change.
        try (Page page = g.loadPage(3, allocator).join()) {
            TinyIntVector kinds = (TinyIntVector) page.vector(2);
            int last = page.rowCount() - 1;
            kinds.set(0, RowKind.DELETE.code());
            kinds.set(last, RowKind.DELETE.code());
            for (int row : new int[] {0, last}) {
                byte[] key = page.key(row);
                long k = ((BigIntVector) page.vector(0)).get(row);
                assertThat(page.lookup(key, V)).isEqualTo(3 * k);
                assertThat(page.lookup(key)).isSameAs(LookupResult.deleted());
            }
        }
    }

    @Test
    void aPageWithTombstonesAnswersThemDeleted() throws Exception {
        GenerationWriter writer = writer();
        KeyCodec codec = writer.keyCodec();
        List<Long> keys = keys();
        Generation plain = write("plain.arrow", new BitSet(), writer);
        // Tombstones at the generation's first and last rows, and two about page 5's first row
        // (where page 5 starts without tombstones).
        BitSet deletes = new BitSet();
        deletes.set(0);
        deletes.set(keys.size() - 1);
        int firstOfPage5 = 0;
        for (int p = 0; p < 5; p++) {
            try (Page page = plain.loadPage(p, allocator).join()) {
                firstOfPage5 += page.rowCount();
            }
        }
        deletes.set(firstOfPage5);
        deletes.set(firstOfPage5 + 7);
        Generation g = write("deletes.arrow", deletes, writer);
        int withTombstones = 0;
        for (int p = 0; p < g.pageCount(); p++) {
            try (Page page = g.loadPage(p, allocator).join()) {
                boolean holds = false;
                for (int row = 0; row < page.rowCount(); row++) {
                    holds |= page.kind(row) == RowKind.DELETE;
                }
                assertThat(page.mayHoldTombstones()).as("page %d", p).isEqualTo(holds);
                withTombstones += holds ? 1 : 0;
            }
        }
        assertThat(withTombstones).isBetween(3, 4);
        for (int i = 0; i < keys.size(); i++) {
            long key = keys.get(i);
            assertThat(lookup(g, codec, key))
                    .as("key %d", key)
                    .isEqualTo(deletes.get(i) ? LookupResult.deleted() : (Object) (3 * key));
        }
        for (long key : absentKeys()) {
            assertThat(lookup(g, codec, key)).as("key %d", key).isSameAs(LookupResult.absent());
        }
    }
}
