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

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.source.KilnSource;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.vector.types.pojo.Schema;

import javax.annotation.Nullable;

import java.util.List;

/**
 * What a table's declaration requires of the Kiln table at its path: its columns (names, types,
 * nullability, in order), its primary key and, if the DDL sets {@code 'bucket'}, its bucket count.
 * Checked when the statement is planned against a table that exists then, and again by the scan and
 * the lookup when they open the table at runtime, which may have been created since. Immutable and
 * serializable.
 */
final class DeclarationCheck implements KilnSource.TableCheck {

    private static final long serialVersionUID = 1L;

    final String name;
    final Path path;
    private final RowType rowType;
    private final List<String> primaryKey;
    @Nullable private final Integer buckets;

    DeclarationCheck(
            String name,
            Path path,
            RowType rowType,
            List<String> primaryKey,
            @Nullable Integer buckets) {
        this.name = name;
        this.path = path;
        this.rowType = rowType;
        this.primaryKey = List.copyOf(primaryKey);
        this.buckets = buckets;
    }

    /**
     * Checks the table at {@link #path} against the declaration.
     *
     * @throws ValidationException naming the table, its path and the first difference
     */
    @Override
    public void check(TableOptions table) {
        String difference = null;
        if (!table.primaryKey().equals(primaryKey)) {
            difference =
                    "the table's primary key is "
                            + table.primaryKey()
                            + ", but "
                            + primaryKey
                            + " is declared";
        }
        if (difference == null) {
            Schema declared = FlinkArrowTypes.toArrowSchema(rowType, primaryKey);
            difference =
                    FlinkArrowTypes.difference(table.schema().getFields(), declared.getFields());
        }
        if (difference == null && buckets != null && buckets != table.bucketCount()) {
            difference =
                    "the table has "
                            + table.bucketCount()
                            + " buckets, but 'bucket' = '"
                            + buckets
                            + "' is declared";
        }
        if (difference != null) {
            throw new ValidationException(
                    "Table "
                            + name
                            + " does not match the Kiln table at "
                            + path
                            + ": "
                            + difference);
        }
    }

    /**
     * Returns the options of the table the declaration describes, for a reader that starts before
     * the table exists ({@link dev.kiln.table.KilnTable#expect}): the declared columns and key, and
     * the declared bucket count, or {@code bucketsIfUndeclared}.
     */
    TableOptions expectedOptions(int bucketsIfUndeclared) {
        return TableOptions.builder(FlinkArrowTypes.toArrowSchema(rowType, primaryKey), primaryKey)
                .bucketCount(buckets != null ? buckets : bucketsIfUndeclared)
                .build();
    }
}
