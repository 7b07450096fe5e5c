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

package dev.kiln.benchmarks;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.KeyEncoder;
import dev.kiln.flink.data.PageRowReader;
import dev.kiln.flink.data.PageRowView;
import dev.kiln.flink.data.RowDataReader;
import dev.kiln.flink.lookup.LookupEngine;
import dev.kiln.flink.lookup.SnapshotFollower;
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.format.RowReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Snapshot;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.utils.JoinedRowData;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Cached lookups per second, one caller thread: through the lookup function's path ({@link
 * LookupEngine}: queue, dispatcher thread, micro-batch, {@code Snapshot.lookupAll}) with {@value
 * #IN_FLIGHT} lookups in flight as an async operator keeps them; a single {@code Snapshot.lookup}
 * at a time (no batching, no hand-off); and Caffeine's own hit path as the anchor. Every page is
 * cached (the follower warmed the table before the measurement).
 *
 * <p>{@code userPath} is what {@code KilnLookupFunction.asyncInvoke} does for a hit, end to end:
 * from the key as the user's key function returns it (a {@link RowData} of the key columns) to the
 * {@link RowData} handed to the user's result function and the collection completing the async
 * operator's result future. Keep it in step with that method.
 *
 * <p>{@code resultAllColumns*} and {@code resultOneColumn*} are that path with a user's result
 * function that builds an output from the row (every column, or one number), side by side: {@code
 * Copy} as the function runs without object reuse (the row copied, then handed over), {@code View}
 * as it runs with object reuse (the function run on a {@link PageRowView} inside the page's
 * reference, as {@code KilnLookupFunction.ViewResults} does). Keys in stream order, as {@link
 * #userPathStream}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LookupBenchmark {

    static final int IN_FLIGHT = 1_000;

    /**
     * Keys in the table: 20,000 (about 2 MB of pages, within the CPU's caches) or 2,000,000 (about
     * 200 MB, as the SQL lookup join's table: every lookup reaches memory). Every page is cached in
     * both (the cache is sized to the table: 0 cold reads, checked by the setup).
     */
    @Param({"20000", "2000000"})
    public int keys;

    private java.nio.file.Path dir;
    private BufferAllocator allocator;
    private ExecutorService io;
    private GenerationCache cache;
    private SnapshotFollower follower;
    private LookupEngine engine;
    private Snapshot snapshot;
    private byte[][] encoded;
    private RowData[] rowKeys;
    private RowData[] streamKeys;
    private KeyEncoder keyEncoder;
    private byte[] probe;
    private RowDataReader rowReader;
    private PageRowReader pageRows;
    private ViewReader<Object> allColumnsView;
    private RowDataSerializer rowSerializer;
    private RowDataSerializer joinedSerializer;
    private final DataOutputSerializer joinedOut = new DataOutputSerializer(256);
    private ViewReader<Object> oneColumnView;
    private Collection<RowData> emitted;
    private Cache<Integer, Integer> caffeine;
    private int next;
    private final LookupEngine.Metrics metrics = new LookupEngine.Metrics();

    @Setup
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kiln-lookup-bench");
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(4);
        LookupTable table = new LookupTable(dir, 4, keys, allocator);
        table.rewrite(1);
        // Sized to the table at either count (about 100 B of Arrow memory per row): the warm loads
        // every page, and every lookup is a hit.
        cache =
                GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                        .maximumPageBytes(1L << 30)
                        .warmPageBudgetBytes(512L << 20)
                        .build();
        follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        cache,
                        cache.warmGate(),
                        b -> true,
                        true,
                        Duration.ofMinutes(1));
        follower.initialize();
        engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 128, Duration.ZERO, metrics);
        snapshot = follower.current();
        encoded = new byte[keys][];
        for (int id = 0; id < keys; id++) {
            encoded[id] = table.key(id);
        }
        rowKeys = new RowData[keys];
        for (int id = 0; id < keys; id++) {
            rowKeys[id] = GenericRowData.of((long) id);
        }
        // The same keys in the order nextKey() visits them, allocated in that order.
        streamKeys = new RowData[keys];
        for (int i = 0; i < keys; i++) {
            streamKeys[i] = GenericRowData.of((long) keyAt(i));
        }
        keyEncoder = new KeyEncoder(table.table.options());
        probe = keyEncoder.newProbe();
        rowReader = new RowDataReader(FlinkArrowTypes.toRowType(table.table.options().schema()));
        pageRows = new PageRowReader(FlinkArrowTypes.toRowType(table.table.options().schema()));
        RowType rowType = FlinkArrowTypes.toRowType(table.table.options().schema());
        rowSerializer = new RowDataSerializer(rowType);
        List<RowType.RowField> joined = new java.util.ArrayList<>();
        joined.add(new RowType.RowField("key", new BigIntType(false)));
        joined.addAll(rowType.getFields());
        joinedSerializer = new RowDataSerializer(new RowType(joined));
        allColumnsView =
                new ViewReader<>(
                        ALL_COLUMNS,
                        new PageRowView(FlinkArrowTypes.toRowType(table.table.options().schema())));
        oneColumnView =
                new ViewReader<>(
                        ONE_COLUMN,
                        new PageRowView(FlinkArrowTypes.toRowType(table.table.options().schema())));
        caffeine = Caffeine.newBuilder().maximumSize(keys).build();
        for (int id = 0; id < keys; id++) {
            caffeine.put(id, id);
        }
        // Every key answered inline: the whole table is cached (else the figures would mix in
        // batched cold reads). The teardown prints the cold reads again, after the measurement.
        int misses = 0;
        for (int id = 0; id < keys; id++) {
            if (engine.lookupIfCached(encoded[id], NO_ROW) == null) {
                misses++;
            }
        }
        if (misses != 0 || metrics.coldReads() != 0) {
            throw new IllegalStateException(
                    misses
                            + " of "
                            + keys
                            + " keys not cached after the warm, cold reads "
                            + metrics.coldReads());
        }
        System.out.printf(
                "%n  setup: %,d keys, all cached: %,d pages, %,d bytes%n",
                keys, cache.cachedPages(), cache.cachedPageBytes());
    }

    @TearDown
    public void tearDown() throws Exception {
        System.out.printf(
                "%n  lookups %,d, cold reads %,d (after the warm: 0 expected)%n",
                metrics.lookups(), metrics.coldReads());
        engine.close();
        follower.close();
        cache.close();
        io.shutdownNow();
        allocator.close();
        GenerationFixture.deleteRecursively(dir);
    }

    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long engineInFlight() {
        @SuppressWarnings("unchecked")
        CompletableFuture<LookupResult>[] answers = new CompletableFuture[IN_FLIGHT];
        for (int i = 0; i < IN_FLIGHT; i++) {
            answers[i] = engine.lookup(encoded[nextKey()]);
        }
        long found = 0;
        for (CompletableFuture<LookupResult> answer : answers) {
            found += answer.join().values().size();
        }
        return found;
    }

    /**
     * {@code KilnLookupFunction.asyncInvoke} on a hit: encode the key row, {@code
     * engine.lookupIfCached} reading the row straight from the cached page into a {@link RowData}
     * (a miss would go to {@code engine.lookup}, as the function does), handed to the result
     * function (here the identity) and emitted as a one-row list. (As of {@code main} at 2cf2bc2,
     * the "before" of docs/benchmarks.md: encode, {@code engine.lookup}, then in the future's
     * callback the values list into a {@link RowData} by {@link RowDataReader}.)
     */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long userPath() {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            found += lookUp(rowKeys[nextKey()]);
        }
        return found;
    }

    /**
     * {@link #userPath} with input rows that arrive as a stream's do: the key rows are read in the
     * order they were allocated (a job's input row was just deserialized), while the keys they hold
     * visit the table in the same scattered order as {@link #userPath}'s. {@link #userPath} reads
     * its 20,000 key rows (each a row, a field array and a boxed {@code Long}) scattered over the
     * heap, which stalls on memory a job's fresh input does not.
     */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long userPathStream() {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            int k = nextInStream();
            found += lookUp(streamKeys[k]);
        }
        return found;
    }

    /**
     * What the lookup function does for one key row: the cached path first, a batched load on a
     * miss; returns how many rows were emitted so far.
     */
    private int lookUp(RowData keyRow) {
        byte[] key = keyEncoder.encode(keyRow, probe);
        Object hit = engine.lookupIfCached(key, pageRows);
        if (hit != null) {
            emit(hit == LookupResult.absent() ? null : (RowData) hit);
        } else {
            engine.lookupMissed(key == probe ? key.clone() : key)
                    .whenComplete(
                            (answer, error) ->
                                    emit(
                                            answer.status() == LookupResult.Status.FOUND
                                                    ? rowReader.read(answer.values())
                                                    : null));
        }
        return emitted.size();
    }

    /** A user's result function that reads every column of the row into its output. */
    record AllColumns(RowData input, long id, StringData payload, long v) {}

    /** A user's result function that reads one number of the row into its output. */
    record OneColumn(RowData input, long v) {}

    @FunctionalInterface
    interface Result<OUT> {
        OUT apply(RowData input, RowData row);
    }

    static final Result<Object> ALL_COLUMNS =
            (input, row) ->
                    row == null
                            ? null
                            : new AllColumns(
                                    input, row.getLong(0), row.getString(1), row.getLong(2));

    static final Result<Object> ONE_COLUMN =
            (input, row) -> row == null ? null : new OneColumn(input, row.getLong(2));

    /** {@link #ALL_COLUMNS} handed a copy of the row: the function without object reuse. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long resultAllColumnsCopy() {
        return resultsCopy(ALL_COLUMNS);
    }

    /** {@link #ALL_COLUMNS} run on a view of the row: the function with object reuse. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long resultAllColumnsView() {
        return resultsView(allColumnsView);
    }

    /** {@link #ONE_COLUMN} handed a copy of the row: the function without object reuse. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long resultOneColumnCopy() {
        return resultsCopy(ONE_COLUMN);
    }

    /** {@link #ONE_COLUMN} run on a view of the row: the function with object reuse. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long resultOneColumnView() {
        return resultsView(oneColumnView);
    }

    private long resultsCopy(Result<Object> result) {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            int k = nextInStream();
            RowData input = streamKeys[k];
            byte[] key = keyEncoder.encode(input, probe);
            Object hit = engine.lookupIfCached(key, pageRows);
            if (hit != null) {
                emitOut(result.apply(input, hit == LookupResult.absent() ? null : (RowData) hit));
            } else {
                missed(input, key, result);
            }
            found += emittedOut.size();
        }
        return found;
    }

    private long resultsView(ViewReader<Object> reader) {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            int k = nextInStream();
            RowData input = streamKeys[k];
            byte[] key = keyEncoder.encode(input, probe);
            Object hit = engine.lookupIfCached(key, reader.input(input));
            if (hit == reader) {
                emitOut(reader.take());
            } else if (hit != null) {
                emitOut(reader.result.apply(input, null));
            } else {
                missed(input, key, reader.result);
            }
            found += emittedOut.size();
        }
        return found;
    }

    /** A miss, as the lookup function answers it: a batch, then the row copied. */
    private void missed(RowData input, byte[] key, Result<Object> result) {
        engine.lookupMissed(key == probe ? key.clone() : key)
                .whenComplete(
                        (answer, error) ->
                                emitOut(
                                        result.apply(
                                                input,
                                                answer.status() == LookupResult.Status.FOUND
                                                        ? rowReader.read(answer.values())
                                                        : null)));
    }

    private Collection<Object> emittedOut;

    private void emitOut(Object out) {
        emittedOut = out == null ? List.of() : List.of(out);
    }

    /** {@code KilnLookupFunction.ViewResults}: the result function run on a view, page held. */
    static final class ViewReader<OUT> implements RowReader<ViewReader<OUT>> {
        final Result<OUT> result;
        private final PageRowView view;
        private RowData input;
        private OUT out;

        ViewReader(Result<OUT> result, PageRowView view) {
            this.result = result;
            this.view = view;
        }

        ViewReader<OUT> input(RowData input) {
            this.input = input;
            return this;
        }

        @Override
        public ViewReader<OUT> read(Page page, int row) {
            view.point(page, row);
            try {
                out = result.apply(input, view);
            } finally {
                view.detach();
            }
            return this;
        }

        OUT take() {
            OUT taken = out;
            out = null;
            input = null;
            return taken;
        }
    }

    /**
     * The row as {@code build()} and SQL hand it on, a copy, then copied by Flink's {@link
     * RowDataSerializer} as the next chained operator gets it without object reuse: field by field
     * for a {@code GenericRowData}, one memory copy for a {@code BinaryRowData}.
     */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long copiedDownstream() {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            int k = nextInStream();
            Object hit = engine.lookupIfCached(keyEncoder.encode(streamKeys[k], probe), pageRows);
            if (hit instanceof RowData row) {
                found += rowSerializer.copy(row).getArity();
            }
        }
        return found;
    }

    /**
     * A SQL lookup join's output (no SQL benchmark runs a lookup join): the copied row joined to
     * its input row as Flink's lookup join emits it ({@link JoinedRowData}), then serialized by
     * {@link RowDataSerializer} of the joined type as the exchange after the join writes it (to a
     * binary row, then its bytes).
     */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long sqlJoinSerialized() throws java.io.IOException {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            int k = nextInStream();
            RowData input = streamKeys[k];
            Object hit = engine.lookupIfCached(keyEncoder.encode(input, probe), pageRows);
            if (hit instanceof RowData row) {
                joinedOut.clear();
                joinedSerializer.serialize(new JoinedRowData(input, row), joinedOut);
                found += joinedOut.length();
            }
        }
        return found;
    }

    /**
     * The engine's own hit path, without the key's encoding nor a result row: {@code
     * engine.lookupIfCached} with encoded keys and a reader that builds nothing. Its allocation per
     * lookup is the engine's alone.
     */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public long engineHitNoRow() {
        long found = 0;
        for (int i = 0; i < IN_FLIGHT; i++) {
            if (engine.lookupIfCached(encoded[nextKey()], NO_ROW) == Boolean.TRUE) {
                found++;
            }
        }
        return found;
    }

    private static final RowReader<Boolean> NO_ROW = (page, row) -> Boolean.TRUE;

    private void emit(RowData row) {
        emitted = row == null ? List.of() : List.of(row);
    }

    @Benchmark
    public LookupResult snapshotOneAtATime() {
        return snapshot.lookup(encoded[nextKey()]).join();
    }

    @Benchmark
    public Integer caffeineHit() {
        return caffeine.getIfPresent(nextKey());
    }

    private int nextKey() {
        return keyAt(nextInStream());
    }

    /** The next position in allocation (stream) order, wrapping around. */
    private int nextInStream() {
        int k = next;
        next = k + 1 == keys ? 0 : k + 1;
        return k;
    }

    /** The {@code k}-th key visited: a stride of 7,919 (a prime, so every key once per round). */
    private int keyAt(int k) {
        return (int) ((k * 7919L) % keys);
    }
}
