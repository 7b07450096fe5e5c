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

import dev.kiln.io.RangeReader;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SwapPoint}: swaps, pins, waiters and the two ends of following. */
class SwapPointTest {

    private static final Path HELD = new Path("file:///t/held.kiln");

    @TempDir java.nio.file.Path dir;

    private final ExecutorService io = Executors.newSingleThreadExecutor();
    private final BufferAllocator allocator = new RootAllocator();
    private GenerationCache cache;
    private TestTable table;
    private SnapshotFollower follower;
    private SwapPoint swap;

    @BeforeEach
    void setUp() throws IOException {
        cache =
                GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                        .warmOnOpen(false)
                        .maintenanceExecutor(Runnable::run)
                        .build();
        table = TestTable.create(dir.resolve("t"), 2);
        follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        cache,
                        cache.warmGate(),
                        b -> true,
                        false,
                        Duration.ofMinutes(1));
        swap = new SwapPoint(table.table.root());
    }

    @AfterEach
    void tearDown() {
        follower.close();
        cache.close();
        table.close();
        io.shutdownNow();
        allocator.close();
    }

    private SnapshotFollower.Pin pinOf(Manifest manifest) {
        cache.holdPaths(Set.of(HELD));
        return follower
        .new Pin(table.table.snapshot(manifest, cache), new HeldPaths(cache, Set.of(HELD)), false);
    }

    private TableNotFoundException gone() {
        try {
            KilnTable.open(new Path(dir.resolve("absent").toUri()));
        } catch (TableNotFoundException e) {
            return e;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("a table at an empty folder");
    }

    @Test
    void aSwapLinksTheSuccessorCompletesWaitersAndDropsTheOldReference() throws IOException {
        assertThatThrownBy(swap::pin).hasMessageContaining("initialize()");
        SnapshotFollower.Pin first = pinOf(table.upsert(1, 1, 2));
        assertThat(swap.install(first)).isTrue();
        assertThat(swap.version()).isEqualTo(first.snapshot().manifest().version());
        CompletableFuture<Void> after = swap.versionAfter(swap.version());
        assertThat(after).isNotDone();

        SnapshotFollower.Pin reading = swap.pin();
        SnapshotFollower.Pin second = pinOf(table.upsert(2, 3));
        assertThat(swap.install(second)).isTrue();
        assertThat(after).isCompleted();
        assertThat(cache.holdsOf(HELD)).as("the reader's and the new pin's").isEqualTo(2);

        SnapshotFollower.Pin next = reading.pinSuccessor();
        assertThat(next).isSameAs(second);
        reading.release();
        next.release();
        assertThat(cache.holdsOf(HELD)).isEqualTo(1);
    }

    @Test
    void onceLostNothingIsInstalledAndPinsFailWithTheError() throws IOException {
        SnapshotFollower.Pin first = pinOf(table.upsert(1, 1));
        swap.install(first);
        CompletableFuture<Void> after = swap.versionAfter(swap.version());
        TableNotFoundException gone = gone();

        CompletableFuture<Void> waiting = swap.lose(gone);
        assertThat(waiting).isNotNull();
        assertThat(swap.lose(gone)).as("lost once").isNull();
        assertThat(swap.lost()).isSameAs(gone);
        assertThat(cache.holdsOf(HELD)).isZero();
        waiting.completeExceptionally(gone);
        assertThat(after).isCompletedExceptionally();

        assertThatThrownBy(swap::pin).isInstanceOf(SnapshotFollower.TableLost.class).hasCause(gone);
        assertThat(swap.versionAfter(0)).isCompletedExceptionally();
        assertThat(swap.install(pinOf(table.upsert(2, 2)))).isFalse();
        swap.close();
        assertThat(cache.holdsOf(HELD)).as("the refused pin's hold only").isEqualTo(1);
    }

    @Test
    void closingDropsTheReferenceOnceAndFailsWaiters() throws IOException {
        swap.install(pinOf(table.upsert(1, 1)));
        CompletableFuture<Void> after = swap.versionAfter(swap.version());

        swap.close();
        swap.close();
        assertThat(swap.closed()).isTrue();
        assertThat(cache.holdsOf(HELD)).isZero();
        assertThat(after).isCompletedExceptionally();
        assertThatThrownBy(swap::pin).hasMessageContaining("closed");
        assertThat(swap.lose(gone())).isNull();
    }
}
