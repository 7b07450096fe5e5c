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

import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.BooleanType;
import org.apache.flink.table.types.logical.DateType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.FloatType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.SmallIntType;
import org.apache.flink.table.types.logical.TimeType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.table.types.logical.TinyIntType;
import org.apache.flink.table.types.logical.VarBinaryType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;

import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Maps Flink SQL row types to the Arrow schemas of Kiln tables and back, without loss.
 *
 * <table>
 *   <caption>Flink type to Arrow type</caption>
 *   <tr><th>Flink</th><th>Arrow</th></tr>
 *   <tr><td>BOOLEAN</td><td>Bool</td></tr>
 *   <tr><td>TINYINT, SMALLINT, INT, BIGINT</td><td>Int(8, 16, 32, 64; signed)</td></tr>
 *   <tr><td>FLOAT, DOUBLE</td><td>FloatingPoint(SINGLE, DOUBLE)</td></tr>
 *   <tr><td>DECIMAL(p, s)</td><td>Decimal(p, s, 128)</td></tr>
 *   <tr><td>CHAR(n), VARCHAR(n), STRING</td><td>Utf8</td></tr>
 *   <tr><td>BINARY(n), VARBINARY(n), BYTES</td><td>Binary</td></tr>
 *   <tr><td>DATE</td><td>Date(DAY)</td></tr>
 *   <tr><td>TIME(p)</td><td>Time(MILLISECOND, 32), Flink's own precision</td></tr>
 *   <tr><td>TIMESTAMP(p)</td><td>Timestamp(MILLISECOND for p &le; 3, MICROSECOND for p &le; 6,
 *       else NANOSECOND; no zone)</td></tr>
 *   <tr><td>TIMESTAMP_LTZ(p)</td><td>the same units, zone "UTC"</td></tr>
 *   <tr><td>INTERVAL YEAR TO MONTH</td><td>Interval(YEAR_MONTH)</td></tr>
 *   <tr><td>INTERVAL DAY TO SECOND</td><td>Duration(MILLISECOND)</td></tr>
 * </table>
 *
 * <p>Arrow cannot say everything a Flink type says (CHAR's length, VARCHAR's bound, TIME's
 * precision), so each field also carries its exact Flink type, as {@link
 * LogicalType#asSerializableString()}, in its metadata under {@value #FLINK_TYPE_KEY}; {@link
 * #toRowType} reads it back. Primary-key columns are not nullable in Arrow and in Flink. Nested,
 * multiset, raw, structured and other non-scalar types are not supported.
 *
 * <p>What a DataStream job calls is {@link #tableOptions(RowType, List)} and {@link
 * #rowType(TableOptions)}: they name Flink types only. The methods naming Arrow types are
 * {@code @Internal}: the {@code sql} jar relocates Arrow, so a job jar that calls them fails with
 * {@code NoSuchMethodError} when that jar is in Flink's {@code lib/}.
 *
 * <p>Stateless and thread-safe.
 */
@PublicEvolving
public final class FlinkArrowTypes {

    /** The Arrow field metadata key under which the exact Flink type of a column is kept. */
    public static final String FLINK_TYPE_KEY = "kiln.flink.type";

    private FlinkArrowTypes() {}

    /**
     * Returns a builder of the {@link TableOptions} of a table of rows of {@code rowType} keyed by
     * {@code primaryKey} (one or more columns, in key order): what a DataStream job gives {@code
     * KilnLookup.Builder#tableOptions} and {@code KilnLookup.partitionByBucket}. Names no Arrow
     * type, so a job jar built against {@code flink-connector-kiln} links against the {@code sql}
     * jar too (whose Arrow is relocated).
     *
     * @throws ValidationException naming the column if a column's type is not supported, a
     *     primary-key column is missing or named twice, or the primary key is empty
     */
    public static TableOptions.Builder tableOptions(RowType rowType, List<String> primaryKey) {
        return TableOptions.builder(toArrowSchema(rowType, primaryKey), primaryKey);
    }

    /**
     * Returns the Flink row type of the rows of a table with {@code options}: the exact types it
     * was created from. Names no Arrow type (see {@link #tableOptions}).
     *
     * @throws ValidationException naming the column if its type has no Flink counterpart
     */
    public static RowType rowType(TableOptions options) {
        return toRowType(requireNonNull(options, "options").schema());
    }

    /**
     * Returns the Arrow schema of a table of rows of {@code rowType} keyed by {@code primaryKey}.
     *
     * <p>Internal: its signature names an Arrow type, which the {@code sql} jar relocates, so a job
     * calling it fails to link against that jar. Use {@link #tableOptions(RowType, List)}.
     *
     * @throws ValidationException naming the column if a column's type is not supported, a
     *     primary-key column is missing or named twice, or the primary key is empty
     */
    @Internal
    public static Schema toArrowSchema(RowType rowType, List<String> primaryKey) {
        requireNonNull(rowType, "rowType");
        requireNonNull(primaryKey, "primaryKey");
        if (primaryKey.isEmpty()) {
            throw new ValidationException("a Kiln table needs a primary key, but none was given");
        }
        Set<String> keys = new HashSet<>();
        for (String key : primaryKey) {
            if (!keys.add(requireNonNull(key, "primary key column"))) {
                throw new ValidationException(
                        "primary key column '" + key + "' is named twice in " + primaryKey);
            }
            if (!rowType.getFieldNames().contains(key)) {
                throw new ValidationException(
                        "primary key column '"
                                + key
                                + "' is not a column of "
                                + rowType.asSummaryString());
            }
        }
        List<Field> fields = new ArrayList<>();
        for (RowType.RowField field : rowType.getFields()) {
            boolean isKey = keys.contains(field.getName());
            LogicalType type = isKey ? field.getType().copy(false) : field.getType();
            FieldType arrow =
                    new FieldType(
                            type.isNullable(),
                            arrowType(field.getName(), type),
                            null,
                            Map.of(FLINK_TYPE_KEY, type.asSerializableString()));
            fields.add(new Field(field.getName(), arrow, null));
        }
        return new Schema(fields);
    }

    /**
     * Returns the Flink row type of a table's Arrow schema: the exact types it was created from
     * when the fields carry them, otherwise the types the Arrow types map to.
     *
     * <p>Internal: its signature names an Arrow type (see {@link #toArrowSchema}). Use {@link
     * #rowType(TableOptions)}.
     *
     * @throws ValidationException naming the column if its Arrow type has no Flink counterpart or
     *     its recorded Flink type is unreadable
     */
    @Internal
    public static RowType toRowType(Schema schema) {
        requireNonNull(schema, "schema");
        List<RowType.RowField> fields = new ArrayList<>();
        for (Field field : schema.getFields()) {
            fields.add(new RowType.RowField(field.getName(), logicalType(field)));
        }
        return new RowType(fields);
    }

    /**
     * Returns how the columns {@code declared} (say, by a DDL or a sink's row type) differ from a
     * table's columns {@code table}: the first column missing, extra, out of order, or of another
     * type or nullability, named; or {@code null} if they are the same.
     *
     * <p>Internal: its signature names an Arrow type (see {@link #toArrowSchema}).
     */
    @Internal
    public static String difference(List<Field> table, List<Field> declared) {
        for (int i = 0; i < Math.max(table.size(), declared.size()); i++) {
            if (i >= declared.size()) {
                return "the table's column '" + table.get(i).getName() + "' is not declared";
            }
            Field d = declared.get(i);
            if (i >= table.size()) {
                return "column '" + d.getName() + "' is declared, but the table has no such column";
            }
            Field t = table.get(i);
            if (!t.getName().equals(d.getName())) {
                return "column "
                        + (i + 1)
                        + " is '"
                        + t.getName()
                        + "' in the table, but '"
                        + d.getName()
                        + "' is declared";
            }
            String tType = displayType(t);
            String dType = displayType(d);
            if (!t.getType().equals(d.getType()) || !tType.equals(dType)) {
                return "column '"
                        + t.getName()
                        + "' has type "
                        + tType
                        + " in the table, but "
                        + dType
                        + " is declared";
            }
            if (t.isNullable() != d.isNullable()) {
                return "column '"
                        + t.getName()
                        + "' is "
                        + (t.isNullable() ? "nullable" : "NOT NULL")
                        + " in the table, but "
                        + (d.isNullable() ? "nullable" : "NOT NULL")
                        + " is declared";
            }
        }
        return null;
    }

    private static String displayType(Field field) {
        try {
            return logicalType(field).copy(true).asSummaryString();
        } catch (ValidationException e) {
            return field.getType().toString();
        }
    }

    /**
     * Returns the Arrow type that stores Flink type {@code type}.
     *
     * @throws ValidationException naming {@code column} if the type is not supported
     */
    static ArrowType arrowType(String column, LogicalType type) {
        switch (type.getTypeRoot()) {
            case BOOLEAN:
                return ArrowType.Bool.INSTANCE;
            case TINYINT:
                return new ArrowType.Int(8, true);
            case SMALLINT:
                return new ArrowType.Int(16, true);
            case INTEGER:
                return new ArrowType.Int(32, true);
            case BIGINT:
                return new ArrowType.Int(64, true);
            case FLOAT:
                return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case DOUBLE:
                return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case DECIMAL:
                DecimalType decimal = (DecimalType) type;
                return new ArrowType.Decimal(decimal.getPrecision(), decimal.getScale(), 128);
            case CHAR:
            case VARCHAR:
                return ArrowType.Utf8.INSTANCE;
            case BINARY:
            case VARBINARY:
                return ArrowType.Binary.INSTANCE;
            case DATE:
                return new ArrowType.Date(DateUnit.DAY);
            case TIME_WITHOUT_TIME_ZONE:
                return new ArrowType.Time(TimeUnit.MILLISECOND, 32);
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                return new ArrowType.Timestamp(
                        timestampUnit(((TimestampType) type).getPrecision()), null);
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return new ArrowType.Timestamp(
                        timestampUnit(((LocalZonedTimestampType) type).getPrecision()), "UTC");
            case INTERVAL_YEAR_MONTH:
                return new ArrowType.Interval(IntervalUnit.YEAR_MONTH);
            case INTERVAL_DAY_TIME:
                return new ArrowType.Duration(TimeUnit.MILLISECOND);
            default:
                throw new ValidationException(
                        "column '"
                                + column
                                + "' has type "
                                + type.asSummaryString()
                                + ", which a Kiln table cannot store; supported are the scalar"
                                + " SQL types (no ARRAY, MAP, MULTISET, ROW, RAW or structured"
                                + " types)");
        }
    }

    /** The Arrow unit of a timestamp of {@code precision} fractional digits. */
    static TimeUnit timestampUnit(int precision) {
        if (precision <= 3) {
            return TimeUnit.MILLISECOND;
        }
        return precision <= 6 ? TimeUnit.MICROSECOND : TimeUnit.NANOSECOND;
    }

    private static LogicalType logicalType(Field field) {
        String recorded = field.getMetadata().get(FLINK_TYPE_KEY);
        if (recorded != null) {
            LogicalType type;
            try {
                type = LogicalTypeParser.parse(recorded, FlinkArrowTypes.class.getClassLoader());
            } catch (RuntimeException e) {
                throw new ValidationException(
                        "column '"
                                + field.getName()
                                + "' records Flink type '"
                                + recorded
                                + "', which cannot be parsed",
                        e);
            }
            if (!arrowType(field.getName(), type).equals(field.getType())) {
                throw new ValidationException(
                        "column '"
                                + field.getName()
                                + "' records Flink type "
                                + recorded
                                + " but is stored as Arrow "
                                + field.getType());
            }
            return type.copy(field.isNullable());
        }
        return inferred(field).copy(field.isNullable());
    }

    private static LogicalType inferred(Field field) {
        ArrowType type = field.getType();
        switch (type.getTypeID()) {
            case Bool:
                return new BooleanType();
            case Int:
                ArrowType.Int integer = (ArrowType.Int) type;
                if (integer.getIsSigned()) {
                    switch (integer.getBitWidth()) {
                        case 8:
                            return new TinyIntType();
                        case 16:
                            return new SmallIntType();
                        case 32:
                            return new IntType();
                        case 64:
                            return new BigIntType();
                        default:
                            break;
                    }
                }
                break;
            case FloatingPoint:
                switch (((ArrowType.FloatingPoint) type).getPrecision()) {
                    case SINGLE:
                        return new FloatType();
                    case DOUBLE:
                        return new DoubleType();
                    default:
                        break;
                }
                break;
            case Decimal:
                ArrowType.Decimal decimal = (ArrowType.Decimal) type;
                if (decimal.getBitWidth() == 128) {
                    return new DecimalType(decimal.getPrecision(), decimal.getScale());
                }
                break;
            case Utf8:
                return VarCharType.STRING_TYPE;
            case Binary:
                return new VarBinaryType(VarBinaryType.MAX_LENGTH);
            case Date:
                if (((ArrowType.Date) type).getUnit() == DateUnit.DAY) {
                    return new DateType();
                }
                break;
            case Time:
                ArrowType.Time time = (ArrowType.Time) type;
                if (time.getUnit() == TimeUnit.MILLISECOND && time.getBitWidth() == 32) {
                    return new TimeType(3);
                }
                break;
            case Timestamp:
                ArrowType.Timestamp timestamp = (ArrowType.Timestamp) type;
                int precision = precisionOf(timestamp.getUnit());
                if (timestamp.getTimezone() == null) {
                    return new TimestampType(precision);
                }
                if (timestamp.getTimezone().equals("UTC")) {
                    return new LocalZonedTimestampType(precision);
                }
                break;
            default:
                break;
        }
        throw new ValidationException(
                "column '"
                        + field.getName()
                        + "' has Arrow type "
                        + type
                        + ", which Kiln does"
                        + " not map to a Flink type");
    }

    private static int precisionOf(TimeUnit unit) {
        switch (unit) {
            case SECOND:
                return 0;
            case MILLISECOND:
                return 3;
            case MICROSECOND:
                return 6;
            default:
                return 9;
        }
    }
}
