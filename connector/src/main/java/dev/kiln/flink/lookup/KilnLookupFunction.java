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

package dev.kiln.flink.lookup;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.KeyEncoder;
import dev.kiln.flink.data.PageRowReader;
import dev.kiln.flink.data.PageRowView;
import dev.kiln.flink.data.RowDataReader;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.TaskManagerConfig;
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.format.RowReader;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.ExceptionUtils;

import javax.annotation.Nullable;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * Looks each input's key up in a Kiln table, for {@code AsyncDataStream.unorderedWait} / {@code
 * orderedWait} (with or without an {@code AsyncRetryStrategy}). Built by {@link
 * KilnLookup#builder}.
 *
 * <p>Per subtask: a lease on the TaskManager's shared cache of the table ({@link
 * KilnCacheRegistry}); a {@link SnapshotFollower} that polls the table and warms each new version's
 * generations of the buckets this subtask owns before lookups see it; and micro-batches of the
 * lookups not answered inline from the cache, with no lock around the lookup (see {@link
 * LookupOptions}). Each input is answered from the snapshot current when {@link #asyncInvoke} was
 * called for it, so an input is never answered from an older version than an input before it: with
 * {@code orderedWait} the answers of a key never go back in time.
 *
 * <p>Answers: the newest row of the key in that snapshot, or {@code null} (none) if it was never
 * written or was deleted. A storage error or a {@code CorruptGenerationException} completes that
 * input's {@link ResultFuture} exceptionally with the error itself; so does an exception of the key
 * or result function. Timeouts are Flink's ({@code TimeoutException}, the default {@code timeout}).
 *
 * <p>The table: built with {@link KilnLookup.Builder#tableOptions}, the function starts before its
 * table exists and answers every key absent until it is created, then follows it (warmed before the
 * swap). Once a subtask has read the table, a table deleted or replaced at the path fails its
 * lookups with {@link dev.kiln.table.TableNotFoundException} or {@link
 * dev.kiln.table.TableReplacedException} naming the path; the job's restart then reads the table
 * there now (see {@link SnapshotFollower#lost()}).
 *
 * <p>The row handed to the result function (built with {@link
 * KilnLookup.KeyedBuilder#build(KilnLookup.ResultFunction, TypeInformation)}): with Flink's object
 * reuse disabled (the default) it is a copy, the user's to keep. With object reuse enabled ({@code
 * pipeline.object-reuse}, {@code ExecutionConfig#enableObjectReuse()}), a lookup answered from the
 * cache on the task thread runs the result function inside the reference that holds the row's page
 * and hands it a view of the page's row instead of a copy, reused from input to input: the row is
 * valid only until the result function returns, and the function must not keep it, nor return it or
 * put it in what it returns (the operator emits that later); values read from it (a {@code
 * StringData}, {@code byte[]}, {@code DecimalData}, {@code TimestampData}) are copies and may be
 * kept. This is Flink's contract for object reuse: objects passed to user code are reused, and a
 * function must not remember them after the call returns. Lookups answered from a batch (a page not
 * cached) get a copy either way. {@link KilnLookup.KeyedBuilder#build()} always emits a copy.
 *
 * <p>Metrics, in the group {@code kiln} of the operator: see {@code docs/lookup.md}.
 */
@PublicEvolving
public final class KilnLookupFunction<IN, OUT> extends RichAsyncFunction<IN, OUT>
        implements ResultTypeQueryable<OUT> {

    private static final long serialVersionUID = 1L;

    /** The metric group of Kiln's metrics, under the operator's. */
    public static final String METRIC_GROUP = "kiln";

    private final Path tablePath;
    private final LookupOptions options;
    @Nullable private final TableOptions expected;
    private final boolean partitionedByBucket;
    private final KilnLookup.KeyFunction<IN> keyOf;
    private final KilnLookup.ResultFunction<IN, OUT> result;
    private final TypeInformation<OUT> outputType;
    @Nullable private final RowType emittedRowType;

    private transient KilnCacheRegistry.Lease lease;
    private transient SnapshotFollower follower;
    private transient LookupEngine engine;
    private transient KeyEncoder keys;

    /** The array the hit path encodes fixed-length keys into (null if keys vary in length). */
    @Nullable private transient byte[] probe;

    private transient RowDataReader rows;
    private transient PageRowReader pageRows;

    /** Converts a batch's rows to binary ones, as hits are; used under its own lock. */
    private transient RowDataSerializer binaryRows;

    /** The hit path under object reuse, or {@code null} for copies; the task thread's only. */
    @Nullable private transient ViewResults<IN, OUT> viewResults;

    private transient LookupEngine.Metrics metrics;

    KilnLookupFunction(
            Path tablePath,
            LookupOptions options,
            @Nullable TableOptions expected,
            boolean partitionedByBucket,
            KilnLookup.KeyFunction<IN> keyOf,
            KilnLookup.ResultFunction<IN, OUT> result,
            TypeInformation<OUT> outputType,
            @Nullable RowType emittedRowType) {
        this.tablePath = tablePath;
        this.options = options;
        this.expected = expected;
        this.partitionedByBucket = partitionedByBucket;
        this.keyOf = keyOf;
        this.result = result;
        this.outputType = outputType;
        this.emittedRowType = emittedRowType;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        KilnTable table =
                expected == null
                        ? KilnTable.open(tablePath)
                        : KilnTable.expect(tablePath, expected);
        keys = new KeyEncoder(table.options());
        probe = keys.newProbe();
        RowType rowType = FlinkArrowTypes.toRowType(table.options().schema());
        if (emittedRowType != null && !emittedRowType.equals(rowType)) {
            throw new IllegalStateException(
                    "Kiln table "
                            + tablePath
                            + " has rows of "
                            + rowType.asSummaryString()
                            + ", but the job was built for "
                            + emittedRowType.asSummaryString());
        }
        rows = new RowDataReader(rowType);
        pageRows = new PageRowReader(rowType);
        binaryRows = new RowDataSerializer(rowType);
        // build() emits the row itself, later: it must be a copy. A result function under object
        // reuse may be handed a view of the page, valid during its call (Flink's contract).
        viewResults =
                emittedRowType == null && getRuntimeContext().isObjectReuseEnabled()
                        ? new ViewResults<>(result, new PageRowView(rowType))
                        : null;
        TaskInfo task = getRuntimeContext().getTaskInfo();
        IntPredicate owns =
                ownedBuckets(
                        partitionedByBucket,
                        task.getIndexOfThisSubtask(),
                        task.getNumberOfParallelSubtasks());
        lease =
                KilnCacheRegistry.instance()
                        .acquire(
                                tablePath,
                                options.cacheSettings(),
                                TaskManagerConfig.of(getRuntimeContext()));
        GenerationCache cache = lease.cache();
        follower = SnapshotFollower.of(table, cache, owns, options);
        follower.initialize();
        metrics = new LookupEngine.Metrics();
        engine =
                new LookupEngine(
                        table,
                        cache,
                        follower,
                        owns,
                        options.batchMaxSize(),
                        options.batchWindow(),
                        metrics);
        metrics.register(
                getRuntimeContext().getMetricGroup().addGroup(METRIC_GROUP), follower, lease);
        follower.start(options.pollInterval());
    }

    @Override
    public void asyncInvoke(IN input, ResultFuture<OUT> resultFuture) {
        byte[] key;
        try {
            key = keys.encode(keyOf.keyOf(input), probe);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            metrics.failures.inc();
            resultFuture.completeExceptionally(t);
            return;
        }
        Object hit = null;
        try {
            // The hit path, no future, no hand-off: under object reuse, the result function run on
            // a view of the row while its page is held; otherwise the row read straight from the
            // cached page's vectors as a copy, which outlives the page.
            hit =
                    viewResults != null
                            ? engine.lookupIfCached(key, viewResults.input(input))
                            : engine.lookupIfCached(key, pageRows);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            resultFuture.completeExceptionally(t);
            return;
        } finally {
            if (viewResults != null && hit != viewResults) {
                viewResults.input(null); // not read: keep no input
            }
        }
        if (hit != null) {
            if (hit == viewResults) {
                viewResults.complete(resultFuture, metrics);
            } else {
                complete(input, hit == LookupResult.absent() ? null : (RowData) hit, resultFuture);
            }
            return;
        }
        // A miss outlives this call, the probe array does not: the next input reuses it.
        engine.lookupMissed(key == probe ? key.clone() : key)
                .whenComplete(
                        (found, error) -> {
                            if (error != null) {
                                resultFuture.completeExceptionally(LookupEngine.unwrap(error));
                                return;
                            }
                            RowData row;
                            try {
                                row =
                                        found.status() == LookupResult.Status.FOUND
                                                ? binary(rows.read(found.values()))
                                                : null;
                            } catch (Throwable t) {
                                ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
                                metrics.failures.inc();
                                resultFuture.completeExceptionally(t);
                                return;
                            }
                            complete(input, row, resultFuture);
                        });
    }

    /**
     * {@code row} as a {@code BinaryRowData} of its own: a row answered from a batch is handed on
     * as the same class as a hit's ({@link PageRowReader}), whichever path answered. Batches
     * complete on the cache's I/O threads and the dispatcher, so the serializer's reused writer is
     * used under its lock.
     */
    private RowData binary(RowData row) {
        synchronized (binaryRows) {
            return binaryRows.toBinaryRow(row).copy();
        }
    }

    /** Hands {@code row} (or none) to the result function and completes with what it returns. */
    private void complete(IN input, @Nullable RowData row, ResultFuture<OUT> resultFuture) {
        OUT out;
        try {
            out = result.apply(input, row);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            metrics.failures.inc();
            resultFuture.completeExceptionally(t);
            return;
        }
        resultFuture.complete(out == null ? List.of() : List.of(out));
    }

    /**
     * The inline hit path under object reuse: a {@link RowReader} that runs the result function on
     * a {@link PageRowView} of the found row, inside the page's reference, and keeps its output (or
     * failure) for {@link #complete}. One per function instance, used by the task thread only
     * ({@code asyncInvoke}); the engine reads a found row with it at most once per lookup.
     */
    private static final class ViewResults<IN, OUT> implements RowReader<ViewResults<IN, OUT>> {
        private final KilnLookup.ResultFunction<IN, OUT> result;
        private final PageRowView view;
        @Nullable private IN input;
        @Nullable private OUT out;
        @Nullable private Throwable failure;

        ViewResults(KilnLookup.ResultFunction<IN, OUT> result, PageRowView view) {
            this.result = result;
            this.view = view;
        }

        /** Sets the input the next row read is for. */
        ViewResults<IN, OUT> input(@Nullable IN input) {
            this.input = input;
            return this;
        }

        @Override
        public ViewResults<IN, OUT> read(Page page, int row) {
            view.point(page, row);
            try {
                out = result.apply(input, view);
            } catch (Throwable t) {
                // Kept for complete(): the page's reference is released on the way out either way.
                ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
                failure = t;
            } finally {
                view.detach();
            }
            return this;
        }

        /** Completes with what the result function returned (or threw) for the row just read. */
        void complete(ResultFuture<OUT> resultFuture, LookupEngine.Metrics metrics) {
            OUT emitted = out;
            Throwable failed = failure;
            input = null;
            out = null;
            failure = null;
            if (failed != null) {
                metrics.failures.inc();
                resultFuture.completeExceptionally(failed);
            } else {
                resultFuture.complete(emitted == null ? List.of() : List.of(emitted));
            }
        }
    }

    @Override
    public void close() throws Exception {
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

    /** The follower of this function's subtask, once open: tests swap versions through it. */
    SnapshotFollower follower() {
        return follower;
    }

    /** The cache this function's subtask reads through, once open: tests evict from it. */
    GenerationCache cache() {
        return lease.cache();
    }

    @Override
    public TypeInformation<OUT> getProducedType() {
        return outputType;
    }

    /** Bucket {@code b} is owned by subtask {@code b % parallelism}, as the sink's writers. */
    static IntPredicate ownedBuckets(boolean partitioned, int subtask, int parallelism) {
        return partitioned ? bucket -> bucket % parallelism == subtask : bucket -> true;
    }
}
