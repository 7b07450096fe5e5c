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

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyCodecTest {

    private final BufferAllocator allocator = new RootAllocator();

    @AfterEach
    void checkNoLeak() {
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    private static Field field(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    @Test
    void hash64IsXxh64WithSeedZero() {
        // Reference values from xxhsum -H1 (the xxHash project's own tool).
        assertThat(XxHash64.hash(new byte[0], 0)).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(KeyCodec.hash64("a".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(KeyCodec.hash64("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0x44BC2CF5AD770999L);
        assertThat(
                        KeyCodec.hash64(
                                "Nobody inspects the spammish repetition"
                                        .getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0xFBCEA83C8A378BF1L);
        assertThat(KeyCodec.hash64("k".repeat(100).getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0xBF74F9BFD1D88091L);
    }

    @Test
    void hash64OfKeysOfWholeWordsIsPinned() {
        // 8 and 16 bytes: the 8-byte lanes (read as one little-endian word each) without a
        // 32-byte stripe; the values of the byte-by-byte reading this replaced.
        assertThat(KeyCodec.hash64(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 42}))
                .isEqualTo(0x637BF23A08267EDFL);
        assertThat(KeyCodec.hash64("12345678abcdefgh".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0x97ECC61661EC598CL);
    }

    @Test
    void aBucketIsTheFloorModOfTheHashForEveryBucketCount() {
        // Powers of two take the hash's low bits instead of a division: the same bucket.
        java.util.Random random = new java.util.Random(22);
        List<Integer> counts = new java.util.ArrayList<>();
        for (int n = 1; n <= 70; n++) {
            counts.add(n);
        }
        for (int shift = 7; shift <= 30; shift++) {
            counts.add(1 << shift);
            counts.add((1 << shift) + 1);
        }
        counts.add(Integer.MAX_VALUE);
        for (int i = 0; i < 2_000; i++) {
            byte[] key = new byte[random.nextInt(41)];
            random.nextBytes(key);
            long hash = KeyCodec.hash64(key);
            for (int n : counts) {
                assertThat(KeyCodec.bucket(key, n))
                        .as("%d buckets, hash %x", n, hash)
                        .isEqualTo((int) Math.floorMod(hash, (long) n));
            }
        }
    }

    @Test
    void bucketsAreStableAndInRange() {
        KeyCodec codec =
                KeyCodec.of(
                        new Schema(List.of(field("id", new ArrowType.Int(64, true)))),
                        List.of("id"));
        byte[] key = codec.encode(42L);
        // Pinned: buckets of stored tables depend on this value never changing.
        assertThat(key).containsExactly(0x80, 0, 0, 0, 0, 0, 0, 42);
        assertThat(KeyCodec.bucket(key, 16))
                .isEqualTo((int) Math.floorMod(KeyCodec.hash64(key), 16L));
        int[] counts = new int[8];
        for (long i = 0; i < 8000; i++) {
            counts[KeyCodec.bucket(codec.encode(i), 8)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(850, 1150);
        }
        assertThatThrownBy(() -> KeyCodec.bucket(key, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bucketCount");
    }

    @Test
    void encodingPreservesTheOrderOfSignedIntegers() {
        KeyCodec codec =
                KeyCodec.of(
                        new Schema(List.of(field("id", new ArrowType.Int(64, true)))),
                        List.of("id"));
        Random random = new Random(7);
        List<Long> values = new ArrayList<>(List.of(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE));
        for (int i = 0; i < 500; i++) {
            values.add(random.nextLong());
        }
        assertOrderPreserved(values, Long::compare, v -> codec.encode(v));
        KeyCodec small =
                KeyCodec.of(
                        new Schema(List.of(field("id", new ArrowType.Int(16, true)))),
                        List.of("id"));
        assertOrderPreserved(
                List.of((short) -32768, (short) -5, (short) 0, (short) 3, (short) 32767),
                Short::compare,
                v -> small.encode(v));
    }

    /**
     * encodeInteger, the unboxed path of one-column integer keys, gives the bytes of encode for
     * every integer-stored type and width, and rejects what does not fit as encode does.
     */
    /**
     * A probe array (the lookup hit path's) is written in place for a fixed-length key, to the
     * bytes of encode, by every encoding path; where the key's length varies, or the array is not
     * the key's length, a new array is returned and the one given is not the result.
     */
    @Test
    void probeKeysAreWrittenInPlaceOnlyWhenTheKeyIsFixedLength() {
        KeyCodec pair =
                KeyCodec.of(
                        new Schema(
                                List.of(
                                        field("a", new ArrowType.Int(32, true)),
                                        field("b", new ArrowType.Int(64, true)))),
                        List.of("a", "b"));
        assertThat(pair.fixedLength()).isEqualTo(12);
        byte[] probe = new byte[12];
        for (long v : new long[] {Long.MIN_VALUE, -1, 0, 7, Long.MAX_VALUE}) {
            byte[] expected = pair.encode((int) v, v);
            assertThat(pair.encodeInto(probe, (int) v, v)).isSameAs(probe).isEqualTo(expected);
            assertThat(pair.writer(probe).integer((int) v).integer(v).toByteArray())
                    .isSameAs(probe)
                    .isEqualTo(expected);
            byte[] other = new byte[8];
            assertThat(pair.encodeInto(other, (int) v, v)).isNotSameAs(other).isEqualTo(expected);
        }
        KeyCodec single =
                KeyCodec.of(
                        new Schema(List.of(field("id", new ArrowType.Int(64, true)))),
                        List.of("id"));
        byte[] eight = new byte[single.fixedLength()];
        for (long v : new long[] {Long.MIN_VALUE, -1, 0, 42, Long.MAX_VALUE}) {
            assertThat(single.encodeInteger(v, eight)).isSameAs(eight).isEqualTo(single.encode(v));
            assertThat(single.encodeInto(eight, v)).isSameAs(eight).isEqualTo(single.encode(v));
        }
        KeyCodec text =
                KeyCodec.of(new Schema(List.of(field("s", ArrowType.Utf8.INSTANCE))), List.of("s"));
        assertThat(text.fixedLength()).isEqualTo(-1);
        byte[] five = new byte[5];
        assertThat(text.encodeInto(five, "abc")).isNotSameAs(five).isEqualTo(text.encode("abc"));
        assertThat(text.writer(five).value("abc").toByteArray())
                .isNotSameAs(five)
                .isEqualTo(text.encode("abc"));
    }

    @Test
    void encodeIntegerGivesTheBytesOfEncode() {
        Random random = new Random(3);
        for (ArrowType type :
                List.of(
                        new ArrowType.Int(64, true),
                        new ArrowType.Int(32, true),
                        new ArrowType.Int(16, true),
                        new ArrowType.Int(8, true),
                        new ArrowType.Int(32, false),
                        new ArrowType.Int(64, false),
                        new ArrowType.Timestamp(TimeUnit.MICROSECOND, null))) {
            KeyCodec codec = KeyCodec.of(new Schema(List.of(field("k", type))), List.of("k"));
            assertThat(codec.isSingleInteger()).isTrue();
            int bits = type instanceof ArrowType.Int ? ((ArrowType.Int) type).getBitWidth() : 64;
            boolean signed =
                    !(type instanceof ArrowType.Int) || ((ArrowType.Int) type).getIsSigned();
            for (int i = 0; i < 300; i++) {
                long v = random.nextLong();
                if (bits < 64) {
                    v = signed ? v >> (64 - bits) : v >>> (64 - bits);
                }
                Object boxed =
                        bits == 8
                                ? (Object) (byte) v
                                : bits == 16
                                        ? (Object) (short) v
                                        : bits == 32 && signed ? (Object) (int) v : (Object) v;
                assertThat(codec.encodeInteger(v)).isEqualTo(codec.encode(boxed));
            }
        }
        KeyCodec single =
                KeyCodec.of(
                        new Schema(List.of(field("id", new ArrowType.Int(64, true)))),
                        List.of("id"));
        for (long v : new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE}) {
            assertThat(single.encodeInteger(v)).isEqualTo(single.encode(v));
        }
        KeyCodec day =
                KeyCodec.of(
                        new Schema(List.of(field("d", new ArrowType.Date(DateUnit.DAY)))),
                        List.of("d"));
        assertThat(day.isSingleInteger()).isTrue();
        assertThat(day.encodeInteger(-719_162)).isEqualTo(day.encode(-719_162));
        assertThat(day.encodeInteger(-20_000)).isEqualTo(day.encode(-20_000));
        KeyCodec small =
                KeyCodec.of(
                        new Schema(List.of(field("k", new ArrowType.Int(16, true)))), List.of("k"));
        assertThatThrownBy(() -> small.encodeInteger(40_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'k'");
        KeyCodec text =
                KeyCodec.of(new Schema(List.of(field("s", ArrowType.Utf8.INSTANCE))), List.of("s"));
        assertThat(text.isSingleInteger()).isFalse();
        assertThatThrownBy(() -> text.encodeInteger(1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodingPreservesTheOrderOfStringsAndStaysPrefixFreeInCompositeKeys() {
        Schema schema =
                new Schema(
                        List.of(
                                field("s", ArrowType.Utf8.INSTANCE),
                                field("n", new ArrowType.Int(32, true))));
        KeyCodec codec = KeyCodec.of(schema, List.of("s", "n"));
        List<Object[]> keys = new ArrayList<>();
        for (String s :
                List.of("", "\0", "a", "a\0", "a\0\0", "a\1", "ab", "b", "é", "\uD83D\uDE00")) {
            for (int n : new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}) {
                keys.add(new Object[] {s, n});
            }
        }
        Comparator<Object[]> natural =
                Comparator.<Object[], byte[]>comparing(
                                k -> ((String) k[0]).getBytes(StandardCharsets.UTF_8),
                                java.util.Arrays::compareUnsigned)
                        .thenComparing(k -> (Integer) k[1]);
        assertOrderPreserved(keys, natural, k -> codec.encode(k));
    }

    @Test
    void encodingPreservesTheOrderOfDecimalsDatesAndTimestamps() {
        KeyCodec dec =
                KeyCodec.of(
                        new Schema(List.of(field("d", new ArrowType.Decimal(20, 4, 128)))),
                        List.of("d"));
        List<BigDecimal> decimals = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 300; i++) {
            decimals.add(BigDecimal.valueOf(random.nextLong() / 1000, 4));
        }
        decimals.add(new BigDecimal("-9999999999999999.9999"));
        decimals.add(new BigDecimal("9999999999999999.9999"));
        decimals.add(BigDecimal.ZERO);
        assertOrderPreserved(decimals, BigDecimal::compareTo, v -> dec.encode(v));

        KeyCodec date =
                KeyCodec.of(
                        new Schema(
                                List.of(
                                        field(
                                                "d",
                                                new ArrowType.Date(
                                                        org.apache.arrow.vector.types.DateUnit
                                                                .DAY)))),
                        List.of("d"));
        assertOrderPreserved(
                List.of(
                        LocalDate.of(1900, 1, 1),
                        LocalDate.of(1969, 12, 31),
                        LocalDate.of(1970, 1, 1),
                        LocalDate.of(2026, 11, 22)),
                LocalDate::compareTo,
                v -> date.encode(v));

        KeyCodec ts =
                KeyCodec.of(
                        new Schema(
                                List.of(
                                        field(
                                                "t",
                                                new ArrowType.Timestamp(
                                                        TimeUnit.MICROSECOND, "UTC")))),
                        List.of("t"));
        assertOrderPreserved(
                List.of(
                        Instant.parse("1960-01-01T00:00:00Z"),
                        Instant.parse("1970-01-01T00:00:00.000001Z"),
                        Instant.parse("2026-01-01T10:00:00Z")),
                Instant::compareTo,
                v -> ts.encode(v));
        assertThat(ts.encode(Instant.parse("1970-01-01T00:00:01Z")))
                .isEqualTo(ts.encode(1_000_000L));
    }

    @Test
    void aRowAndItsJavaValuesEncodeAlike() {
        Schema schema =
                new Schema(
                        List.of(
                                field("i", new ArrowType.Int(32, true)),
                                field("b", new ArrowType.Int(64, true)),
                                field("s", ArrowType.Utf8.INSTANCE),
                                field("bin", ArrowType.Binary.INSTANCE),
                                field("dec", new ArrowType.Decimal(10, 2, 128)),
                                field(
                                        "day",
                                        new ArrowType.Date(
                                                org.apache.arrow.vector.types.DateUnit.DAY)),
                                field("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                                field("tz", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"))));
        List<String> all = List.of("i", "b", "s", "bin", "dec", "day", "ts", "tz");
        KeyCodec codec = KeyCodec.of(schema, all);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            ((IntVector) root.getVector("i")).setSafe(0, -17);
            ((BigIntVector) root.getVector("b")).setSafe(0, 1L << 40);
            ((VarCharVector) root.getVector("s"))
                    .setSafe(0, "héllo\0".getBytes(StandardCharsets.UTF_8));
            ((VarBinaryVector) root.getVector("bin")).setSafe(0, new byte[] {0, 1, (byte) 0xFF});
            ((DecimalVector) root.getVector("dec")).setSafe(0, new BigDecimal("-12345678.90"));
            ((DateDayVector) root.getVector("day")).setSafe(0, 20_000);
            ((TimeStampMicroVector) root.getVector("ts")).setSafe(0, 1_700_000_000_123_456L);
            ((TimeStampMicroTZVector) root.getVector("tz")).setSafe(0, -5L);
            root.setRowCount(1);

            byte[] fromRow = codec.encode(root, 0);
            Object[] fromObjects = new Object[all.size()];
            for (int c = 0; c < all.size(); c++) {
                fromObjects[c] = root.getVector(all.get(c)).getObject(0);
            }
            assertThat(codec.encode(fromObjects)).isEqualTo(fromRow);
            assertThat(
                            codec.encode(
                                    -17,
                                    1L << 40,
                                    "héllo\0",
                                    new byte[] {0, 1, (byte) 0xFF},
                                    new BigDecimal("-12345678.9"),
                                    LocalDate.ofEpochDay(20_000),
                                    LocalDateTime.of(2023, 11, 14, 22, 13, 20, 123_456_000),
                                    -5L))
                    .isEqualTo(fromRow);
        }
    }

    @Test
    void theWriterEncodesAsEncodeDoes() {
        Schema schema =
                new Schema(
                        List.of(
                                field("small", new ArrowType.Int(16, true)),
                                field("s", ArrowType.Utf8.INSTANCE),
                                field("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                                field("u", new ArrowType.Int(8, false))));
        KeyCodec codec = KeyCodec.of(schema, List.of("small", "s", "ts", "u"));
        Random random = new Random(5);
        for (int i = 0; i < 200; i++) {
            short small = (short) random.nextInt();
            String s = i % 3 == 0 ? "\0é" + i : "k" + random.nextInt(50);
            long ts = random.nextLong();
            int u = random.nextInt(256);
            assertThat(codec.writer().integer(small).value(s).integer(ts).integer(u).toByteArray())
                    .isEqualTo(codec.encode(small, s, ts, u));
        }
        KeyCodec single =
                KeyCodec.of(
                        new Schema(List.of(field("id", new ArrowType.Int(64, true)))),
                        List.of("id"));
        assertThat(single.writer().integer(-3).toByteArray()).isEqualTo(single.encode(-3L));
        assertThatThrownBy(() -> codec.writer().integer(1 << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'small'");
        assertThatThrownBy(() -> codec.writer().integer(1).integer(2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'s'");
        assertThatThrownBy(() -> codec.writer().integer(1).toByteArray())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> single.writer().integer(1).integer(2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullKeysAreRejectedNamingTheColumn() {
        Schema schema =
                new Schema(
                        List.of(
                                field("a", new ArrowType.Int(32, true)),
                                field("b", ArrowType.Utf8.INSTANCE)));
        KeyCodec codec = KeyCodec.of(schema, List.of("a", "b"));
        assertThatThrownBy(() -> codec.encode(1, null))
                .isInstanceOf(NullKeyException.class)
                .hasMessageContaining("'b'")
                .satisfies(e -> assertThat(((NullKeyException) e).column()).isEqualTo("b"));
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            ((VarCharVector) root.getVector("b")).setSafe(0, "x".getBytes(StandardCharsets.UTF_8));
            root.getVector("a").setNull(0);
            root.setRowCount(1);
            assertThatThrownBy(() -> codec.encode(root, 0))
                    .isInstanceOf(NullKeyException.class)
                    .hasMessageContaining("'a'")
                    .hasMessageContaining("row 0");
        }
    }

    @Test
    void invalidKeysAndValuesAreRejectedNamingTheColumn() {
        Schema schema =
                new Schema(
                        List.of(
                                field(
                                        "f",
                                        new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                                field("i", new ArrowType.Int(8, true)),
                                field("d", new ArrowType.Decimal(5, 2, 128))));
        assertThatThrownBy(() -> KeyCodec.of(schema, List.of("f")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'f'")
                .hasMessageContaining("cannot be a key");
        assertThatThrownBy(() -> KeyCodec.of(schema, List.of("nope")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nope'");
        assertThatThrownBy(() -> KeyCodec.of(schema, List.of("i", "i")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> KeyCodec.of(schema, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        KeyCodec i = KeyCodec.of(schema, List.of("i"));
        assertThatThrownBy(() -> i.encode(200))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'i'")
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> i.encode("x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'i'");
        assertThatThrownBy(() -> i.encode(1, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 1 key values");
        KeyCodec d = KeyCodec.of(schema, List.of("d"));
        assertThatThrownBy(() -> d.encode(new BigDecimal("1.234")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'d'");
        assertThatThrownBy(() -> d.encode(new BigDecimal("1234.5")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("precision");
    }

    private static <T> void assertOrderPreserved(
            List<T> values,
            Comparator<? super T> natural,
            java.util.function.Function<T, byte[]> encode) {
        for (T a : values) {
            for (T b : values) {
                int expected = Integer.signum(natural.compare(a, b));
                int actual = Integer.signum(KeyCodec.compare(encode.apply(a), encode.apply(b)));
                assertThat(actual).as("compare(%s, %s)", show(a), show(b)).isEqualTo(expected);
            }
        }
    }

    private static String show(Object o) {
        return o instanceof Object[] ? java.util.Arrays.toString((Object[]) o) : String.valueOf(o);
    }
}
