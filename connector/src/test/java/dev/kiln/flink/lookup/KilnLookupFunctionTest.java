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

import dev.kiln.flink.data.InvalidRowException;
import dev.kiln.flink.data.PageRowView;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.format.CorruptGenerationException;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.Manifest;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.retryable.AsyncRetryStrategies;
import org.apache.flink.streaming.util.retryable.RetryPredicates;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.types.Row;
import org.apache.flink.util.ExceptionUtils;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link KilnLookupFunction} in Flink's async operator, through its test harness. */
class KilnLookupFunctionTest {

    private static final long TIMEOUT_MS = 60_000;
    private static final int MAX_PARALLELISM = 128;

    @TempDir java.nio.file.Path dir;

    private TestTable table;
    private Manifest written;

    @BeforeEach
    void setUp() throws Exception {
        table = TestTable.create(dir.resolve("t"), 8);
        table.upsert(1, LongStream.range(0, 200).toArray());
        table.upsert(2, LongStream.range(100, 150).toArray());
        written = table.delete(7, 8, 120);
    }

    @AfterEach
    void tearDown() {
        table.close();
        assertThat(KilnCacheRegistry.instance().openCaches()).isZero();
    }

    @Test
    void orderedOutputAnswersEveryInputInOrder() throws Exception {
        List<Long> inputs = shuffledIds(0, 260, 1);
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function(LookupOptions.defaults(), false), 0, 1, OrderMode.ORDERED)) {
            harness.open();
            for (long id : inputs) {
                harness.processElement(id, id);
            }
            harness.endInput();
            assertThat(outputs(harness)).containsExactlyElementsOf(expected(inputs));
        }
    }

    @Test
    void unorderedOutputWithMicroBatchesAnswersEveryInput() throws Exception {
        List<Long> inputs = shuffledIds(0, 260, 2);
        LookupOptions options =
                LookupOptions.builder().batchMaxSize(7).batchWindow(Duration.ofMillis(1)).build();
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function(options, false), 0, 1, OrderMode.UNORDERED)) {
            harness.open();
            for (long id : inputs) {
                harness.processElement(id, id);
            }
            harness.endInput();
            assertThat(outputs(harness)).containsExactlyInAnyOrderElementsOf(expected(inputs));
        }
    }

    @Test
    void rowDataKeysAndRowOutputs() throws Exception {
        KilnLookupFunction<Long, RowData> function =
                KilnLookup.builder(table.root()).keyOf((Long id) -> GenericRowData.of(id)).build();
        assertThat(function.getProducedType()).isEqualTo(InternalTypeInfo.of(TestTable.TYPE));
        AsyncWaitOperatorFactory<Long, RowData> factory =
                new AsyncWaitOperatorFactory<>(
                        function, TIMEOUT_MS, 100, AsyncDataStream.OutputMode.ORDERED);
        try (OneInputStreamOperatorTestHarness<Long, RowData> harness =
                new OneInputStreamOperatorTestHarness<>(factory, LongSerializer.INSTANCE)) {
            // As a job does: outputs are copied with the serializer of the produced type.
            harness.setup(
                    function.getProducedType()
                            .createSerializer(harness.getExecutionConfig().getSerializerConfig()));
            harness.open();
            for (long id : List.of(1L, 7L, 120L, 130L, 500L)) {
                harness.processElement(id, id);
            }
            harness.endInput();
            List<String> rows = new ArrayList<>();
            for (Object element : harness.getOutput()) {
                if (element instanceof StreamRecord<?> record) {
                    RowData row = (RowData) record.getValue();
                    rows.add(row.getLong(0) + ":" + row.getString(1) + ":" + row.getLong(2));
                }
            }
            // 7 and 120 were deleted and 500 never written: nothing is emitted for them.
            assertThat(rows).containsExactly("1:n1:1", "130:n130:2");
        }
    }

    /** The row found handed to the result function as a {@link Row}, null for none. */
    @Test
    void rowsForUsersWhoWouldRatherNotBuildInternalRows() throws Exception {
        rowsForUsers(false);
    }

    /** Under object reuse too: the {@link Row} is converted from the view, a fresh object. */
    @Test
    void rowsForUsersUnderObjectReuseAreTheSame() throws Exception {
        rowsForUsers(true);
    }

    private void rowsForUsers(boolean reuse) throws Exception {
        List<Row> rows = new CopyOnWriteArrayList<>();
        KilnLookupFunction<Long, String> function =
                KilnLookup.builder(table.root())
                        .keyOf((Long id) -> id)
                        .buildForRows(
                                (id, row) -> {
                                    if (row != null) {
                                        rows.add(row);
                                    }
                                    return id
                                            + "="
                                            + (row == null
                                                    ? "none"
                                                    : row.getKind()
                                                            + ":"
                                                            + row.getField(0)
                                                            + ":"
                                                            + row.getField("name")
                                                            + ":"
                                                            + row.getField(2));
                                },
                                Types.STRING);
        AsyncWaitOperatorFactory<Long, String> factory =
                new AsyncWaitOperatorFactory<>(
                        function, TIMEOUT_MS, 100, AsyncDataStream.OutputMode.ORDERED);
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                new OneInputStreamOperatorTestHarness<>(factory, LongSerializer.INSTANCE)) {
            if (reuse) {
                harness.getExecutionConfig().enableObjectReuse();
            }
            harness.open();
            for (long id : List.of(1L, 7L, 130L)) {
                harness.processElement(id, id);
            }
            harness.endInput();
            assertThat(harness.extractOutputValues())
                    .containsExactly("1=INSERT:1:n1:1", "7=none", "130=INSERT:130:n130:2");
        }
        // Kept past their calls and the function's close: fresh objects, still the rows.
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).isNotSameAs(rows.get(1));
        assertThat(rows.get(0).getField("name")).isEqualTo("n1");
        assertThat(rows.get(1).getField("name")).isEqualTo("n130");
        assertThat(rows.get(1).getField(2)).isEqualTo(2L);
    }

    /**
     * A function built with the table's options opens before its table exists (a lookup job
     * deployed before its writer) and answers every key absent.
     */
    @Test
    void aFunctionBuiltWithTheTableOptionsStartsBeforeItsTableExists() throws Exception {
        org.apache.flink.core.fs.Path later =
                new org.apache.flink.core.fs.Path(dir.resolve("later").toUri());
        KilnLookupFunction<Long, String> function =
                KilnLookup.builder(later)
                        .tableOptions(TestTable.options(8))
                        .keyOf((Long id) -> id)
                        .build(
                                (id, row) -> id + "=" + (row == null ? "none" : row.getLong(2)),
                                Types.STRING);
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function, 0, 1, OrderMode.ORDERED)) {
            harness.open();
            for (long id : List.of(1L, 2L, 130L)) {
                harness.processElement(id, id);
            }
            harness.endInput();
            assertThat(outputs(harness)).containsExactly("1=none", "2=none", "130=none");
        }
    }

    @Test
    void aKeyFunctionThatFailsFailsTheJobWithItsError() throws Exception {
        KilnLookupFunction<Long, RowData> function =
                KilnLookup.builder(table.root())
                        .keyOf((Long id) -> GenericRowData.of((Object) null))
                        .build();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AsyncWaitOperatorFactory<Long, RowData> factory =
                new AsyncWaitOperatorFactory<>(
                        function, TIMEOUT_MS, 100, AsyncDataStream.OutputMode.ORDERED);
        try (OneInputStreamOperatorTestHarness<Long, RowData> harness =
                new OneInputStreamOperatorTestHarness<>(factory, LongSerializer.INSTANCE)) {
            harness.getEnvironment().setExternalFailureCauseConsumer(failures::add);
            harness.open();
            harness.processElement(1L, 1);
            harness.endInput();
        }
        assertThat(failures).hasSize(1);
        assertThat(ExceptionUtils.findThrowable(failures.get(0), InvalidRowException.class))
                .hasValueSatisfying(e -> assertThat(e).hasMessageContaining("'id'"));
    }

    @Test
    void aCorruptGenerationFailsTheJobWithTheTypedError() throws Exception {
        GenerationRef ref = written.generations().get(0);
        corrupt(ref);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function(LookupOptions.defaults(), false), 0, 1, OrderMode.ORDERED)) {
            harness.getEnvironment().setExternalFailureCauseConsumer(failures::add);
            harness.open();
            for (long id = 0; id < 200; id++) {
                if (table.bucketOf(id) == ref.bucket()) {
                    harness.processElement(id, id);
                }
            }
            harness.endInput();
        }
        assertThat(failures).isNotEmpty();
        assertThat(ExceptionUtils.findThrowable(failures.get(0), CorruptGenerationException.class))
                .hasValueSatisfying(e -> assertThat(e).hasMessageContaining(ref.path()));
    }

    @Test
    void aCorruptionRetriedByFlinksRetryStrategyIsAnsweredOnceTheFileIsGood() throws Exception {
        GenerationRef ref = written.generations().get(0);
        long id =
                LongStream.range(0, 200)
                        .filter(k -> table.bucketOf(k) == ref.bucket())
                        .filter(k -> table.valueAt(written.version(), k) != null)
                        .findFirst()
                        .getAsLong();
        java.nio.file.Path file = java.nio.file.Path.of(table.table.resolve(ref.path()).getPath());
        byte[] good = java.nio.file.Files.readAllBytes(file);
        // Every page of the file: whichever holds the key is corrupt.
        byte[] bad = good.clone();
        for (int at = 8; at < bad.length - 1024; at += 64) {
            bad[at] ^= (byte) 0xFF;
        }

        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AsyncWaitOperatorFactory<Long, String> factory =
                new AsyncWaitOperatorFactory<>(
                        function(LookupOptions.defaults(), false),
                        TIMEOUT_MS,
                        10,
                        AsyncDataStream.OutputMode.ORDERED,
                        new AsyncRetryStrategies.FixedDelayRetryStrategyBuilder<String>(3, 10)
                                .ifException(RetryPredicates.HAS_EXCEPTION_PREDICATE)
                                .build());
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                new OneInputStreamOperatorTestHarness<>(factory, LongSerializer.INSTANCE)) {
            harness.getEnvironment().setExternalFailureCauseConsumer(failures::add);
            // Corrupt before open: open warms the table, and a warm page would hide it.
            java.nio.file.Files.write(file, bad);
            harness.open();
            harness.setProcessingTime(0);
            harness.processElement(id, 0);
            // Run the operator's mails until the failed attempt has scheduled its retry at 10 (its
            // timeout timer is at TIMEOUT_MS); an answer or a failure instead ends the wait too.
            while (!harness.getProcessingTimeService().getActiveTimerTimestamps().contains(10L)
                    && harness.getOutput().isEmpty()
                    && failures.isEmpty()) {
                harness.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
            }
            assertThat(harness.getOutput()).as("the first attempt must fail").isEmpty();
            java.nio.file.Files.write(file, good);
            harness.setProcessingTime(10);
            harness.endInput();
            assertThat(outputs(harness))
                    .containsExactly(id + "=" + table.valueAt(written.version(), id));
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void aLookupNotAnsweredInTimeTimesOutThroughFlink() throws Exception {
        // A window of an hour: the lookup waits in its batch, and Flink's timeout fires first.
        // Nothing warmed, so that the lookup misses the cache (a cached one is answered inline).
        LookupOptions held =
                LookupOptions.builder()
                        .warmBeforeSwap(false)
                        .batchWindow(Duration.ofHours(1))
                        .build();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function(held, false), 0, 1, OrderMode.ORDERED)) {
            harness.getEnvironment().setExternalFailureCauseConsumer(failures::add);
            harness.open();
            harness.setProcessingTime(0);
            harness.processElement(1L, 1);
            harness.setProcessingTime(TIMEOUT_MS + 1);
            harness.endInput();
        }
        assertThat(failures).hasSize(1);
        assertThat(ExceptionUtils.findThrowable(failures.get(0), TimeoutException.class))
                .isPresent();
    }

    @Test
    void inFlightLookupsReplayedAfterARescaleGetExactlyTheRightAnswers() throws Exception {
        // Parallelism 2, partitioned by bucket; lookups held in their batch at the snapshot
        // (nothing warmed, so that they miss the cache: a cached one is answered inline).
        LookupOptions held =
                LookupOptions.builder()
                        .warmBeforeSwap(false)
                        .batchWindow(Duration.ofHours(1))
                        .batchMaxSize(10_000)
                        .build();
        List<Long> all = shuffledIds(0, 260, 3);
        List<OperatorSubtaskState> snapshots = new ArrayList<>();
        List<Long> replayed = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            try (OneInputStreamOperatorTestHarness<Long, String> harness =
                    harness(function(held, true), subtask, 2, OrderMode.ORDERED)) {
                harness.open();
                for (long id : all) {
                    if (new KilnLookup.BucketPartitioner().partition(table.bucketOf(id), 2)
                            == subtask) {
                        harness.processElement(id, id);
                        replayed.add(id);
                    }
                }
                assertThat(harness.getOutput()).isEmpty();
                snapshots.add(harness.snapshot(1, 1));
            }
        }
        OperatorSubtaskState both =
                AbstractStreamOperatorTestHarness.repackageState(
                        snapshots.toArray(new OperatorSubtaskState[0]));

        // Restored at parallelism 3: each old subtask's state goes to new subtasks by Flink's
        // round-robin, not by bucket, so some lookups reach a subtask that does not own them.
        List<String> answers = new ArrayList<>();
        for (int subtask = 0; subtask < 3; subtask++) {
            OperatorSubtaskState state =
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(
                            both, MAX_PARALLELISM, 2, 3, subtask);
            try (OneInputStreamOperatorTestHarness<Long, String> harness =
                    harness(
                            function(LookupOptions.defaults(), true),
                            subtask,
                            3,
                            OrderMode.ORDERED)) {
                harness.initializeState(state);
                harness.open();
                harness.endInput();
                List<String> out = outputs(harness);
                assertThat(out).as("subtask %d of 3", subtask).isNotEmpty();
                answers.addAll(out);
            }
        }
        assertThat(replayed).hasSize(all.size());
        assertThat(answers).containsExactlyInAnyOrderElementsOf(expected(all));
    }

    /**
     * Two subtasks of one TaskManager (their functions share the cache), each in Flink's async
     * operator with {@code orderedWait}; nothing is warmed and the followers only swap when told.
     * Each round forces the interleaving that made a key's answers go back in time: the first
     * subtask's lookup of the key misses and waits in its batch, the second subtask loads the key's
     * page, the first's next lookup of the key is answered inline, the follower swaps to a newer
     * version, and a miss then fills the batch. In the output, the values of the key never
     * decrease.
     */
    @Test
    void orderedAnswersOfAKeyNeverGoBackInTimeWhileAnotherSubtaskSharesTheCache() throws Exception {
        long id = 130;
        LookupOptions held =
                LookupOptions.builder()
                        .warmBeforeSwap(false)
                        .pollInterval(Duration.ofHours(1))
                        .batchWindow(Duration.ofHours(1))
                        .batchMaxSize(2)
                        .build();
        LookupOptions direct =
                LookupOptions.builder()
                        .warmBeforeSwap(false)
                        .pollInterval(Duration.ofHours(1))
                        .build();
        KilnLookupFunction<Long, String> mine = function(held, false);
        KilnLookupFunction<Long, String> other = function(direct, false);
        List<String> expected = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<Long, String> first =
                        harness(mine, 0, 2, OrderMode.ORDERED);
                OneInputStreamOperatorTestHarness<Long, String> second =
                        harness(other, 1, 2, OrderMode.ORDERED)) {
            first.open();
            second.open();
            for (int round = 1; round <= 20; round++) {
                long older = 100 + 2L * round;
                long newer = older + 1;
                table.upsert(older, id);
                mine.follower().poll();
                other.follower().poll();
                first.processElement(id, 0);
                second.processElement(id, 0);
                while (outputs(second).size() < round) {
                    second.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
                }
                assertThat(outputs(second)).last().isEqualTo(id + "=" + older);
                first.processElement(id, 0);
                table.upsert(newer, id);
                mine.follower().poll();
                first.processElement(id, 0);
                expected.addAll(List.of(id + "=" + older, id + "=" + older, id + "=" + newer));
            }
            first.endInput();
            List<Long> values = new ArrayList<>();
            for (String out : outputs(first)) {
                values.add(Long.parseLong(out.substring(out.indexOf('=') + 1)));
            }
            assertThat(values).isSorted();
            assertThat(outputs(first)).containsExactlyElementsOf(expected);
            second.endInput();
        }
    }

    /**
     * With Flink's object reuse enabled, a hit's row is handed to the result function as a view of
     * the cached page ({@link PageRowView}, no copy), and the answers are those of the copies
     * handed over without object reuse, row for row.
     */
    @Test
    void underObjectReuseTheResultFunctionReadsAViewOfTheCachedRow() throws Exception {
        List<Long> inputs = shuffledIds(0, 260, 4);
        List<String> expected = new ArrayList<>();
        for (long id : inputs) {
            Long v = table.valueAt(written.version(), id);
            expected.add(id + "=" + (v == null ? "none" : v + "/n" + id + "/" + id));
        }
        for (boolean reuse : new boolean[] {false, true}) {
            List<String> classes = new CopyOnWriteArrayList<>();
            KilnLookupFunction<Long, String> function =
                    KilnLookup.builder(table.root())
                            .keyOf((Long id) -> id)
                            .build(
                                    (id, row) -> {
                                        if (row == null) {
                                            return id + "=none";
                                        }
                                        classes.add(row.getClass().getSimpleName());
                                        return id
                                                + "="
                                                + row.getLong(2)
                                                + "/"
                                                + row.getString(1)
                                                + "/"
                                                + row.getLong(0);
                                    },
                                    Types.STRING);
            try (OneInputStreamOperatorTestHarness<Long, String> harness =
                    harness(function, 0, 1, OrderMode.ORDERED)) {
                if (reuse) {
                    harness.getExecutionConfig().enableObjectReuse();
                }
                harness.open();
                for (long id : inputs) {
                    harness.processElement(id, id);
                }
                harness.endInput();
                assertThat(outputs(harness))
                        .as("reuse %s", reuse)
                        .containsExactlyElementsOf(expected);
            }
            // Warmed on open: every row found is a hit, answered inline.
            assertThat(classes)
                    .as("reuse %s", reuse)
                    .isNotEmpty()
                    .containsOnly(reuse ? "PageRowView" : "BinaryRowData");
        }
    }

    /**
     * A row answered from a batch (nothing warmed: the lookup misses the cache, and its answer
     * completes on a Kiln thread) is handed over as the same class as a hit's: a {@code
     * BinaryRowData}.
     */
    @Test
    void aRowAnsweredFromABatchIsABinaryRowAsAHitsIs() throws Exception {
        Thread task = Thread.currentThread();
        List<String> seen = new CopyOnWriteArrayList<>();
        KilnLookupFunction<Long, String> function =
                KilnLookup.builder(table.root())
                        .options(LookupOptions.builder().warmBeforeSwap(false).build())
                        .keyOf((Long id) -> id)
                        .build(
                                (id, row) -> {
                                    seen.add(
                                            row.getClass().getSimpleName()
                                                    + (Thread.currentThread() == task
                                                            ? " inline"
                                                            : " batch"));
                                    return id + "=" + row.getLong(2) + "/" + row.getString(1);
                                },
                                Types.STRING);
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function, 0, 1, OrderMode.ORDERED)) {
            harness.open();
            harness.processElement(130L, 1);
            harness.endInput();
            assertThat(outputs(harness))
                    .containsExactly("130=" + table.valueAt(written.version(), 130L) + "/n130");
        }
        assertThat(seen).containsExactly("BinaryRowData batch");
    }

    /** {@code build()} emits the row itself, after the page is released: a copy under reuse too. */
    @Test
    void buildEmitsCopiesUnderObjectReuse() throws Exception {
        KilnLookupFunction<Long, RowData> function =
                KilnLookup.builder(table.root()).keyOf((Long id) -> id).build();
        AsyncWaitOperatorFactory<Long, RowData> factory =
                new AsyncWaitOperatorFactory<>(
                        function, TIMEOUT_MS, 100, AsyncDataStream.OutputMode.ORDERED);
        List<RowData> emitted = new ArrayList<>();
        try (OneInputStreamOperatorTestHarness<Long, RowData> harness =
                new OneInputStreamOperatorTestHarness<>(factory, LongSerializer.INSTANCE)) {
            harness.getExecutionConfig().enableObjectReuse();
            // As a job does: outputs are copied with the serializer of the produced type, when
            // emitted (a view emitted would be read detached then, and fail).
            harness.setup(
                    function.getProducedType()
                            .createSerializer(harness.getExecutionConfig().getSerializerConfig()));
            harness.open();
            for (long id : List.of(1L, 130L, 199L)) {
                harness.processElement(id, id);
            }
            harness.endInput();
            for (Object element : harness.getOutput()) {
                if (element instanceof StreamRecord<?> record) {
                    emitted.add((RowData) record.getValue());
                }
            }
        }
        // Read after the function closed and its cache released every page.
        List<String> rows = new ArrayList<>();
        for (RowData row : emitted) {
            rows.add(row.getLong(0) + ":" + row.getString(1) + ":" + row.getLong(2));
        }
        assertThat(rows).containsExactly("1:n1:1", "130:n130:2", "199:n199:1");
    }

    /**
     * Under object reuse, a result function that throws on the view fails its lookup with its own
     * error, the page it was reading is released (the eviction of every generation drains: it
     * completes only once each of their pages' last reference is gone), and the next hit is
     * answered through the same view.
     */
    @Test
    void aResultFunctionThatThrowsOnAViewFailsItsLookupAndReleasesThePage() throws Exception {
        Set<org.apache.flink.core.fs.Path> paths = livePaths();
        AtomicInteger views = new AtomicInteger();
        KilnLookupFunction<Long, String> function =
                KilnLookup.builder(table.root())
                        .keyOf((Long id) -> id)
                        .build(
                                (id, row) -> {
                                    if (row instanceof PageRowView) {
                                        views.incrementAndGet();
                                    }
                                    if (id == 42) {
                                        throw new IllegalArgumentException("no row 42 wanted");
                                    }
                                    return id + "=" + (row == null ? "none" : row.getLong(2));
                                },
                                Types.STRING);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function, 0, 1, OrderMode.UNORDERED)) {
            harness.getExecutionConfig().enableObjectReuse();
            harness.getEnvironment().setExternalFailureCauseConsumer(failures::add);
            harness.open();
            harness.processElement(42L, 0);
            harness.processElement(43L, 0);
            assertThat(views).hasValue(2);
            GenerationCache cache = function.cache();
            assertThat(cache.cachedPages()).isPositive();
            cache.evictPaths(paths).get(10, TimeUnit.SECONDS);
            assertThat(cache.cachedPages()).isZero();
            assertThat(cache.cachedPageBytes()).isZero();
            harness.endInput();
            assertThat(outputs(harness))
                    .containsExactly("43=" + table.valueAt(written.version(), 43));
        }
        assertThat(failures).hasSize(1);
        assertThat(ExceptionUtils.findThrowable(failures.get(0), IllegalArgumentException.class))
                .hasValueSatisfying(e -> assertThat(e).hasMessage("no row 42 wanted"));
    }

    /**
     * Under object reuse, each round evicts every generation from inside the result function while
     * it reads the view: the eviction removes the page from the cache but cannot release it while
     * the view's read holds it, so every field still reads right; the release (the eviction's
     * drain) comes only after the function returned; and the view kept past its call refuses to be
     * read. The next lookup of the round loads the pages again (a miss, answered from a batch with
     * a copy).
     */
    @Test
    void underObjectReuseAViewIsNeverReadAfterItsPageIsReleased() throws Exception {
        Set<org.apache.flink.core.fs.Path> paths = livePaths();
        List<Long> ids =
                LongStream.range(0, 200)
                        .filter(id -> table.valueAt(written.version(), id) != null)
                        .boxed()
                        .toList();
        AtomicReference<GenerationCache> cacheOf = new AtomicReference<>();
        AtomicBoolean evictInside = new AtomicBoolean();
        AtomicReference<CompletableFuture<Void>> eviction = new AtomicReference<>();
        AtomicReference<RowData> kept = new AtomicReference<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        KilnLookupFunction<Long, String> function =
                KilnLookup.builder(table.root())
                        .keyOf((Long id) -> id)
                        .build(
                                (id, row) -> {
                                    if (row == null) {
                                        return id + "=none";
                                    }
                                    if (row instanceof PageRowView && evictInside.get()) {
                                        GenerationCache cache = cacheOf.get();
                                        CompletableFuture<Void> evicting = cache.evictPaths(paths);
                                        // The cache's removal ran: only this read holds the page.
                                        await(() -> cache.cachedPages() == 0);
                                        eviction.set(evicting);
                                        kept.set(row);
                                    }
                                    String out =
                                            id
                                                    + "="
                                                    + row.getLong(2)
                                                    + "/"
                                                    + row.getString(1)
                                                    + "/"
                                                    + row.getLong(0);
                                    CompletableFuture<Void> evicting = eviction.get();
                                    if (evicting != null && evicting.isDone()) {
                                        errors.add("the page was released while read: " + id);
                                    }
                                    return out;
                                },
                                Types.STRING);
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function, 0, 1, OrderMode.ORDERED)) {
            harness.getExecutionConfig().enableObjectReuse();
            harness.open();
            cacheOf.set(function.cache());
            List<String> expected = new ArrayList<>();
            for (int round = 0; round < 100; round++) {
                long id = ids.get(round % ids.size());
                String answer =
                        id + "=" + table.valueAt(written.version(), id) + "/n" + id + "/" + id;
                // Loaded again after the last round's eviction (a miss the first time round).
                harness.processElement(id, 0);
                expected.add(answer);
                while (outputs(harness).size() < expected.size()) {
                    harness.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
                }
                // A hit: the function evicts while it reads the view.
                evictInside.set(true);
                harness.processElement(id, 0);
                evictInside.set(false);
                expected.add(answer);
                assertThat(kept.get()).as("round %d: a hit handed a view", round).isNotNull();
                CompletableFuture<Void> evicted = eviction.getAndSet(null);
                evicted.get(10, TimeUnit.SECONDS); // released once the function returned
                RowData view = kept.getAndSet(null);
                assertThatThrownBy(() -> view.getLong(2)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> view.isNullAt(1))
                        .isInstanceOf(IllegalStateException.class);
                assertThat(function.cache().cachedPageBytes()).isZero();
            }
            harness.endInput();
            assertThat(outputs(harness)).containsExactlyElementsOf(expected);
        }
        assertThat(errors).isEmpty();
    }

    /**
     * Under object reuse, inline hits read their views while another thread evicts every generation
     * over and over (pages come and go under them): every answer is the right row, and every page's
     * memory is returned (the last eviction drains).
     */
    @Test
    void underObjectReuseEvictionsRacingInlineHitsNeverServeAReleasedPage() throws Exception {
        Set<org.apache.flink.core.fs.Path> paths = livePaths();
        List<Long> inputs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            inputs.addAll(shuffledIds(0, 200, 10 + i));
        }
        AtomicInteger views = new AtomicInteger();
        CountDownLatch firstView = new CountDownLatch(1);
        KilnLookupFunction<Long, String> function =
                KilnLookup.builder(table.root())
                        .keyOf((Long id) -> id)
                        .build(
                                (id, row) -> {
                                    if (row == null) {
                                        return id + "=none";
                                    }
                                    if (row instanceof PageRowView) {
                                        views.incrementAndGet();
                                        firstView.countDown();
                                    }
                                    return id
                                            + "="
                                            + row.getLong(2)
                                            + "/"
                                            + row.getString(1)
                                            + "/"
                                            + row.getLong(0);
                                },
                                Types.STRING);
        List<String> expected = new ArrayList<>();
        for (long id : inputs) {
            Long v = table.valueAt(written.version(), id);
            expected.add(id + "=" + (v == null ? "none" : v + "/n" + id + "/" + id));
        }
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (OneInputStreamOperatorTestHarness<Long, String> harness =
                harness(function, 0, 1, OrderMode.ORDERED)) {
            harness.getExecutionConfig().enableObjectReuse();
            harness.open();
            GenerationCache cache = function.cache();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger evictions = new AtomicInteger();
            // Evictions start once a hit was answered through the view (so that one is, whatever
            // the scheduling), then race the remaining hits until the input ends; at least one.
            Thread evictor =
                    new Thread(
                            () -> {
                                try {
                                    firstView.await(30, TimeUnit.SECONDS);
                                    do {
                                        cache.evictPaths(paths).get(10, TimeUnit.SECONDS);
                                        evictions.incrementAndGet();
                                    } while (!stop.get());
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            });
            evictor.start();
            for (long id : inputs) {
                harness.processElement(id, 0);
            }
            harness.endInput();
            stop.set(true);
            evictor.join();
            assertThat(outputs(harness)).containsExactlyElementsOf(expected);
            assertThat(evictions).hasPositiveValue();
            assertThat(views).as("hits answered through the view").hasPositiveValue();
            cache.evictPaths(paths).get(10, TimeUnit.SECONDS);
            assertThat(cache.cachedPageBytes()).isZero();
        }
        assertThat(errors).isEmpty();
    }

    enum OrderMode {
        ORDERED,
        UNORDERED
    }

    private KilnLookupFunction<Long, String> function(LookupOptions options, boolean partitioned) {
        KilnLookup.Builder builder = KilnLookup.builder(table.root()).options(options);
        if (partitioned) {
            builder.partitionedByBucket();
        }
        return builder.keyOf((Long id) -> id)
                .build(
                        (id, row) -> id + "=" + (row == null ? "none" : row.getLong(2)),
                        Types.STRING);
    }

    private OneInputStreamOperatorTestHarness<Long, String> harness(
            KilnLookupFunction<Long, String> function, int subtask, int parallelism, OrderMode mode)
            throws Exception {
        AsyncWaitOperatorFactory<Long, String> factory =
                new AsyncWaitOperatorFactory<>(
                        function,
                        TIMEOUT_MS,
                        1_000,
                        mode == OrderMode.ORDERED
                                ? AsyncDataStream.OutputMode.ORDERED
                                : AsyncDataStream.OutputMode.UNORDERED);
        OneInputStreamOperatorTestHarness<Long, String> harness =
                new OneInputStreamOperatorTestHarness<>(
                        factory, MAX_PARALLELISM, parallelism, subtask);
        harness.getStreamConfig().setupNetworkInputs(LongSerializer.INSTANCE);
        harness.getStreamConfig().serializeAllConfigs();
        return harness;
    }

    private List<String> expected(List<Long> inputs) {
        List<String> expected = new ArrayList<>();
        for (long id : inputs) {
            Long v = table.valueAt(written.version(), id);
            expected.add(id + "=" + (v == null ? "none" : v));
        }
        return expected;
    }

    @SuppressWarnings("unchecked")
    private static List<String> outputs(OneInputStreamOperatorTestHarness<Long, String> harness) {
        List<String> out = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof StreamRecord<?> record) {
                out.add(((StreamRecord<String>) record).getValue());
            }
        }
        return out;
    }

    private static List<Long> shuffledIds(long from, long to, long seed) {
        List<Long> ids = new ArrayList<>(LongStream.range(from, to).boxed().toList());
        Collections.shuffle(ids, new Random(seed));
        return ids;
    }

    /** The resolved paths of the live generations, as the cache keys them. */
    private Set<org.apache.flink.core.fs.Path> livePaths() throws Exception {
        Set<org.apache.flink.core.fs.Path> paths = new HashSet<>();
        for (GenerationRef ref : table.table.latestManifest().generations()) {
            paths.add(table.table.resolve(ref.path()));
        }
        return paths;
    }

    /** Waits (spinning, bounded) until {@code condition} holds. */
    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached in 10 s");
            }
            Thread.onSpinWait();
        }
    }

    private void corrupt(GenerationRef ref) throws Exception {
        try (RandomAccessFile file =
                new RandomAccessFile(table.table.resolve(ref.path()).getPath(), "rw")) {
            long at = ref.sizeBytes() / 2;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0xFF);
        }
    }
}
