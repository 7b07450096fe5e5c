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
import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.flink.source.BucketSplit;
import dev.kiln.flink.source.KilnEnumeratorState;
import dev.kiln.flink.source.KilnSource;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.ExceptionUtils;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.annotation.Nullable;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A SQL reader planned before the table's first writer: its scan of no table is empty, and the
 * table it finds at runtime, possibly created since planning, is checked against its declaration.
 */
class ReaderBeforeWriterTest {

    private static final RowType DECLARED =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();
    private static final RowType OTHER =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.INT()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void aScanOfNoTableHasNoSplitsAndCreatesNothing() throws Exception {
        TestingSplitEnumeratorContext<BucketSplit> context = new TestingSplitEnumeratorContext<>(1);
        context.registerReader(0, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                scan(DECLARED, null).createEnumerator(context)) {
            enumerator.start();
            context.getExecutorService().triggerPeriodicScheduledTasks();
            assertThat(enumerator.snapshotState(1))
                    .isEqualTo(new KilnEnumeratorState(List.of(), true));
            assertThat(context.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal())
                    .isTrue();
        }
        assertThat(dir.resolve("t")).doesNotExist();
    }

    @Test
    void aScanChecksATableCreatedSincePlanning() throws Exception {
        create(OTHER, 4);
        assertThat(pollFailure(scan(DECLARED, null)))
                .isInstanceOf(ValidationException.class)
                .hasMessage(
                        "Table c.d.t does not match the Kiln table at "
                                + path()
                                + ": column 'name' has type INT in the table, but STRING is"
                                + " declared");
        assertThat(pollFailure(scan(OTHER, 8)))
                .isInstanceOf(ValidationException.class)
                .hasMessageEndingWith(": the table has 4 buckets, but 'bucket' = '8' is declared");
    }

    private KilnSource scan(RowType rowType, @Nullable Integer buckets) {
        return KilnSource.builder(path())
                .rowType(rowType)
                .check(declared(rowType, buckets))
                .stoppingAtLatest()
                .build();
    }

    /**
     * Runs the enumerator's first poll and returns the cause of the failure its handler raises
     * (which fails the job in a real coordinator).
     */
    private static Throwable pollFailure(KilnSource source) throws Exception {
        TestingSplitEnumeratorContext<BucketSplit> context =
                new TestingSplitEnumeratorContext<>(1) {
                    @Override
                    public <T> void callAsync(
                            Callable<T> callable,
                            BiConsumer<T, Throwable> handler,
                            long initialDelay,
                            long period) {
                        T result = null;
                        Throwable error = null;
                        try {
                            result = callable.call();
                        } catch (Throwable t) {
                            error = t;
                        }
                        handler.accept(result, error);
                    }
                };
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                source.createEnumerator(context)) {
            Throwable failure = catchThrowable(enumerator::start);
            assertThat(failure).as("the poll fails the job").isNotNull();
            return ExceptionUtils.findThrowable(failure, ValidationException.class)
                    .map(Throwable.class::cast)
                    .orElse(failure);
        }
    }

    @Test
    void aLookupChecksATableCreatedSincePlanning() throws Exception {
        create(OTHER, 4);
        SqlLookup lookup =
                new SqlLookup(
                        declared(DECLARED, null),
                        (RowType)
                                DataTypes.ROW(DataTypes.FIELD("id", DataTypes.BIGINT().notNull()))
                                        .getLogicalType(),
                        List.of("id"),
                        new int[] {0, 1},
                        DECLARED,
                        new int[0][],
                        0,
                        LookupOptions.defaults());
        try {
            assertThatThrownBy(
                            () ->
                                    lookup.open(
                                            new FunctionContext(
                                                    new MockStreamingRuntimeContext(1, 0))))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining(
                            "Table c.d.t does not match the Kiln table at "
                                    + path()
                                    + ": column 'name' has type INT in the table");
        } finally {
            lookup.close();
        }
    }

    @Test
    void aSubtaskFollowsOnlyItsBucketsWhenTheInputIsPartitionedByTheTablesBucketCount() {
        assertThat(owned(SqlLookup.ownedBuckets(4, 4, 1, 2), 4)).containsExactly(1, 3);
        assertThat(owned(SqlLookup.ownedBuckets(0, 4, 1, 2), 4))
                .as("input not partitioned")
                .containsExactly(0, 1, 2, 3);
        assertThat(owned(SqlLookup.ownedBuckets(16, 4, 1, 2), 4))
                .as("input partitioned by the declared 16 buckets of a table created with 4")
                .containsExactly(0, 1, 2, 3);
    }

    private static int[] owned(IntPredicate owns, int buckets) {
        return IntStream.range(0, buckets).filter(owns).toArray();
    }

    private Path path() {
        return new Path(dir.resolve("t").toUri());
    }

    private DeclarationCheck declared(RowType rowType, @Nullable Integer buckets) {
        return new DeclarationCheck("c.d.t", path(), rowType, List.of("id"), buckets);
    }

    private void create(RowType rowType, int buckets) throws Exception {
        KilnTable.create(
                path(),
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(rowType, List.of("id")),
                                List.of("id"))
                        .bucketCount(buckets)
                        .build());
    }
}
