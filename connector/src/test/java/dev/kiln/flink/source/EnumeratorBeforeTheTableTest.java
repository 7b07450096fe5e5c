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

package dev.kiln.flink.source;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.logical.RowType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A source started before its table: one stopping at a given version waits for the table (as for
 * the version), and a poll that finds a table whose first version is not published yet waits too.
 */
class EnumeratorBeforeTheTableTest {

    private static final RowType ROW =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void aSourceStoppingAtAVersionWaitsForTheTable() throws Exception {
        SyncContext context = new SyncContext();
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                source().stoppingAt(3).build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            assertThat(enumerator.snapshotState(1))
                    .as("no table: no splits yet")
                    .isEqualTo(new KilnEnumeratorState(List.of(), false));
            assertThat(context.getSplitAssignments()).isEmpty();

            create();
            context.poll();
            assertThat(context.getSplitAssignments().get(0).getAssignedSplits())
                    .extracting(BucketSplit::bucket, BucketSplit::stopVersion)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(0, 3L),
                            org.assertj.core.groups.Tuple.tuple(1, 3L));
            assertThat(context.getSplitAssignments().get(0).hasReceivedNoMoreSplitsSignal())
                    .isTrue();
        }
    }

    @Test
    void aTableWithoutItsFirstVersionYetIsWaitedFor() throws Exception {
        create();
        // As a creator leaves it between publishing the table's metadata and its version 0.
        java.nio.file.Path manifests = dir.resolve("t/_kiln/manifests");
        java.nio.file.Path aside = dir.resolve("aside");
        Files.move(manifests, aside);
        Files.createDirectories(manifests);
        Files.delete(dir.resolve("t/_kiln/version-hint"));

        SyncContext context = new SyncContext();
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                source().build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            assertThat(enumerator.snapshotState(1))
                    .isEqualTo(new KilnEnumeratorState(List.of(), false));

            Files.delete(manifests);
            Files.move(aside, manifests);
            context.poll();
            assertThat(context.getSplitAssignments().get(0).getAssignedSplits()).hasSize(2);
        }
    }

    private KilnSource.Builder source() {
        return KilnSource.builder(path()).rowType(ROW);
    }

    private Path path() {
        return new Path(dir.resolve("t").toUri());
    }

    private void create() throws Exception {
        KilnTable.create(
                path(),
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(ROW, List.of("id")), List.of("id"))
                        .bucketCount(2)
                        .build());
    }

    /** Runs the enumerator's periodic poll when told, on the test thread; one reader. */
    private static final class SyncContext extends TestingSplitEnumeratorContext<BucketSplit> {
        private Callable<Object> poll;
        private BiConsumer<Object, Throwable> handler;

        SyncContext() {
            super(1);
            registerReader(0, "localhost");
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> void callAsync(
                Callable<T> callable,
                BiConsumer<T, Throwable> handler,
                long initialDelay,
                long period) {
            this.poll = (Callable<Object>) callable;
            this.handler = (BiConsumer<Object, Throwable>) handler;
        }

        /** One poll and its handling; a failure the handler raises fails the test. */
        void poll() {
            Object result = null;
            Throwable error = null;
            try {
                result = poll.call();
            } catch (Throwable t) {
                error = t;
            }
            handler.accept(result, error);
        }
    }
}
