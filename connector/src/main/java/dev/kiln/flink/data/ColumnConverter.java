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

package dev.kiln.flink.data;

import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.data.binary.BinaryStringData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.TimestampType;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalYearVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.util.Text;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneOffset;

/**
 * Moves the values of one column between Flink's internal data structures ({@link RowData}) and
 * Arrow: into a vector when a row is written, into {@code KeyCodec}'s Java values when a key is
 * encoded, and back from what Arrow vectors' {@code getObject} returns when a row is read.
 *
 * <p>Every method takes a non-null value; callers handle nulls. Stateless and thread-safe.
 *
 * @see FlinkArrowTypes for the type mapping
 */
abstract class ColumnConverter {

    private static final int NANOS_PER_MILLI = 1_000_000;

    /** Writes the non-null value at {@code pos} of {@code row} into row {@code index}. */
    abstract void write(RowData row, int pos, FieldVector vector, int index);

    /** Returns the non-null value at {@code pos} of {@code row} as a key value of the codec. */
    abstract Object keyValue(RowData row, int pos);

    /** Returns the internal Flink value of what {@code FieldVector.getObject} returned. */
    abstract Object toInternal(Object arrowValue);

    /** Returns the bytes a value adds to a memtable, about: fixed widths, or the value's length. */
    abstract int sizeOf(RowData row, int pos);

    /**
     * Returns the converter of a column of {@code type}.
     *
     * @throws org.apache.flink.table.api.ValidationException naming {@code column} if the type is
     *     not supported
     */
    static ColumnConverter of(String column, LogicalType type) {
        FlinkArrowTypes.arrowType(column, type);
        switch (type.getTypeRoot()) {
            case BOOLEAN:
                return new Fixed(1) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((BitVector) v).setSafe(i, row.getBoolean(pos) ? 1 : 0);
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getBoolean(pos);
                    }
                };
            case TINYINT:
                return new Fixed(1) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((TinyIntVector) v).setSafe(i, row.getByte(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getByte(pos);
                    }
                };
            case SMALLINT:
                return new Fixed(2) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((SmallIntVector) v).setSafe(i, row.getShort(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getShort(pos);
                    }
                };
            case INTEGER:
                return new Fixed(4) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((IntVector) v).setSafe(i, row.getInt(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getInt(pos);
                    }
                };
            case BIGINT:
                return new Fixed(8) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((BigIntVector) v).setSafe(i, row.getLong(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getLong(pos);
                    }
                };
            case FLOAT:
                return new Fixed(4) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((Float4Vector) v).setSafe(i, row.getFloat(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getFloat(pos);
                    }
                };
            case DOUBLE:
                return new Fixed(8) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((Float8Vector) v).setSafe(i, row.getDouble(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getDouble(pos);
                    }
                };
            case DECIMAL:
                return decimal((DecimalType) type);
            case CHAR:
            case VARCHAR:
                return STRING;
            case BINARY:
            case VARBINARY:
                return BINARY;
            case DATE:
                return new Fixed(4) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((DateDayVector) v).setSafe(i, row.getInt(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getInt(pos);
                    }
                };
            case TIME_WITHOUT_TIME_ZONE:
                return new Fixed(4) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((TimeMilliVector) v).setSafe(i, row.getInt(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getInt(pos);
                    }

                    @Override
                    Object toInternal(Object arrowValue) {
                        // TimeMilliVector returns the time of day as a LocalDateTime on 1970-01-01.
                        return (int)
                                (((LocalDateTime) arrowValue).toLocalTime().toNanoOfDay()
                                        / NANOS_PER_MILLI);
                    }
                };
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                int precision = ((TimestampType) type).getPrecision();
                return new Timestamp(precision, FlinkArrowTypes.timestampUnit(precision));
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                int ltzPrecision = ((LocalZonedTimestampType) type).getPrecision();
                return new Timestamp(ltzPrecision, FlinkArrowTypes.timestampUnit(ltzPrecision));
            case INTERVAL_YEAR_MONTH:
                return new Fixed(4) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((IntervalYearVector) v).setSafe(i, row.getInt(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getInt(pos);
                    }

                    @Override
                    Object toInternal(Object arrowValue) {
                        return (int) ((Period) arrowValue).toTotalMonths();
                    }
                };
            case INTERVAL_DAY_TIME:
                return new Fixed(8) {
                    void write(RowData row, int pos, FieldVector v, int i) {
                        ((DurationVector) v).setSafe(i, row.getLong(pos));
                    }

                    Object keyValue(RowData row, int pos) {
                        return row.getLong(pos);
                    }

                    @Override
                    Object toInternal(Object arrowValue) {
                        return ((Duration) arrowValue).toMillis();
                    }
                };
            default:
                throw new IllegalStateException("unmapped type " + type);
        }
    }

    /** A fixed-width column whose Arrow objects are Flink's internal values as they are. */
    private abstract static class Fixed extends ColumnConverter {
        private final int width;

        Fixed(int width) {
            this.width = width;
        }

        @Override
        Object toInternal(Object arrowValue) {
            return arrowValue;
        }

        @Override
        int sizeOf(RowData row, int pos) {
            return width;
        }
    }

    private static final ColumnConverter STRING =
            new ColumnConverter() {
                void write(RowData row, int pos, FieldVector v, int i) {
                    StringData string = row.getString(pos);
                    if (string instanceof BinaryStringData) {
                        // the UTF-8 bytes straight from the string's memory: no copy on the heap
                        BinaryStringData binary = (BinaryStringData) string;
                        int length = binary.getSizeInBytes(); // encodes a Java string once
                        MemorySegment[] segments = binary.getSegments();
                        int offset = binary.getOffset();
                        if (segments.length == 1) {
                            byte[] heap = segments[0].getHeapMemory();
                            if (heap != null && offset + length <= heap.length) {
                                ((VarCharVector) v).setSafe(i, heap, offset, length);
                                return;
                            }
                        }
                    }
                    ((VarCharVector) v).setSafe(i, string.toBytes());
                }

                Object keyValue(RowData row, int pos) {
                    return row.getString(pos).toBytes();
                }

                Object toInternal(Object arrowValue) {
                    Text text = (Text) arrowValue;
                    return StringData.fromBytes(text.getBytes(), 0, (int) text.getLength());
                }

                int sizeOf(RowData row, int pos) {
                    StringData string = row.getString(pos);
                    return (string instanceof BinaryStringData
                                    ? ((BinaryStringData) string).getSizeInBytes()
                                    : string.toBytes().length)
                            + 4;
                }
            };

    private static final ColumnConverter BINARY =
            new ColumnConverter() {
                void write(RowData row, int pos, FieldVector v, int i) {
                    ((VarBinaryVector) v).setSafe(i, row.getBinary(pos));
                }

                Object keyValue(RowData row, int pos) {
                    return row.getBinary(pos);
                }

                Object toInternal(Object arrowValue) {
                    return arrowValue;
                }

                int sizeOf(RowData row, int pos) {
                    return row.getBinary(pos).length + 4;
                }
            };

    private static ColumnConverter decimal(DecimalType type) {
        int precision = type.getPrecision();
        int scale = type.getScale();
        return new Fixed(16) {
            void write(RowData row, int pos, FieldVector v, int i) {
                ((DecimalVector) v).setSafe(i, value(row, pos));
            }

            Object keyValue(RowData row, int pos) {
                return value(row, pos);
            }

            @Override
            Object toInternal(Object arrowValue) {
                return DecimalData.fromBigDecimal((BigDecimal) arrowValue, precision, scale);
            }

            private BigDecimal value(RowData row, int pos) {
                DecimalData decimal = row.getDecimal(pos, precision, scale);
                if (decimal == null) {
                    throw new IllegalArgumentException(
                            "the value does not fit DECIMAL(" + precision + ", " + scale + ")");
                }
                return decimal.toBigDecimal();
            }
        };
    }

    /**
     * TIMESTAMP and TIMESTAMP_LTZ: an epoch count in the column's unit. Flink's {@link
     * TimestampData} is epoch milliseconds plus nanoseconds of the millisecond; zone-less
     * timestamps are stored as if at UTC, as Arrow specifies.
     */
    private static final class Timestamp extends Fixed {
        private final int precision;
        private final TimeUnit unit;

        Timestamp(int precision, TimeUnit unit) {
            super(8);
            this.precision = precision;
            this.unit = unit;
        }

        @Override
        void write(RowData row, int pos, FieldVector v, int i) {
            ((TimeStampVector) v).setSafe(i, (long) keyValue(row, pos));
        }

        @Override
        Object keyValue(RowData row, int pos) {
            TimestampData ts = row.getTimestamp(pos, precision);
            long millis = ts.getMillisecond();
            int nanos = ts.getNanoOfMillisecond();
            switch (unit) {
                case MILLISECOND:
                    return millis;
                case MICROSECOND:
                    return Math.addExact(Math.multiplyExact(millis, 1000L), nanos / 1000);
                default:
                    return Math.addExact(Math.multiplyExact(millis, (long) NANOS_PER_MILLI), nanos);
            }
        }

        @Override
        Object toInternal(Object arrowValue) {
            long epoch;
            if (arrowValue instanceof LocalDateTime) {
                LocalDateTime local = (LocalDateTime) arrowValue;
                return TimestampData.fromEpochMillis(
                        local.toInstant(ZoneOffset.UTC).toEpochMilli(),
                        local.getNano() % NANOS_PER_MILLI);
            }
            epoch = (Long) arrowValue;
            switch (unit) {
                case MILLISECOND:
                    return TimestampData.fromEpochMillis(epoch);
                case MICROSECOND:
                    return TimestampData.fromEpochMillis(
                            Math.floorDiv(epoch, 1000L), (int) Math.floorMod(epoch, 1000L) * 1000);
                default:
                    return TimestampData.fromEpochMillis(
                            Math.floorDiv(epoch, (long) NANOS_PER_MILLI),
                            (int) Math.floorMod(epoch, (long) NANOS_PER_MILLI));
            }
        }
    }
}
