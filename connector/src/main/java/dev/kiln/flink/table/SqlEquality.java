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

package dev.kiln.flink.table;

import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.LogicalType;

import java.util.Arrays;

/**
 * SQL's {@code =} between two values of one logical type in Flink's internal data structures, as
 * Flink's generated code evaluates it: {@code true} only if neither is {@code NULL} (a comparison
 * with {@code NULL} is not true) and the values are equal. FLOAT and DOUBLE compare as numbers
 * ({@code -0.0 = 0.0}; {@code NaN} equals nothing, itself included), DECIMAL by value whatever the
 * scale, strings and binary strings by content, timestamps by instant, the other types (integers,
 * BOOLEAN, DATE, TIME, intervals) by their boxed value. Stateless.
 */
@FunctionalInterface
interface SqlEquality {

    /** Returns whether {@code a = b} is true in SQL, for internal values of the type. */
    boolean test(Object a, Object b);

    /**
     * Returns SQL's equality of {@code type}.
     *
     * @throws IllegalArgumentException naming the type if a Kiln table cannot hold it
     */
    static SqlEquality of(LogicalType type) {
        SqlEquality equal;
        switch (type.getTypeRoot()) {
            case BOOLEAN:
            case TINYINT:
            case SMALLINT:
            case INTEGER:
            case BIGINT:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE:
            case INTERVAL_YEAR_MONTH:
            case INTERVAL_DAY_TIME:
                equal = Object::equals;
                break;
            case FLOAT:
                equal = (a, b) -> (float) a == (float) b;
                break;
            case DOUBLE:
                equal = (a, b) -> (double) a == (double) b;
                break;
            case DECIMAL:
                equal = (a, b) -> ((DecimalData) a).compareTo((DecimalData) b) == 0;
                break;
            case CHAR:
            case VARCHAR:
                equal = (a, b) -> ((StringData) a).equals(b);
                break;
            case BINARY:
            case VARBINARY:
                equal = (a, b) -> Arrays.equals((byte[]) a, (byte[]) b);
                break;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                equal = (a, b) -> ((TimestampData) a).compareTo((TimestampData) b) == 0;
                break;
            default:
                throw new IllegalArgumentException(
                        "no SQL equality for type "
                                + type.asSummaryString()
                                + ", which a Kiln table cannot store");
        }
        return (a, b) -> a != null && b != null && equal.test(a, b);
    }
}
