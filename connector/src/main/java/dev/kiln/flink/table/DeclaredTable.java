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
import dev.kiln.format.KeyCodec;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableOptions;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.vector.types.pojo.Schema;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * What a {@code CREATE TABLE ... WITH ('connector' = 'kiln')} declares, checked against itself and
 * against the table at its path. Immutable.
 */
final class DeclaredTable {

    final String name;
    final Path path;
    final RowType rowType;
    final List<String> primaryKey;
    final ReadableConfig options;

    private DeclaredTable(
            String name,
            Path path,
            RowType rowType,
            List<String> primaryKey,
            ReadableConfig options) {
        this.name = name;
        this.path = path;
        this.rowType = rowType;
        this.primaryKey = primaryKey;
        this.options = options;
    }

    /**
     * Reads and checks the declaration: a primary key of types a Kiln key can hold, types a Kiln
     * table can store.
     *
     * @throws ValidationException naming the table and what is wrong
     */
    static DeclaredTable of(
            ObjectIdentifier identifier, ResolvedSchema schema, ReadableConfig options) {
        String name = identifier.asSummaryString();
        Optional<UniqueConstraint> key = schema.getPrimaryKey();
        if (key.isEmpty()) {
            throw new ValidationException(
                    "Table "
                            + name
                            + " of the 'kiln' connector needs a primary key: declare one with"
                            + " PRIMARY KEY (...) NOT ENFORCED");
        }
        List<String> primaryKey = key.get().getColumns();
        for (String column : primaryKey) {
            Optional<Column> declared = schema.getColumn(column);
            if (declared.isPresent() && !declared.get().isPhysical()) {
                throw new ValidationException(
                        "Table "
                                + name
                                + ": primary key column '"
                                + column
                                + "' must be a physical column");
            }
        }
        RowType rowType = (RowType) schema.toPhysicalRowDataType().getLogicalType();
        Schema arrowSchema;
        try {
            arrowSchema = FlinkArrowTypes.toArrowSchema(rowType, primaryKey);
        } catch (ValidationException e) {
            throw new ValidationException("Table " + name + ": " + e.getMessage(), e);
        }
        for (String column : primaryKey) {
            try {
                KeyCodec.of(arrowSchema, List.of(column));
            } catch (IllegalArgumentException e) {
                throw new ValidationException(
                        "Table "
                                + name
                                + ": primary key column '"
                                + column
                                + "' has type "
                                + rowType.getTypeAt(rowType.getFieldIndex(column)).asSummaryString()
                                + ", which cannot be a key of a Kiln table (FLOAT and DOUBLE"
                                + " have no encoding whose equality is SQL's, INTERVAL YEAR TO"
                                + " MONTH none at all): "
                                + e.getMessage(),
                        e);
            }
        }
        return new DeclaredTable(
                name, new Path(options.get(KilnOptions.PATH)), rowType, primaryKey, options);
    }

    /** What this declaration requires of the Kiln table at {@link #path}. */
    DeclarationCheck check() {
        return new DeclarationCheck(
                name,
                path,
                rowType,
                primaryKey,
                options.getOptional(KilnOptions.BUCKET).orElse(null));
    }

    /**
     * Returns the options of the table at the path, checked against the declaration (columns,
     * types, nullability, primary key, and the bucket count if the DDL sets one), or {@code null}
     * if no table exists there.
     *
     * @throws ValidationException naming the table, its path and the first difference, or why the
     *     table cannot be read
     */
    @Nullable
    TableOptions existing() {
        TableOptions table;
        try {
            table = KilnTable.open(path).options();
        } catch (TableNotFoundException absent) {
            return null;
        } catch (IOException | RuntimeException e) {
            throw new ValidationException(
                    "Table " + name + ": cannot read the Kiln table at " + path + ": " + e, e);
        }
        check().check(table);
        return table;
    }
}
