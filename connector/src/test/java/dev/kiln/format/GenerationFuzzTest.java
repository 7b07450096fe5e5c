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

import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeReader;
import dev.kiln.io.ShortReadException;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Damages a small generation at every byte offset and checks each damaged file against one rule:
 *
 * <blockquote>
 *
 * <b>Opening a generation and looking up a key either gives exactly the answer of the intact file,
 * or fails with a typed error ({@link CorruptGenerationException}, its subtype {@link
 * UnsupportedFormatVersionException}, or {@link ShortReadException}); never a wrong answer, never
 * another exception, never leaked Arrow memory.</b>
 *
 * </blockquote>
 *
 * <p>The damage: every byte XOR {@code 0x01} (a flipped bit) and XOR {@code 0xFF} (a garbled byte),
 * and the file truncated at every length, opened both with its real length and with the length the
 * writer recorded. For each variant, every written key and some absent keys are looked up. The
 * bytes are served from memory by a {@link RangeReader} over an array (the reader's contract, on
 * the written file's real bytes), so the thousands of variants run in a few seconds on one core.
 */
class GenerationFuzzTest {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            Memtables.notNull("tenant", ArrowType.Utf8.INSTANCE),
                            Memtables.notNull("id", new ArrowType.Int(32, true)),
                            Memtables.nullable("v", new ArrowType.Int(64, true)),
                            Memtables.nullable("s", ArrowType.Utf8.INSTANCE),
                            Memtables.nullable("d", new ArrowType.Decimal(10, 2, 128)),
                            Memtables.nullable(
                                    "ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"))));

    private static final Path PATH = new Path("file:/fuzz/generation.arrow");

    @TempDir java.nio.file.Path dir;

    @Test
    void everyDamagedVariantAnswersRightOrFailsTyped() throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            byte[] good = writeGeneration(allocator);
            List<byte[]> keys = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            Generation intact = Generation.open(new BytesReader(good), PATH).join();
            assertThat(intact.pageCount()).isBetween(3, 8);
            assertThat(good.length).as("%s pages", intact.pageCount()).isBetween(2 << 10, 8 << 10);
            for (String tenant : new String[] {"acme", "bolt", "a", "zz", "acme\0"}) {
                for (int id = -2; id < 18; id += tenant.length() == 4 ? 1 : 7) {
                    byte[] key = intact.keyCodec().encode(tenant, id);
                    keys.add(key);
                    expected.add(answer(intact.lookup(key, allocator).join()));
                }
            }
            assertThat(expected).filteredOn(a -> a.startsWith("FOUND")).hasSizeGreaterThan(20);
            assertThat(expected).filteredOn(a -> a.startsWith("DELETED")).isNotEmpty();
            assertThat(expected).filteredOn(a -> a.startsWith("ABSENT")).hasSizeGreaterThan(10);

            Outcomes outcomes = new Outcomes();
            byte[] bytes = good.clone();
            for (int offset = 0; offset < good.length; offset++) {
                for (int mask : new int[] {0x01, 0xFF}) {
                    bytes[offset] = (byte) (good[offset] ^ mask);
                    String variant = "byte " + offset + " ^ 0x" + Integer.toHexString(mask);
                    check(variant, bytes, -1, keys, expected, allocator, outcomes);
                }
                bytes[offset] = good[offset];
            }
            for (int length = 0; length < good.length; length++) {
                byte[] truncated = Arrays.copyOf(good, length);
                String variant = "truncated to " + length;
                check(variant, truncated, -1, keys, expected, allocator, outcomes);
                check(variant, truncated, good.length, keys, expected, allocator, outcomes);
            }
            // The rule was enforced on both sides: damage was caught, and undamaged pages answered.
            assertThat(outcomes.typedErrors).isGreaterThan(good.length);
            assertThat(outcomes.rightAnswers).isGreaterThan(good.length);
        }
    }

    private static void check(
            String variant,
            byte[] bytes,
            long statedLength,
            List<byte[]> keys,
            List<String> expected,
            BufferAllocator allocator,
            Outcomes outcomes) {
        BytesReader reader = new BytesReader(bytes);
        CompletableFuture<Generation> opening =
                statedLength < 0
                        ? Generation.open(reader, PATH)
                        : Generation.open(reader, PATH, statedLength);
        Generation g = outcome(variant, "open", opening, outcomes);
        if (g != null) {
            // Each key is looked up by the steps of Generation.lookup (key range, key filter, page
            // load, search in the page), with each page decoded once per variant rather than once
            // per key; one key per variant, in turn, goes through Generation.lookup itself.
            Page[] pages = new Page[g.pageCount()];
            boolean[] failed = new boolean[g.pageCount()];
            try {
                for (int k = 0; k < keys.size(); k++) {
                    byte[] key = keys.get(k);
                    LookupResult r;
                    if (k == outcomes.variants % keys.size()) {
                        r = outcome(variant, "lookup " + k, g.lookup(key, allocator), outcomes);
                    } else if (!g.mightContain(key)) {
                        r = LookupResult.absent();
                    } else {
                        int p = g.pageOf(key);
                        if (pages[p] == null && !failed[p]) {
                            pages[p] =
                                    outcome(
                                            variant,
                                            "load of page " + p,
                                            g.loadPage(p, allocator),
                                            outcomes);
                            failed[p] = pages[p] == null;
                        }
                        r = pages[p] == null ? null : pages[p].lookup(key);
                    }
                    if (r != null) {
                        assertThat(answer(r))
                                .as("%s: lookup of key %s", variant, k)
                                .isEqualTo(expected.get(k));
                        outcomes.rightAnswers++;
                    }
                }
            } finally {
                for (Page page : pages) {
                    if (page != null) {
                        page.close();
                    }
                }
            }
        }
        outcomes.variants++;
        assertThat(allocator.getAllocatedMemory()).as("%s: leaked Arrow memory", variant).isZero();
    }

    /** Returns the future's value, or null after checking that it failed with a typed error. */
    private static <T> T outcome(
            String variant, String step, CompletableFuture<T> future, Outcomes outcomes) {
        try {
            return future.join();
        } catch (CompletionException e) {
            assertThat(e.getCause())
                    .as("%s: %s failed with an untyped error", variant, step)
                    .isInstanceOfAny(CorruptGenerationException.class, ShortReadException.class);
            outcomes.typedErrors++;
            return null;
        }
    }

    private static String answer(LookupResult r) {
        return r.status() == LookupResult.Status.FOUND
                ? "FOUND " + Memtables.comparable(r.values())
                : r.status().toString();
    }

    /** Writes about 4 KiB: two tenants, 16 ids each, every fifth a tombstone, pages of ~8 rows. */
    private byte[] writeGeneration(BufferAllocator allocator) throws Exception {
        java.nio.file.Path file = dir.resolve("fuzz.arrow");
        BitSet deletes = new BitSet();
        try (VectorSchemaRoot rows = VectorSchemaRoot.create(SCHEMA, allocator)) {
            int row = 0;
            for (String tenant : new String[] {"bolt", "acme"}) {
                for (int id = 15; id >= 0; id--) {
                    ((VarCharVector) rows.getVector("tenant"))
                            .setSafe(row, tenant.getBytes(StandardCharsets.UTF_8));
                    ((IntVector) rows.getVector("id")).setSafe(row, id);
                    if (id % 7 != 3) {
                        ((BigIntVector) rows.getVector("v")).setSafe(row, id * 1_000_003L);
                        ((VarCharVector) rows.getVector("s"))
                                .setSafe(row, (tenant + "-" + id).getBytes(StandardCharsets.UTF_8));
                        ((DecimalVector) rows.getVector("d"))
                                .setSafe(row, BigDecimal.valueOf(id * 101L - 777, 2));
                        ((TimeStampMicroTZVector) rows.getVector("ts"))
                                .setSafe(row, id * 86_400_000_000L);
                    }
                    if (id % 5 == 2) {
                        deletes.set(row);
                    }
                    row++;
                }
            }
            rows.setRowCount(row);
            GenerationWriter.builder(SCHEMA, List.of("tenant", "id"))
                    .targetPageBytes(8 * 40)
                    .build()
                    .write(new Path(file.toUri()), rows, deletes, allocator);
        }
        return Files.readAllBytes(file);
    }

    private static final class Outcomes {
        long variants;
        long typedErrors;
        long rightAnswers;
    }

    /**
     * A {@link RangeReader} over bytes in memory, completing every request at once; a range past
     * the end fails with {@link ShortReadException}, as the file system reader's does.
     */
    private static final class BytesReader implements RangeReader {
        private final byte[] bytes;

        BytesReader(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public CompletableFuture<byte[]> read(Path path, ByteRange range) {
            if (range.end() > bytes.length) {
                long available = Math.max(0, bytes.length - range.offset());
                return CompletableFuture.failedFuture(
                        new ShortReadException(path.toString(), range, available));
            }
            return CompletableFuture.completedFuture(
                    Arrays.copyOfRange(bytes, (int) range.offset(), (int) range.end()));
        }

        @Override
        public CompletableFuture<Long> length(Path path) {
            return CompletableFuture.completedFuture((long) bytes.length);
        }
    }
}
