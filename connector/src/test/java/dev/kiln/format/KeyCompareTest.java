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
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link KeyCodec#compareRow} (a page's binary search compares its rows' key columns with an
 * encoded probe in place) against the reference it must equal: encoding the row with {@link
 * KeyCodec#encode(VectorSchemaRoot, int)} and comparing the bytes ({@link KeyCodec#compare}). A
 * matrix over every key type, alone and inside composite keys, on random rows and probes: the rows'
 * own keys, their prefixes, extensions and one-byte changes, and random bytes.
 */
class KeyCompareTest {

    private static final List<ArrowType> KEY_TYPES =
            List.of(
                    new ArrowType.Int(8, true),
                    new ArrowType.Int(8, false),
                    new ArrowType.Int(16, true),
                    new ArrowType.Int(16, false),
                    new ArrowType.Int(32, true),
                    new ArrowType.Int(32, false),
                    new ArrowType.Int(64, true),
                    new ArrowType.Int(64, false),
                    ArrowType.Bool.INSTANCE,
                    new ArrowType.Date(DateUnit.DAY),
                    new ArrowType.Date(DateUnit.MILLISECOND),
                    new ArrowType.Time(TimeUnit.SECOND, 32),
                    new ArrowType.Time(TimeUnit.MILLISECOND, 32),
                    new ArrowType.Time(TimeUnit.MICROSECOND, 64),
                    new ArrowType.Time(TimeUnit.NANOSECOND, 64),
                    new ArrowType.Timestamp(TimeUnit.SECOND, null),
                    new ArrowType.Timestamp(TimeUnit.MICROSECOND, null),
                    new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC"),
                    new ArrowType.Duration(TimeUnit.MILLISECOND),
                    new ArrowType.Decimal(20, 4, 128),
                    new ArrowType.Decimal(40, 2, 256),
                    ArrowType.Utf8.INSTANCE,
                    ArrowType.LargeUtf8.INSTANCE,
                    ArrowType.Binary.INSTANCE,
                    ArrowType.LargeBinary.INSTANCE,
                    new ArrowType.FixedSizeBinary(3));

    /** Bytes strings and binaries are drawn from: the escape cases, non-ASCII UTF-8, others. */
    private static final byte[] ALPHABET = {
        0, 0, 1, (byte) 0xFF, (byte) 0xFE, 'a', 'b', (byte) 0xC3, (byte) 0xA9, (byte) 0x80, 0x7F
    };

    private static final int ROWS = 120;

    private final BufferAllocator allocator = new RootAllocator();
    private final Random random = new Random(22);

    @AfterEach
    void checkNoLeak() {
        assertThat(allocator.getAllocatedMemory()).isZero();
        allocator.close();
    }

    @Test
    void comparingInPlaceOrdersAsTheEncodedBytesForEveryKeyType() {
        for (ArrowType type : KEY_TYPES) {
            check(List.of(type));
        }
    }

    @Test
    void comparingInPlaceOrdersAsTheEncodedBytesInsideCompositeKeys() {
        for (ArrowType type : KEY_TYPES) {
            check(List.of(type, ArrowType.Utf8.INSTANCE));
            check(List.of(new ArrowType.Int(16, true), type));
            check(List.of(ArrowType.Binary.INSTANCE, type, new ArrowType.Int(64, true)));
        }
    }

    /**
     * {@link KeyCodec#compare} decides on the keys' first 8 bytes as one number ({@link
     * KeyCodec#prefix}) where they differ: it must order every pair of keys and probes as their
     * unsigned bytes do, and a prefix order must never contradict the bytes'.
     */
    @Test
    void comparingByPrefixOrdersAsTheUnsignedBytesForEveryKeyType() {
        for (ArrowType type : KEY_TYPES) {
            for (List<ArrowType> types :
                    List.of(List.of(type), List.of(type, ArrowType.Utf8.INSTANCE))) {
                Schema schema = schema(types);
                List<String> names = schema.getFields().stream().map(Field::getName).toList();
                KeyCodec codec = KeyCodec.of(schema, names);
                try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
                    for (FieldVector vector : root.getFieldVectors()) {
                        fill(vector);
                    }
                    root.setRowCount(ROWS);
                    List<byte[]> encoded = new ArrayList<>();
                    for (int row = 0; row < ROWS; row++) {
                        encoded.add(codec.encode(root, row));
                    }
                    List<byte[]> keys = probes(encoded);
                    for (byte[] a : keys) {
                        for (byte[] b : keys) {
                            int expected = Integer.signum(Arrays.compareUnsigned(a, b));
                            int actual = Integer.signum(KeyCodec.compare(a, b));
                            int byPrefix =
                                    Long.compareUnsigned(KeyCodec.prefix(a), KeyCodec.prefix(b));
                            if (actual != expected
                                    || (byPrefix != 0 && Integer.signum(byPrefix) != expected)) {
                                throw new AssertionError(
                                        types
                                                + " "
                                                + Arrays.toString(a)
                                                + " vs "
                                                + Arrays.toString(b)
                                                + ": expected "
                                                + expected
                                                + " but compare was "
                                                + actual
                                                + " and the prefixes' order "
                                                + byPrefix);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void findingARowFindsTheRowWhoseEncodedKeyIsTheProbe() {
        for (ArrowType type : KEY_TYPES) {
            // One integer-like column: the search by value; the others, and composite keys: the
            // search by compareRow.
            checkFind(List.of(type));
            checkFind(List.of(type, new ArrowType.Int(8, false)));
        }
    }

    /**
     * The search of a single integer-like key column reads the rows' values from memory without
     * ArrowBuf's checks per read, and with a page's search sample first narrows it to a stride of
     * rows: on pages of 1, 2, 3, around the stride and up to 3,000 rows, with the type's extreme
     * values, it must find what the checked search by {@link KeyCodec#compareRow} finds, for every
     * row's key (the first and the last included), keys between and outside the rows, and probes of
     * other lengths.
     */
    @Test
    void theSearchWithoutBoundsChecksFindsWhatTheCheckedSearchFinds() {
        for (ArrowType type : KEY_TYPES) {
            if (!(type instanceof ArrowType.Int)
                    && !(type instanceof ArrowType.Date)
                    && !(type instanceof ArrowType.Time)
                    && !(type instanceof ArrowType.Timestamp)
                    && !(type instanceof ArrowType.Duration)) {
                continue;
            }
            Schema schema = schema(List.of(type));
            KeyCodec codec = KeyCodec.of(schema, List.of("k0"));
            for (int size : new int[] {1, 2, 3, 15, 16, 17, 31, 32, 33, 1_000, 3_000}) {
                try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
                    BaseFixedWidthVector vector = (BaseFixedWidthVector) root.getVector(0);
                    int width = vector.getTypeWidth();
                    int rows = width == 1 ? Math.min(size, 256) : size;
                    // Distinct random values of the width, the extremes among them, sorted by
                    // their encoded bytes (as a page holds them).
                    java.util.TreeMap<byte[], byte[]> values =
                            new java.util.TreeMap<>(Arrays::compareUnsigned);
                    List<byte[]> candidates = new ArrayList<>();
                    for (byte b : new byte[] {0, (byte) 0xFF, (byte) 0x80, 0x7F}) {
                        byte[] v = new byte[width];
                        Arrays.fill(v, b);
                        candidates.add(v);
                    }
                    for (int b = 0; width == 1 && b < 256; b++) {
                        candidates.add(new byte[] {(byte) b});
                    }
                    while (candidates.size() < rows * 2) {
                        byte[] v = new byte[width];
                        random.nextBytes(v);
                        candidates.add(v);
                    }
                    java.util.Collections.shuffle(candidates, random);
                    vector.allocateNew(rows);
                    int row = 0;
                    for (byte[] v : candidates) {
                        if (row == rows) {
                            break;
                        }
                        vector.getDataBuffer().setBytes((long) row * width, v);
                        vector.setIndexDefined(row);
                        vector.setValueCount(row + 1);
                        root.setRowCount(row + 1);
                        byte[] encoded = codec.encode(root, row);
                        if (values.putIfAbsent(encoded, v) == null) {
                            row++;
                        }
                    }
                    assertThat(values).hasSize(rows);
                    row = 0;
                    for (byte[] v : values.values()) {
                        vector.getDataBuffer().setBytes((long) row * width, v);
                        vector.setIndexDefined(row);
                        row++;
                    }
                    vector.setValueCount(rows);
                    root.setRowCount(rows);
                    List<byte[]> keys = new ArrayList<>();
                    for (int r = 0; r < rows; r++) {
                        keys.add(codec.encode(root, r));
                    }
                    FieldVector[] vectors = codec.keyVectors(root);
                    List<byte[]> probes = new ArrayList<>(probes(keys));
                    probes.add(keys.get(0));
                    probes.add(keys.get(rows - 1));
                    long[] sample = codec.searchSample(vectors, true, rows);
                    assertThat(sample == null).isEqualTo(rows <= KeyCodec.SAMPLE_STRIDE);
                    for (byte[] probe : probes) {
                        int checked = codec.find(vectors, false, rows, probe);
                        int unchecked = codec.find(vectors, true, rows, probe);
                        int sampled = codec.find(vectors, true, rows, probe, sample);
                        int expected = -1;
                        for (int r = 0; r < rows; r++) {
                            if (Arrays.equals(keys.get(r), probe)) {
                                expected = r;
                            }
                        }
                        assertThat(unchecked)
                                .as("%s, %d rows, probe %s", type, rows, Arrays.toString(probe))
                                .isEqualTo(checked)
                                .isEqualTo(expected);
                        assertThat(sampled)
                                .as("%s, %d rows, probe %s", type, rows, Arrays.toString(probe))
                                .isEqualTo(expected);
                    }
                    for (int r = 0; r < rows; r++) {
                        assertThat(codec.find(vectors, true, rows, keys.get(r))).isEqualTo(r);
                        assertThat(codec.find(vectors, true, rows, keys.get(r), sample))
                                .isEqualTo(r);
                    }
                }
            }
        }
    }

    /** A page's search never reads the memory of a closed vector: it fails instead. */
    @Test
    void theSearchOfAClosedPageFailsRatherThanReadingFreedMemory() {
        Schema schema = schema(List.of(new ArrowType.Int(64, true)));
        KeyCodec codec = KeyCodec.of(schema, List.of("k0"));
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        BigIntVector vector = (BigIntVector) root.getVector(0);
        vector.allocateNew(3);
        for (int r = 0; r < 3; r++) {
            vector.set(r, r);
        }
        vector.setValueCount(3);
        root.setRowCount(3);
        FieldVector[] vectors = codec.keyVectors(root);
        assertThat(codec.find(vectors, true, 3, codec.encode(2L))).isEqualTo(2);
        root.close();
        assertThatThrownBy(() -> codec.find(vectors, true, 3, codec.encode(2L)))
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void aNullKeyColumnIsRejectedNamingIt() {
        Schema schema = schema(List.of(new ArrowType.Int(64, true)));
        KeyCodec codec = KeyCodec.of(schema, List.of("k0"));
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            root.getVector(0).allocateNew();
            root.getVector(0).setNull(0);
            root.setRowCount(1);
            assertThatThrownBy(() -> codec.compareRow(codec.keyVectors(root), 0, codec.encode(1L)))
                    .isInstanceOf(NullKeyException.class)
                    .hasMessageContaining("k0");
        }
    }

    private void check(List<ArrowType> types) {
        Schema schema = schema(types);
        List<String> names = new ArrayList<>();
        for (Field f : schema.getFields()) {
            names.add(f.getName());
        }
        KeyCodec codec = KeyCodec.of(schema, names);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            for (FieldVector vector : root.getFieldVectors()) {
                fill(vector);
            }
            root.setRowCount(ROWS);
            FieldVector[] vectors = codec.keyVectors(root);
            List<byte[]> encoded = new ArrayList<>();
            for (int row = 0; row < ROWS; row++) {
                encoded.add(codec.encode(root, row));
            }
            List<byte[]> probes = probes(encoded);
            for (int row = 0; row < ROWS; row++) {
                for (byte[] probe : probes) {
                    int expected = Integer.signum(KeyCodec.compare(encoded.get(row), probe));
                    int actual = Integer.signum(codec.compareRow(vectors, row, probe));
                    if (actual != expected) {
                        throw new AssertionError(
                                types
                                        + " row "
                                        + Arrays.toString(encoded.get(row))
                                        + " vs probe "
                                        + Arrays.toString(probe)
                                        + ": expected "
                                        + expected
                                        + " but was "
                                        + actual);
                    }
                }
            }
        }
    }

    /**
     * Fills rows with random keys, sorts them by encoded key without duplicates (as a page holds
     * them), and checks {@link KeyCodec#find} against a search of the encoded keys for each probe.
     */
    private void checkFind(List<ArrowType> types) {
        Schema schema = schema(types);
        List<String> names = schema.getFields().stream().map(Field::getName).toList();
        KeyCodec codec = KeyCodec.of(schema, names);
        try (VectorSchemaRoot random = VectorSchemaRoot.create(schema, allocator);
                VectorSchemaRoot sorted = VectorSchemaRoot.create(schema, allocator)) {
            for (FieldVector vector : random.getFieldVectors()) {
                fill(vector);
            }
            random.setRowCount(ROWS);
            List<Integer> order = new ArrayList<>();
            List<byte[]> keys = new ArrayList<>();
            List<byte[]> all = new ArrayList<>();
            for (int row = 0; row < ROWS; row++) {
                all.add(codec.encode(random, row));
            }
            List<Integer> rows = new ArrayList<>();
            for (int row = 0; row < ROWS; row++) {
                rows.add(row);
            }
            rows.sort((a, b) -> KeyCodec.compare(all.get(a), all.get(b)));
            for (int row : rows) {
                if (keys.isEmpty()
                        || KeyCodec.compare(keys.get(keys.size() - 1), all.get(row)) != 0) {
                    keys.add(all.get(row));
                    order.add(row);
                }
            }
            for (int c = 0; c < names.size(); c++) {
                FieldVector from = random.getVector(c);
                FieldVector to = sorted.getVector(c);
                to.allocateNew();
                for (int i = 0; i < order.size(); i++) {
                    to.copyFromSafe(order.get(i), i, from);
                }
                to.setValueCount(order.size());
            }
            sorted.setRowCount(order.size());
            FieldVector[] vectors = codec.keyVectors(sorted);
            for (byte[] probe : probes(keys)) {
                int expected = -1;
                for (int i = 0; i < keys.size(); i++) {
                    if (KeyCodec.compare(keys.get(i), probe) == 0) {
                        expected = i;
                    }
                }
                for (boolean nullFree : new boolean[] {true, false}) {
                    assertThat(codec.find(vectors, nullFree, order.size(), probe))
                            .as("%s probe %s", types, Arrays.toString(probe))
                            .isEqualTo(expected);
                }
            }
        }
    }

    private List<byte[]> probes(List<byte[]> encoded) {
        List<byte[]> probes = new ArrayList<>();
        probes.add(new byte[0]);
        for (byte[] key : encoded) {
            probes.add(key);
            probes.add(Arrays.copyOf(key, key.length - 1));
            probes.add(Arrays.copyOf(key, random.nextInt(key.length)));
            byte[] longer = Arrays.copyOf(key, key.length + 1);
            longer[key.length] = random.nextBoolean() ? 0 : (byte) 0xFF;
            probes.add(longer);
            byte[] changed = key.clone();
            int at = random.nextInt(key.length);
            changed[at] += random.nextBoolean() ? 1 : -1;
            probes.add(changed);
        }
        for (int i = 0; i < 40; i++) {
            byte[] noise = new byte[random.nextInt(24)];
            random.nextBytes(noise);
            probes.add(noise);
        }
        return probes;
    }

    /** Random non-null values, many repeated (so that equal columns make later ones count). */
    private void fill(FieldVector vector) {
        vector.allocateNew();
        byte[][] pool = new byte[6][];
        for (int row = 0; row < ROWS; row++) {
            if (vector instanceof BitVector bits) {
                bits.setSafe(row, random.nextInt(2));
            } else if (vector instanceof FixedSizeBinaryVector fixed) {
                fixed.setSafe(row, pick(pool, fixed.getByteWidth()));
            } else if (vector instanceof BaseFixedWidthVector fixed) {
                int width = fixed.getTypeWidth();
                byte[] value = pick(pool, width);
                while (fixed.getValueCapacity() <= row) {
                    fixed.reAlloc();
                }
                fixed.getDataBuffer().setBytes((long) row * width, value);
                fixed.setIndexDefined(row);
            } else {
                byte[] value = new byte[random.nextInt(7)];
                for (int i = 0; i < value.length; i++) {
                    value[i] = ALPHABET[random.nextInt(ALPHABET.length)];
                }
                if (random.nextInt(4) == 0) {
                    value = "é€😀".getBytes(StandardCharsets.UTF_8);
                }
                ((VariableWidthFieldVector) vector).setSafe(row, value);
            }
        }
        vector.setValueCount(ROWS);
    }

    /** A value of {@code width} bytes: one of a few repeated ones, or a fresh random one. */
    private byte[] pick(byte[][] pool, int width) {
        int slot = random.nextInt(pool.length * 2);
        if (slot < pool.length) {
            if (pool[slot] == null) {
                pool[slot] = randomBytes(width);
            }
            return pool[slot];
        }
        return randomBytes(width);
    }

    private byte[] randomBytes(int width) {
        byte[] bytes = new byte[width];
        random.nextBytes(bytes);
        if (random.nextInt(3) == 0) {
            Arrays.fill(bytes, random.nextBoolean() ? 0 : (byte) 0xFF);
        }
        return bytes;
    }

    private static Schema schema(List<ArrowType> types) {
        List<Field> fields = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            fields.add(new Field("k" + i, FieldType.nullable(types.get(i)), null));
        }
        return new Schema(fields);
    }

    /**
     * Keys compared in place (inside larger arrays, as a merge holds a page's keys) order as the
     * arrays do: lengths around the 8-byte prefix, zero bytes past it, shared prefixes.
     */
    @Test
    void keysComparedInPlaceOrderAsTheirArrays() {
        Random random = new Random(522);
        byte[] alphabet = {0, 1, (byte) 0x7F, (byte) 0x80, (byte) 0xFF};
        for (int i = 0; i < 200_000; i++) {
            byte[] a = new byte[random.nextInt(18)];
            for (int b = 0; b < a.length; b++) {
                a[b] = alphabet[random.nextInt(alphabet.length)];
            }
            byte[] b = random.nextBoolean() ? a.clone() : new byte[random.nextInt(18)];
            if (b.length > 0 && random.nextBoolean()) {
                b[random.nextInt(b.length)] = alphabet[random.nextInt(alphabet.length)];
            } else if (b != a && !Arrays.equals(a, b)) {
                for (int k = 0; k < b.length; k++) {
                    b[k] =
                            k < a.length && random.nextInt(4) > 0
                                    ? a[k]
                                    : alphabet[random.nextInt(5)];
                }
            }
            int aAt = random.nextInt(5);
            int bAt = random.nextInt(5);
            byte[] aBlock = new byte[aAt + a.length + random.nextInt(9)];
            byte[] bBlock = new byte[bAt + b.length + random.nextInt(9)];
            random.nextBytes(aBlock);
            random.nextBytes(bBlock);
            System.arraycopy(a, 0, aBlock, aAt, a.length);
            System.arraycopy(b, 0, bBlock, bAt, b.length);
            long aPrefix = KeyCodec.prefix(aBlock, aAt, aAt + a.length);
            long bPrefix = KeyCodec.prefix(bBlock, bAt, bAt + b.length);
            assertThat(aPrefix).isEqualTo(KeyCodec.prefix(a));
            assertThat(
                            Integer.signum(
                                    KeyCodec.compare(
                                            aBlock,
                                            aAt,
                                            aAt + a.length,
                                            aPrefix,
                                            bBlock,
                                            bAt,
                                            bAt + b.length,
                                            bPrefix)))
                    .as("%s vs %s", Arrays.toString(a), Arrays.toString(b))
                    .isEqualTo(Integer.signum(Arrays.compareUnsigned(a, b)));
        }
    }
}
