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

import dev.kiln.flink.data.PageRowReader;
import dev.kiln.flink.data.RowDataReader;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.flink.lookup.LookupEngine;
import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.flink.lookup.SnapshotFollower;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.TaskManagerConfig;
import dev.kiln.format.LookupResult;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.types.logical.RowType;

import javax.annotation.Nullable;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.IntPredicate;

/**
 * What the SQL lookup functions share: per subtask, a lease on the TaskManager's cache of the
 * table, a {@link SnapshotFollower} and a {@link LookupEngine} (micro-batched lookups of the
 * follower's current snapshot), and the conversions between the planner's key rows and Kiln's
 * encoded keys and rows.
 *
 * <p>Serializable (it travels in the job graph); the runtime parts are built in {@link #open}.
 * {@link #lookup} is thread-safe after {@code open}.
 */
final class SqlLookup implements Serializable {

    private static final long serialVersionUID = 1L;

    private final DeclarationCheck declaration;
    private final RowType keyRowType;
    private final List<String> primaryKey;
    private final int[] columns;
    private final RowType producedType;
    private final int[][] extraKeyChecks;
    private final int shuffledBuckets;
    private final LookupOptions options;

    private transient KilnCacheRegistry.Lease lease;
    private transient SnapshotFollower follower;
    private transient LookupEngine engine;
    private transient RowKeyExtractor keys;

    /** The array the hit path encodes fixed-length keys into (null if keys vary in length). */
    @Nullable private transient byte[] probe;

    private transient RowDataReader rows;
    private transient PageRowReader pageRows;
    private transient RowData.FieldGetter[] keyGetters;
    private transient RowData.FieldGetter[] producedGetters;
    private transient SqlEquality[] extraKeyEquality;

    /**
     * @param declaration the table's declaration, checked against the table found at runtime
     * @param keyRowType the planner's key rows: the lookup key columns in the planner's order
     * @param columns positions in the table of the columns produced
     * @param producedType the produced rows' type
     * @param extraKeyChecks pairs (key row field, produced field) of lookup keys that are not part
     *     of the primary key: a found row must hold a value there that is SQL-equal ({@link
     *     SqlEquality}) to the key row's
     * @param shuffledBuckets the bucket count the lookup input is partitioned by (bucket {@code b}
     *     to subtask {@code b % parallelism}), or 0 if it is not partitioned
     */
    SqlLookup(
            DeclarationCheck declaration,
            RowType keyRowType,
            List<String> primaryKey,
            int[] columns,
            RowType producedType,
            int[][] extraKeyChecks,
            int shuffledBuckets,
            LookupOptions options) {
        this.declaration = declaration;
        this.keyRowType = keyRowType;
        this.primaryKey = List.copyOf(primaryKey);
        this.columns = columns.clone();
        this.producedType = producedType;
        this.extraKeyChecks = extraKeyChecks;
        this.shuffledBuckets = shuffledBuckets;
        this.options = options;
    }

    void open(FunctionContext context) throws Exception {
        KilnTable table;
        try {
            table = KilnTable.open(declaration.path);
            declaration.check(table.options());
        } catch (TableNotFoundException e) {
            // Deployed before the writer: answer absent until the table's first version, which
            // the follower then checks against the declaration and follows, warmed.
            table =
                    KilnTable.expect(
                            declaration.path,
                            declaration.expectedOptions(
                                    shuffledBuckets > 0
                                            ? shuffledBuckets
                                            : KilnOptions.BUCKET.defaultValue()));
        }
        TaskInfo task = context.getTaskInfo();
        int subtask = task.getIndexOfThisSubtask();
        int parallelism = task.getNumberOfParallelSubtasks();
        IntPredicate owns =
                ownedBuckets(shuffledBuckets, table.options().bucketCount(), subtask, parallelism);
        keys = new RowKeyExtractor(keyRowType, primaryKey);
        probe = keys.newProbe();
        rows = new RowDataReader(producedType);
        pageRows = new PageRowReader(producedType, columns);
        keyGetters = getters(keyRowType);
        producedGetters = getters(producedType);
        extraKeyEquality = new SqlEquality[extraKeyChecks.length];
        for (int i = 0; i < extraKeyChecks.length; i++) {
            extraKeyEquality[i] = SqlEquality.of(producedType.getTypeAt(extraKeyChecks[i][1]));
        }
        lease =
                KilnCacheRegistry.instance()
                        .acquire(
                                declaration.path,
                                options.cacheSettings(),
                                TaskManagerConfig.of(context));
        GenerationCache cache = lease.cache();
        follower =
                new SnapshotFollower(
                        table,
                        SnapshotFollower.VersionSource.of(table),
                        cache,
                        cache.warmGate(),
                        owns,
                        options.warmBeforeSwap(),
                        options.warmDeadline());
        follower.initialize();
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        engine =
                new LookupEngine(
                        table,
                        cache,
                        follower,
                        owns,
                        options.batchMaxSize(),
                        options.batchWindow(),
                        metrics);
        metrics.register(context.getMetricGroup().addGroup("kiln"), follower, lease);
        follower.start(options.pollInterval());
    }

    /**
     * Returns the row of the key in {@code keyRow} (none if it was never written, was deleted, a
     * key column is null, or a non-key lookup column is not SQL-equal to the key row's).
     */
    CompletableFuture<Collection<RowData>> lookup(RowData keyRow) {
        for (int i = 0; i < keyGetters.length; i++) {
            if (keyRow.isNullAt(i)) {
                return CompletableFuture.completedFuture(List.of()); // NULL equals nothing
            }
        }
        byte[] key;
        try {
            key = keys.key(keyRow, probe);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Object hit;
        try {
            // The hit path: the produced row read straight from the cached page's vectors (a
            // copy, which outlives the page: the planner emits it later), no hand-off.
            hit = engine.lookupIfCached(key, pageRows);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (hit != null) {
            return CompletableFuture.completedFuture(
                    answer(keyRow, hit == LookupResult.absent() ? null : (RowData) hit));
        }
        // A miss outlives this call, the probe array does not: the next key row reuses it.
        return engine.lookupMissed(key == probe ? key.clone() : key)
                .handle(
                        (found, error) -> {
                            if (error != null) {
                                throw new CompletionException(unwrap(error));
                            }
                            return answer(
                                    keyRow,
                                    found.status() == LookupResult.Status.FOUND
                                            ? rows.read(project(found.values()))
                                            : null);
                        });
    }

    /** The rows to emit for {@code keyRow} when the table's row of its key is {@code row}. */
    private Collection<RowData> answer(RowData keyRow, @Nullable RowData row) {
        if (row == null) {
            return List.of();
        }
        for (int i = 0; i < extraKeyChecks.length; i++) {
            int[] check = extraKeyChecks[i];
            Object wanted = keyGetters[check[0]].getFieldOrNull(keyRow);
            Object held = producedGetters[check[1]].getFieldOrNull(row);
            if (!extraKeyEquality[i].test(wanted, held)) {
                return List.of();
            }
        }
        return List.of(row);
    }

    void close() throws Exception {
        try {
            if (engine != null) {
                engine.close();
            }
            if (follower != null) {
                follower.close();
            }
        } finally {
            if (lease != null) {
                lease.close();
            }
        }
    }

    /**
     * Returns the buckets a subtask follows and warms: with the input partitioned by the table's
     * bucket count, its own ({@code b % parallelism == subtask}); otherwise all, as any subtask may
     * see any bucket (no shuffle, or a table created after planning with another bucket count than
     * the one the input was partitioned by).
     */
    static IntPredicate ownedBuckets(
            int shuffledBuckets, int tableBuckets, int subtask, int parallelism) {
        return shuffledBuckets == tableBuckets ? b -> b % parallelism == subtask : b -> true;
    }

    private List<Object> project(List<Object> values) {
        List<Object> projected = new ArrayList<>(columns.length);
        for (int column : columns) {
            projected.add(values.get(column));
        }
        return projected;
    }

    private static RowData.FieldGetter[] getters(RowType type) {
        RowData.FieldGetter[] getters = new RowData.FieldGetter[type.getFieldCount()];
        for (int i = 0; i < getters.length; i++) {
            getters[i] = RowData.createFieldGetter(type.getTypeAt(i), i);
        }
        return getters;
    }

    private static Throwable unwrap(Throwable error) {
        while ((error instanceof CompletionException || error instanceof ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
