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

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.List;

/**
 * Writes generation files for other Arrow readers to check (docs/tools/read_generations.mjs, see
 * docs/format.md): {@code none.arrow}, {@code lz4-frame.arrow}, {@code zstd.arrow}, {@code
 * zstd-stored.arrow} (pages cut at bytes on storage), {@code zstd-19.arrow}, {@code
 * zstd-utf8.arrow} (format version 3) and {@code zstd-filter-0.9.arrow} (a key filter sized for
 * 0.9, as a bottommost compaction output may have) of the same rows, several pages each, and {@code
 * expected.json}, the rows as that script prints them. Args: the output directory.
 */
public final class InteropFiles {

    static final Schema SCHEMA =
            new Schema(
                    List.of(
                            Memtables.notNull("id", new ArrowType.Int(64, true)),
                            Memtables.nullable("v", new ArrowType.Int(64, true)),
                            Memtables.nullable("s", ArrowType.Utf8.INSTANCE),
                            Memtables.nullable(
                                    "d",
                                    new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                            Memtables.nullable("dec", new ArrowType.Decimal(10, 2, 128)),
                            Memtables.nullable(
                                    "ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null))));

    private static final String[] STRINGS = {"", "ab", "ünï€😀", "xyz12", "a\"b\\c"};
    private static final double[] DOUBLES = {Double.NaN, -0.0, 0.0, 1.5, -1e300};

    private InteropFiles() {}

    public static void main(String[] args) throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of(args[0]);
        Files.createDirectories(dir);
        int rows = 5000;
        StringBuilder json = new StringBuilder("[\n");
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
            for (int r = 0; r < rows; r++) {
                long id = r * 3L - 7000;
                ((BigIntVector) root.getVector("id")).setSafe(r, id);
                boolean nulls = r % 17 == 4;
                String v = "null";
                String s = "null";
                String d = "null";
                String dec = "null";
                String ts = "null";
                if (nulls) {
                    for (int c = 1; c < SCHEMA.getFields().size(); c++) {
                        root.getVector(c).setNull(r);
                    }
                } else {
                    long value = r * 1_000_003L;
                    ((BigIntVector) root.getVector("v")).setSafe(r, value);
                    String text = STRINGS[r % STRINGS.length];
                    ((VarCharVector) root.getVector("s"))
                            .setSafe(r, text.getBytes(StandardCharsets.UTF_8));
                    double dv = DOUBLES[r % DOUBLES.length];
                    ((Float8Vector) root.getVector("d")).setSafe(r, dv);
                    BigDecimal amount = BigDecimal.valueOf(r * 101L - 250_000, 2);
                    ((DecimalVector) root.getVector("dec")).setSafe(r, amount);
                    long micros = 1_760_000_000_000_000L + r * 1_000_001L;
                    ((TimeStampMicroVector) root.getVector("ts")).setSafe(r, micros);
                    v = "\"" + value + "\"";
                    s = quote(text);
                    d =
                            "\""
                                    + (Double.isNaN(dv)
                                            ? "NaN"
                                            : dv == 0 && 1 / dv < 0 ? "-0" : fmt(dv))
                                    + "\"";
                    dec = "\"" + amount.unscaledValue() + "\"";
                    ts = "\"" + micros + "\"";
                }
                json.append(
                        String.format(
                                "  {\"id\": \"%d\", \"v\": %s, \"s\": %s, \"d\": %s, \"dec\": %s,"
                                        + " \"ts\": %s, \"kind\": 0}%s%n",
                                id, v, s, d, dec, ts, r + 1 < rows ? "," : ""));
            }
            root.setRowCount(rows);
            for (PageCompression codec :
                    List.of(
                            PageCompression.NONE,
                            PageCompression.LZ4_FRAME,
                            PageCompression.ZSTD)) {
                java.nio.file.Path file = dir.resolve(codec.codec().optionValue() + ".arrow");
                Files.deleteIfExists(file);
                GenerationWriter.builder(SCHEMA, List.of("id"))
                        .targetPageBytes(16 * 1024)
                        .compression(codec)
                        .build()
                        .write(new Path(file.toUri()), root, new BitSet(), allocator);
            }
            // Pages cut at 16 KiB on storage (more rows per page), and ZSTD's level 19.
            java.nio.file.Path stored = dir.resolve("zstd-stored.arrow");
            Files.deleteIfExists(stored);
            GenerationWriter.builder(SCHEMA, List.of("id"))
                    .targetStoredPageBytes(16 * 1024)
                    .compression(PageCompression.ZSTD)
                    .build()
                    .write(new Path(stored.toUri()), root, new BitSet(), allocator);
            // Format version 3: the strings as Utf8 (the files above store them as views).
            java.nio.file.Path utf8 = dir.resolve("zstd-utf8.arrow");
            Files.deleteIfExists(utf8);
            GenerationWriter.builder(SCHEMA, List.of("id"))
                    .targetPageBytes(16 * 1024)
                    .compression(PageCompression.ZSTD)
                    .formatVersion(GenerationWriter.FORMAT_VERSION_RAW_INDEX)
                    .build()
                    .write(new Path(utf8.toUri()), root, new BitSet(), allocator);
            // A key filter sized for 0.9, as a table's bottommost compaction outputs may have.
            java.nio.file.Path weakFilter = dir.resolve("zstd-filter-0.9.arrow");
            Files.deleteIfExists(weakFilter);
            GenerationWriter.builder(SCHEMA, List.of("id"))
                    .targetPageBytes(16 * 1024)
                    .compression(PageCompression.ZSTD)
                    .filterFalsePositiveRate(0.9)
                    .build()
                    .write(new Path(weakFilter.toUri()), root, new BitSet(), allocator);
            java.nio.file.Path level19 = dir.resolve("zstd-19.arrow");
            Files.deleteIfExists(level19);
            GenerationWriter.builder(SCHEMA, List.of("id"))
                    .targetPageBytes(16 * 1024)
                    .compression(PageCompression.zstd(19))
                    .build()
                    .write(new Path(level19.toUri()), root, new BitSet(), allocator);
        }
        json.append("]\n");
        Files.writeString(dir.resolve("expected.json"), json.toString());
    }

    /** As JavaScript's {@code String(number)} prints the doubles used here. */
    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e21 ? Long.toString((long) d) : jsExp(d);
    }

    private static String jsExp(double d) {
        if (Math.abs(d) >= 1e21) {
            String s = String.format("%e", d); // e.g. -1.000000e+300
            String[] parts = s.split("e");
            String mantissa = parts[0].replaceAll("\\.?0+$", "");
            int exp = Integer.parseInt(parts[1]);
            return mantissa + "e" + (exp >= 0 ? "+" : "") + exp;
        }
        return Double.toString(d);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
