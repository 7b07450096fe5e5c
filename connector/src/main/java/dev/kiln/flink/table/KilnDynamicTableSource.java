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

import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.flink.source.KilnSource;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.LookupTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.connector.source.SourceProvider;
import org.apache.flink.table.connector.source.abilities.SupportsLookupCustomShuffle;
import org.apache.flink.table.connector.source.abilities.SupportsProjectionPushDown;
import org.apache.flink.table.connector.source.lookup.AsyncLookupFunctionProvider;
import org.apache.flink.table.connector.source.lookup.LookupFunctionProvider;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The {@code 'kiln'} connector as a source: a scan ({@link KilnSource}: by default a bounded,
 * insert-only scan of the latest version; with {@code 'scan.mode'} an upsert changelog that follows
 * the table's versions) and a lookup source for lookup joins (asynchronous by default, {@code
 * 'lookup.async' = 'false'} for synchronous), with projection pushdown for both and a custom
 * shuffle of the lookup input by bucket (bucket {@code b} to lookup subtask {@code b %
 * parallelism}, as the sink's writers) when the query asks for it with the {@code LOOKUP} hint's
 * {@code 'shuffle' = 'true'}. A lookup join must look up the whole primary key (more lookup columns
 * are allowed: found rows must match them too, by SQL's {@code =}). Created by {@link
 * KilnDynamicTableFactory} at planning, after the declaration was checked against the table if one
 * exists; planning needs no table (the declaration's schema, key and bucket count are enough), and
 * the scan and the lookup check the table they find at runtime against the declaration.
 */
@Internal
public final class KilnDynamicTableSource
        implements ScanTableSource,
                LookupTableSource,
                SupportsProjectionPushDown,
                SupportsLookupCustomShuffle {

    private final DeclaredTable table;
    private final int bucketCount;
    private int[] columns;
    private List<String> lookupKeys;

    /**
     * @param existing the options of the table at the path, already checked against the
     *     declaration, or {@code null} if no table exists there yet: then the declaration's {@code
     *     'bucket'} (or its default) is the bucket count the lookup input is partitioned by
     */
    KilnDynamicTableSource(DeclaredTable table, @Nullable TableOptions existing) {
        this(
                table,
                existing != null ? existing.bucketCount() : table.options.get(KilnOptions.BUCKET),
                IntStream.range(0, table.rowType.getFieldCount()).toArray(),
                null);
    }

    private KilnDynamicTableSource(
            DeclaredTable table, int bucketCount, int[] columns, List<String> lookupKeys) {
        this.table = table;
        this.bucketCount = bucketCount;
        this.columns = columns;
        this.lookupKeys = lookupKeys;
    }

    /**
     * Insert-only for a snapshot scan; else an upsert changelog whose deletes carry only the key
     * ({@link ChangelogMode#upsert()}), so the planner normalises them where a query needs whole
     * rows.
     */
    @Override
    public ChangelogMode getChangelogMode() {
        return table.options.get(KilnOptions.SCAN_MODE) == ScanMode.SNAPSHOT
                ? ChangelogMode.insertOnly()
                : ChangelogMode.upsert();
    }

    @Override
    public ScanRuntimeProvider getScanRuntimeProvider(ScanContext context) {
        KilnSource.Builder source =
                KilnSource.builder(table.check().path)
                        .rowType(table.rowType)
                        .projection(columns)
                        .check(table.check())
                        .pollInterval(table.options.get(KilnOptions.SCAN_POLL_INTERVAL))
                        .onVersionExpired(table.options.get(KilnOptions.SCAN_ON_VERSION_EXPIRED));
        if (table.options.get(KilnOptions.SCAN_MODE) == ScanMode.SNAPSHOT) {
            source.stoppingAtLatest();
        } else {
            source.startingFrom(KilnOptions.startingPosition(table.options));
            if (table.options.get(KilnOptions.SCAN_BOUNDED)) {
                source.stoppingAtLatest();
            }
        }
        return SourceProvider.of(source.build());
    }

    @Override
    public LookupRuntimeProvider getLookupRuntimeProvider(LookupContext context) {
        RowType produced = producedType();
        List<String> names = new ArrayList<>();
        List<RowType.RowField> keyFields = new ArrayList<>();
        List<int[]> extraChecks = new ArrayList<>();
        for (int[] path : context.getKeys()) {
            if (path.length != 1) {
                throw new ValidationException(
                        "Table "
                                + table.name
                                + ": a 'kiln' table has no nested columns to look up");
            }
            RowType.RowField field = produced.getFields().get(path[0]);
            if (!table.primaryKey.contains(field.getName())) {
                extraChecks.add(new int[] {names.size(), path[0]});
            }
            names.add(field.getName());
            keyFields.add(field);
        }
        if (!names.containsAll(table.primaryKey)) {
            throw new ValidationException(
                    "Table "
                            + table.name
                            + ": a lookup join on a 'kiln' table must look up its whole primary key "
                            + table.primaryKey
                            + ", but it looks up "
                            + names);
        }
        lookupKeys = List.copyOf(names);
        SqlLookup lookup =
                new SqlLookup(
                        table.check(),
                        new RowType(keyFields),
                        table.primaryKey,
                        columns,
                        produced,
                        extraChecks.toArray(new int[0][]),
                        context.preferCustomShuffle() ? bucketCount : 0,
                        KilnOptions.lookupOptions(table.options));
        return table.options.get(KilnOptions.LOOKUP_ASYNC)
                ? AsyncLookupFunctionProvider.of(new KilnSqlAsyncLookupFunction(lookup))
                : LookupFunctionProvider.of(new KilnSqlLookupFunction(lookup));
    }

    /**
     * Partitions the lookup input by bucket. The planner hands the partitioner the lookup key
     * columns ordered by their position in the produced row; with no lookup planned yet, those are
     * the primary key's.
     */
    @Override
    public Optional<InputDataPartitioner> getPartitioner() {
        RowType produced = producedType();
        List<String> keys = lookupKeys != null ? lookupKeys : table.primaryKey;
        List<RowType.RowField> fields = new ArrayList<>();
        for (String key : keys) {
            fields.add(produced.getFields().get(produced.getFieldIndex(key)));
        }
        fields.sort(Comparator.comparingInt(f -> produced.getFieldIndex(f.getName())));
        return Optional.of(
                new BucketPartitioner(
                        new RowKeyExtractor(new RowType(fields), table.primaryKey), bucketCount));
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
        return new KilnDynamicTableSource(table, bucketCount, columns.clone(), lookupKeys);
    }

    @Override
    public String asSummaryString() {
        return "Kiln(" + table.path + ")";
    }

    /** Bucket {@code b} goes to lookup subtask {@code b % n}, the sink writers' rule. */
    static final class BucketPartitioner implements InputDataPartitioner {
        private static final long serialVersionUID = 1L;
        private final RowKeyExtractor keys;
        private final int bucketCount;

        BucketPartitioner(RowKeyExtractor keys, int bucketCount) {
            this.keys = keys;
            this.bucketCount = bucketCount;
        }

        @Override
        public int partition(RowData joinKeys, int numPartitions) {
            for (int i = 0; i < joinKeys.getArity(); i++) {
                if (joinKeys.isNullAt(i)) {
                    return 0; // matches nothing; any subtask answers it without a read
                }
            }
            return keys.bucket(joinKeys, bucketCount) % numPartitions;
        }
    }
}
