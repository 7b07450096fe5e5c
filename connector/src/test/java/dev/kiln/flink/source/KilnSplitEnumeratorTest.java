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
import dev.kiln.table.Commit;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;
import dev.kiln.table.TableReplacedException;

import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.ExceptionUtils;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.annotation.Nullable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The source's enumerator, run on Flink's testing context with its poll run on the test thread:
 * when it makes splits, where each starts and stops, which reader gets which, what it tells them.
 */
class KilnSplitEnumeratorTest {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void unboundedItWaitsForTheTableThenSplitsEachBucketAtTheStart() throws Exception {
        Context context = new Context(2);
        context.registerReader(0, "localhost");
        context.registerReader(1, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                KilnSource.builder(path()).rowType(ROW_TYPE).build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            context.poll();
            assertThat(context.getSplitAssignments()).as("no table, no split").isEmpty();
            assertThat(context.getSentEvents()).isEmpty();
            assertThat(enumerator.snapshotState(1))
                    .isEqualTo(new KilnEnumeratorState(List.of(), false));

            KilnTable table = create(3);
            commits(table, 2);
            context.poll();

            String id = table.tableId();
            assertThat(assigned(context, 0))
                    .containsExactly(
                            new BucketSplit(0, 2, true, 0, BucketSplit.NO_STOP, id),
                            new BucketSplit(2, 2, true, 0, BucketSplit.NO_STOP, id));
            assertThat(assigned(context, 1))
                    .containsExactly(new BucketSplit(1, 2, true, 0, BucketSplit.NO_STOP, id));
            assertThat(announced(context, 0)).containsExactly(2L);
            assertThat(announced(context, 1)).containsExactly(2L);
            assertThat(enumerator.snapshotState(2))
                    .isEqualTo(new KilnEnumeratorState(List.of(), true));

            commits(table, 1);
            context.poll();
            assertThat(assigned(context, 0)).as("splits are made once").hasSize(2);
            assertThat(context.noMoreSplits).as("never in unbounded mode").isEmpty();
        }
    }

    @Test
    void eachStartingPositionGivesItsSplits() throws Exception {
        KilnTable table = create(2);
        commits(table, 3);
        String id = table.tableId();

        assertThat(
                        initialSplits(
                                KilnSource.builder(path())
                                        .startingFrom(StartingPosition.fullThenFollow())))
                .containsExactly(
                        new BucketSplit(0, 3, true, 0, BucketSplit.NO_STOP, id),
                        new BucketSplit(1, 3, true, 0, BucketSplit.NO_STOP, id));
        assertThat(
                        initialSplits(
                                KilnSource.builder(path()).startingFrom(StartingPosition.latest())))
                .containsExactly(
                        new BucketSplit(0, 3, false, 0, BucketSplit.NO_STOP, id),
                        new BucketSplit(1, 3, false, 0, BucketSplit.NO_STOP, id));
        // A split's position is the version emitted up to: from version 2 it has emitted 1.
        assertThat(from(StartingPosition.fromVersion(2))).containsExactly(1L);
        assertThat(from(StartingPosition.fromVersion(1))).containsExactly(0L);
        assertThat(from(StartingPosition.fromVersion(0))).containsExactly(0L);
        assertThat(from(StartingPosition.fromVersion(10)))
                .as("a future version is waited for")
                .containsExactly(9L);

        for (long version = 0; version <= 3; version++) {
            long published = table.manifest(version).publishedAtMillis();
            if (published <= 0) {
                continue; // version 0, the creation, records no time
            }
            long first = version;
            while (first > 0 && table.manifest(first - 1).publishedAtMillis() >= published) {
                first--; // published in the same millisecond
            }
            assertThat(from(StartingPosition.fromTimestamp(published)))
                    .as("from the time of version %d", version)
                    .containsExactly(first - 1);
        }
        assertThat(from(StartingPosition.fromTimestamp(table.manifest(3).publishedAtMillis() + 1)))
                .as("after the latest: only later versions")
                .containsExactly(3L);
        assertThat(from(StartingPosition.fromTimestamp(Long.MAX_VALUE))).containsExactly(3L);
    }

    @Test
    void boundedItStopsAtTheLatestAndSignalsEveryReaderOnce() throws Exception {
        KilnTable table = create(2);
        commits(table, 3);
        Context context = new Context(3);
        for (int reader = 0; reader < 3; reader++) {
            context.registerReader(reader, "localhost");
        }
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                KilnSource.builder(path()).stoppingAtLatest().build().createEnumerator(context)) {
            enumerator.start();
            context.poll();

            String id = table.tableId();
            assertThat(assigned(context, 0)).containsExactly(new BucketSplit(0, 3, true, 0, 3, id));
            assertThat(assigned(context, 1)).containsExactly(new BucketSplit(1, 3, true, 0, 3, id));
            assertThat(assigned(context, 2)).isEmpty();
            assertThat(context.noMoreSplits)
                    .as("the idle reader too")
                    .containsExactlyInAnyOrder(0, 1, 2);

            commits(table, 1);
            context.poll();
            assertThat(assigned(context, 0)).hasSize(1);
            assertThat(context.noMoreSplits).as("signalled once").hasSize(3);
            assertThat(announced(context, 2)).containsExactly(3L, 4L);
        }
    }

    @Test
    void aStopVersionStopsEveryStart() throws Exception {
        KilnTable table = create(1);
        commits(table, 3);
        String id = table.tableId();

        assertThat(
                        initialSplits(
                                KilnSource.builder(path())
                                        .startingFrom(StartingPosition.fromVersion(2))
                                        .stoppingAt(5)))
                .containsExactly(new BucketSplit(0, 1, false, 0, 5, id));
        assertThat(
                        initialSplits(
                                KilnSource.builder(path())
                                        .startingFrom(StartingPosition.fullThenFollow())
                                        .stoppingAt(5)))
                .as("a snapshot of the latest, then the changes up to 5")
                .containsExactly(new BucketSplit(0, 3, true, 0, 5, id));
        assertThat(
                        initialSplits(
                                KilnSource.builder(path())
                                        .startingFrom(StartingPosition.fullThenFollow())
                                        .stoppingAt(2)))
                .as("a snapshot never reads past the stop version")
                .containsExactly(new BucketSplit(0, 2, true, 0, 2, id));
    }

    @Test
    void eachBucketGoesToItsReaderOnceThatRegisters() throws Exception {
        KilnTable table = create(4);
        commits(table, 1);
        String id = table.tableId();
        Context context = new Context(2);
        context.registerReader(1, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                KilnSource.builder(path()).stoppingAtLatest().build().createEnumerator(context)) {
            enumerator.start();
            context.poll();

            assertThat(assigned(context, 1))
                    .containsExactly(
                            new BucketSplit(1, 1, true, 0, 1, id),
                            new BucketSplit(3, 1, true, 0, 1, id));
            assertThat(assigned(context, 0)).isEmpty();
            assertThat(context.noMoreSplits).containsExactly(1);
            assertThat(enumerator.snapshotState(1).unassigned())
                    .containsExactly(
                            new BucketSplit(0, 1, true, 0, 1, id),
                            new BucketSplit(2, 1, true, 0, 1, id));

            context.registerReader(0, "localhost");
            enumerator.addReader(0);

            assertThat(assigned(context, 0))
                    .containsExactly(
                            new BucketSplit(0, 1, true, 0, 1, id),
                            new BucketSplit(2, 1, true, 0, 1, id));
            assertThat(announced(context, 0)).containsExactly(1L);
            assertThat(context.noMoreSplits).containsExactly(1, 0);
            assertThat(enumerator.snapshotState(2).unassigned()).isEmpty();
        }
    }

    /** A failed reader's splits come back with their positions and go to it when it returns. */
    @Test
    void splitsAddedBackGoToTheReaderThatRegistersAgain() throws Exception {
        KilnTable table = create(2);
        commits(table, 2);
        String id = table.tableId();
        Context context = new Context(2);
        context.registerReader(0, "localhost");
        context.registerReader(1, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                KilnSource.builder(path()).stoppingAt(9).build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            assertThat(assigned(context, 0)).containsExactly(new BucketSplit(0, 2, true, 0, 9, id));
            assertThat(context.noMoreSplits).containsExactly(0, 1);

            context.registeredReaders().remove(0);
            BucketSplit progressed = new BucketSplit(0, 4, false, 17, 9, id);
            enumerator.addSplitsBack(List.of(progressed), 0);
            assertThat(enumerator.snapshotState(1))
                    .isEqualTo(new KilnEnumeratorState(List.of(progressed), true));
            context.poll();
            assertThat(assigned(context, 0)).as("not while it is away").hasSize(1);

            context.registerReader(0, "localhost");
            enumerator.addReader(0);

            assertThat(assigned(context, 0))
                    .containsExactly(new BucketSplit(0, 2, true, 0, 9, id), progressed);
            assertThat(context.noMoreSplits).as("signalled again").containsExactly(0, 1, 0);
            assertThat(enumerator.snapshotState(2).unassigned()).isEmpty();
        }
    }

    @Test
    void eachNewLatestVersionIsAnnouncedToEveryReaderAndToOneThatRegistersLater() throws Exception {
        KilnTable table = create(1);
        commits(table, 1);
        Context context = new Context(2);
        context.registerReader(0, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                KilnSource.builder(path()).build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            context.poll();
            assertThat(announced(context, 0)).as("once per version").containsExactly(1L);

            commits(table, 2);
            context.poll();
            assertThat(announced(context, 0)).containsExactly(1L, 3L);

            context.registerReader(1, "localhost");
            enumerator.addReader(1);
            assertThat(announced(context, 1)).containsExactly(3L);
            commits(table, 1);
            context.poll();
            assertThat(announced(context, 0)).containsExactly(1L, 3L, 4L);
            assertThat(announced(context, 1)).containsExactly(3L, 4L);
        }
    }

    /**
     * A table deleted and created again at the path fails the poll (and so the job), whether the
     * new one has fewer versions than announced or more.
     */
    @Test
    void aReplacedTableFailsThePoll() throws Exception {
        for (int recreatedVersions : new int[] {0, 5}) {
            Path path = new Path(dir.resolve("t-" + recreatedVersions).toUri());
            KilnTable table = create(path, 1);
            commits(table, 2);
            Context context = new Context(1);
            context.registerReader(0, "localhost");
            try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                    KilnSource.builder(path).build().createEnumerator(context)) {
                enumerator.start();
                context.poll();
                assertThat(announced(context, 0)).containsExactly(2L);

                delete(path);
                commits(create(path, 1), recreatedVersions);
                Throwable failure = catchThrowable(context::poll);

                assertThat(failure).as("the poll fails the job").isNotNull();
                assertThat(ExceptionUtils.findThrowable(failure, TableReplacedException.class))
                        .as("replaced with %d versions", recreatedVersions)
                        .isPresent();
                assertThat(failure).hasMessageContaining(path.toString());
            }
        }
    }

    /**
     * A restored enumerator makes no new splits (its readers hold theirs), assigns those it had not
     * assigned, and announces the latest version again; it waits if the table is gone.
     */
    @Test
    void aRestoredEnumeratorAssignsWhatItHeldAndMakesNothingNew() throws Exception {
        KilnTable table = create(3);
        commits(table, 2);
        BucketSplit held = new BucketSplit(1, 1, false, 5, BucketSplit.NO_STOP, table.tableId());
        Context context = new Context(2);
        context.registerReader(0, "localhost");
        context.registerReader(1, "localhost");
        KilnSource source = KilnSource.builder(path()).build();
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                source.restoreEnumerator(context, new KilnEnumeratorState(List.of(held), true))) {
            enumerator.start();
            context.poll();

            assertThat(assigned(context, 1)).containsExactly(held);
            assertThat(assigned(context, 0)).isEmpty();
            assertThat(announced(context, 0)).containsExactly(2L);
            assertThat(enumerator.snapshotState(1))
                    .isEqualTo(new KilnEnumeratorState(List.of(), true));
        }

        delete(path());
        Context absent = new Context(1);
        absent.registerReader(0, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                source.restoreEnumerator(absent, new KilnEnumeratorState(List.of(), true))) {
            enumerator.start();
            absent.poll();
            assertThat(absent.getSplitAssignments()).isEmpty();
            assertThat(absent.getSentEvents()).isEmpty();
        }
    }

    /**
     * A table deleted under a following source is waited for (a storage error is retried), and one
     * created again there fails the poll.
     */
    @Test
    void aDeletedTableIsWaitedForUntilAnotherAppears() throws Exception {
        KilnTable table = create(1);
        commits(table, 3);
        Context context = new Context(1);
        context.registerReader(0, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                KilnSource.builder(path()).build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            delete(path());

            context.poll();
            context.poll();
            assertThat(announced(context, 0)).containsExactly(3L);

            commits(create(1), 4);
            assertThat(
                            ExceptionUtils.findThrowable(
                                    catchThrowable(context::poll), TableReplacedException.class))
                    .isPresent();
        }
    }

    private List<BucketSplit> initialSplits(KilnSource.Builder builder) throws Exception {
        Context context = new Context(1);
        context.registerReader(0, "localhost");
        try (SplitEnumerator<BucketSplit, KilnEnumeratorState> enumerator =
                builder.build().createEnumerator(context)) {
            enumerator.start();
            context.poll();
            return assigned(context, 0);
        }
    }

    /** The positions of the splits an unbounded source starting at {@code start} makes. */
    private List<Long> from(StartingPosition start) throws Exception {
        List<Long> positions = new ArrayList<>();
        for (BucketSplit split : initialSplits(KilnSource.builder(path()).startingFrom(start))) {
            assertThat(split.snapshot()).isFalse();
            assertThat(split.stopVersion()).isEqualTo(BucketSplit.NO_STOP);
            if (!positions.contains(split.version())) {
                positions.add(split.version());
            }
        }
        return positions;
    }

    private static List<BucketSplit> assigned(Context context, int reader) {
        TestingSplitEnumeratorContext.SplitAssignmentState<BucketSplit> state =
                context.getSplitAssignments().get(reader);
        return state == null ? List.of() : state.getAssignedSplits();
    }

    private static List<Long> announced(Context context, int reader) {
        List<Long> versions = new ArrayList<>();
        for (SourceEvent event : context.getSentEvents().getOrDefault(reader, List.of())) {
            versions.add(((LatestVersionEvent) event).version());
        }
        return versions;
    }

    private Path path() {
        return new Path(dir.resolve("t").toUri());
    }

    private KilnTable create(int buckets) throws IOException {
        return create(path(), buckets);
    }

    private static KilnTable create(Path path, int buckets) throws IOException {
        return KilnTable.create(
                path,
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                List.of("id"))
                        .bucketCount(buckets)
                        .build());
    }

    /** Publishes {@code count} versions that change nothing. */
    private static void commits(KilnTable table, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            long version = table.latestVersion();
            table.commit(new Commit("test", version + 1, List.of(), List.of()));
        }
    }

    private static void delete(Path path) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(Paths.get(path.toUri()))) {
            for (java.nio.file.Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    /**
     * Flink's testing context whose periodic poll runs on the test thread when {@link #poll} is
     * called, a failure of its handler thrown (a real coordinator fails the job with it), and that
     * records the readers signalled no more splits in order.
     */
    private static final class Context extends TestingSplitEnumeratorContext<BucketSplit> {

        final List<Integer> noMoreSplits = new ArrayList<>();
        @Nullable private Runnable poll;

        Context(int parallelism) {
            super(parallelism);
        }

        @Override
        public <T> void callAsync(
                Callable<T> callable,
                BiConsumer<T, Throwable> handler,
                long initialDelay,
                long period) {
            assertThat(poll).as("one periodic poll").isNull();
            poll =
                    () -> {
                        T result = null;
                        Throwable error = null;
                        try {
                            result = callable.call();
                        } catch (Throwable t) {
                            error = t;
                        }
                        handler.accept(result, error);
                    };
        }

        void poll() {
            assertThat(poll).as("the enumerator started its poll").isNotNull();
            poll.run();
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            super.signalNoMoreSplits(subtask);
            noMoreSplits.add(subtask);
        }
    }
}
