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
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
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

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test memtables: one column of each Arrow type Kiln maps Flink SQL types to. */
final class Memtables {

    private Memtables() {}

    static Field nullable(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }

    static Field notNull(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    /** BIGINT key, then TINYINT .. TIMESTAMP_LTZ value columns, all nullable. */
    static final Schema ALL_TYPES =
            new Schema(
                    List.of(
                            notNull("id", new ArrowType.Int(64, true)),
                            nullable("tiny", new ArrowType.Int(8, true)),
                            nullable("small", new ArrowType.Int(16, true)),
                            nullable("int", new ArrowType.Int(32, true)),
                            nullable("big", new ArrowType.Int(64, true)),
                            nullable(
                                    "f",
                                    new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                            nullable(
                                    "d",
                                    new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                            nullable("flag", ArrowType.Bool.INSTANCE),
                            nullable("s", ArrowType.Utf8.INSTANCE),
                            nullable("bin", ArrowType.Binary.INSTANCE),
                            nullable("dec", new ArrowType.Decimal(18, 3, 128)),
                            nullable("day", new ArrowType.Date(DateUnit.DAY)),
                            nullable("time", new ArrowType.Time(TimeUnit.MILLISECOND, 32)),
                            nullable("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                            nullable("ltz", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"))));

    /** Fills row {@code row} of an {@link #ALL_TYPES} root from {@code id} and {@code version}. */
    static void setAllTypesRow(VectorSchemaRoot root, int row, long id, int version) {
        long v = id * 31 + version;
        ((BigIntVector) root.getVector("id")).setSafe(row, id);
        boolean nulls = v % 7 == 3;
        if (nulls) {
            for (FieldVector vector : root.getFieldVectors()) {
                if (!vector.getName().equals("id")) {
                    setNull(vector, row);
                }
            }
            return;
        }
        ((TinyIntVector) root.getVector("tiny")).setSafe(row, (byte) v);
        ((SmallIntVector) root.getVector("small")).setSafe(row, (short) v);
        ((IntVector) root.getVector("int")).setSafe(row, (int) -v);
        ((BigIntVector) root.getVector("big")).setSafe(row, v * 1_000_000_007L);
        ((Float4Vector) root.getVector("f")).setSafe(row, v / 3f);
        ((Float8Vector) root.getVector("d")).setSafe(row, -v / 7d);
        ((BitVector) root.getVector("flag")).setSafe(row, (int) (v & 1));
        ((VarCharVector) root.getVector("s"))
                .setSafe(row, ("value-" + v + "-ünï").getBytes(StandardCharsets.UTF_8));
        ((VarBinaryVector) root.getVector("bin")).setSafe(row, new byte[] {0, (byte) v, -1});
        ((DecimalVector) root.getVector("dec"))
                .setSafe(row, BigDecimal.valueOf(v * 1001 - 5000, 3));
        ((DateDayVector) root.getVector("day")).setSafe(row, (int) (v % 40_000) - 10_000);
        ((TimeMilliVector) root.getVector("time")).setSafe(row, (int) (v % 86_400_000));
        ((TimeStampMicroVector) root.getVector("ts")).setSafe(row, v * 1_000_003L);
        ((TimeStampMicroTZVector) root.getVector("ltz")).setSafe(row, -v * 999L);
    }

    private static void setNull(FieldVector vector, int row) {
        if (vector instanceof org.apache.arrow.vector.BaseFixedWidthVector) {
            ((org.apache.arrow.vector.BaseFixedWidthVector) vector).setNull(row);
        } else {
            ((org.apache.arrow.vector.BaseVariableWidthVector) vector).setNull(row);
        }
    }

    /** Returns a root of {@link #ALL_TYPES} with one row per id, version 0. */
    static VectorSchemaRoot allTypes(BufferAllocator allocator, long... ids) {
        VectorSchemaRoot root = VectorSchemaRoot.create(ALL_TYPES, allocator);
        for (int i = 0; i < ids.length; i++) {
            setAllTypesRow(root, i, ids[i], 0);
        }
        root.setRowCount(ids.length);
        return root;
    }

    /** Returns the values of a row in a form whose {@code equals} compares contents. */
    static List<Object> comparable(List<Object> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object o : values) {
            out.add(
                    o instanceof byte[]
                            ? Arrays.toString((byte[]) o)
                            : o == null ? "<null>" : o.toString());
        }
        return out;
    }

    /** Returns the values of row {@code row} of {@code root}'s first {@code columns} columns. */
    static List<Object> row(VectorSchemaRoot root, int row, int columns) {
        List<Object> values = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            values.add(root.getVector(c).getObject(row));
        }
        return comparable(values);
    }
}
