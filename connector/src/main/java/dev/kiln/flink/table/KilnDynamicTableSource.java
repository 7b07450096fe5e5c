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

import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.connector.source.SourceProvider;
import org.apache.flink.table.connector.source.abilities.SupportsProjectionPushDown;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The {@code 'kiln'} connector as a source: a bounded scan of the latest version ({@link
 * KilnScanSource}), with projection pushdown. Created by {@link KilnDynamicTableFactory} at
 * planning, after the declaration was checked against the table.
 */
@Internal
public final class KilnDynamicTableSource implements ScanTableSource, SupportsProjectionPushDown {

    private final DeclaredTable table;
    private final TableOptions existing;
    private int[] columns;

    KilnDynamicTableSource(DeclaredTable table, TableOptions existing) {
        this(table, existing, IntStream.range(0, table.rowType.getFieldCount()).toArray());
    }

    private KilnDynamicTableSource(DeclaredTable table, TableOptions existing, int[] columns) {
        this.table = table;
        this.existing = existing;
        this.columns = columns;
    }

    @Override
    public ChangelogMode getChangelogMode() {
        return ChangelogMode.insertOnly();
    }

    @Override
    public ScanRuntimeProvider getScanRuntimeProvider(ScanContext context) {
        return SourceProvider.of(new KilnScanSource(table.path, producedType(), columns));
    }

    @Override
    public boolean supportsNestedProjection() {
        return false;
    }

    @Override
    public void applyProjection(int[][] projectedFields, DataType producedDataType) {
        int[] projected = new int[projectedFields.length];
        for (int i = 0; i < projected.length; i++) {
            projected[i] = columns[projectedFields[i][0]];
        }
        columns = projected;
    }

    /** The type of the rows produced: the declared columns at {@link #columns}. */
    RowType producedType() {
        List<RowType.RowField> fields = new ArrayList<>(columns.length);
        for (int column : columns) {
            fields.add(table.rowType.getFields().get(column));
        }
        return new RowType(fields);
    }

    @Override
    public DynamicTableSource copy() {
        return new KilnDynamicTableSource(table, existing, columns.clone());
    }

    @Override
    public String asSummaryString() {
        return "Kiln(" + table.path + ")";
    }
}
