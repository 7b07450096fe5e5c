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

package dev.kiln.flink.sink;

import dev.kiln.KilnThreadsProbe;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.GenerationWarmerFactory;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The warm-before-commit step in Flink's operator harness, over real generations. */
@Timeout(60)
class WarmBeforeCommitOperatorTest {

    /** Per test: the future each generation's controllable warm returns, by resolved path. */
    private static final Map<String, CompletableFuture<Void>> WARMS = new ConcurrentHashMap<>();

    private static final Map<String, java.util.concurrent.atomic.AtomicInteger> INVOCATIONS =
            new ConcurrentHashMap<>();

    @TempDir java.nio.file.Path dir;

    private KilnTable table;
    private GenerationRef first;
    private GenerationRef second;

    @BeforeEach
    void setUp() throws Exception {
        WARMS.clear();
        table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 2);
        first = SinkFixtures.writeGeneration(table, 0, 0, 400);
        second = SinkFixtures.writeGeneration(table, 1, 0, 400);
    }

    @AfterEach
    void noCacheLeaks() {
        assertThat(KilnCacheRegistry.instance().openCaches()).isZero();
    }

    private KeyedOneInputStreamOperatorTestHarness<
                    String,
                    CommittableMessage<WrittenGeneration>,
                    CommittableMessage<WrittenGeneration>>
            harness(Duration deadline, GenerationWarmerFactory warmer) throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new WarmBeforeCommitOperatorFactory(
                                SinkFixtures.settings(table, deadline, List.of(warmer))),
                        new SinkTopology.GenerationPath(),
                        Types.STRING);
        harness.open();
        return harness;
    }

    private static GenerationWarmerFactory controlled() {
        return cache -> file -> WARMS.computeIfAbsent(file.key(), k -> new CompletableFuture<>());
    }

    @Test
    void holdsAGenerationUntilItsWarmSettlesAndEmitsItBeforeTheBarrier() throws Exception {
        try (var harness = harness(Duration.ofMinutes(1), controlled())) {
            harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
            harness.processElement(SinkFixtures.lineage(second, 1, 1), 0);
            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(WARMS).hasSize(2);

            WARMS.get(table.resolve(first.path()).toString()).complete(null);
            // Once both its warms settle (the shared cache's runs on I/O threads), a mail emits
            // the first at once, without waiting for the barrier.
            while (harness.extractOutputValues().isEmpty()) {
                harness.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
            }
            assertThat(paths(harness.extractOutputValues())).containsExactly(first.path());

            CompletableFuture.runAsync(
                    () -> WARMS.get(table.resolve(second.path()).toString()).complete(null));
            harness.prepareSnapshotPreBarrier(1);
            assertThat(paths(harness.extractOutputValues()))
                    .containsExactlyInAnyOrder(first.path(), second.path());
            harness.snapshot(1, 1);
        }
    }

    @Test
    void aCompactionOutputIsHeldForItsWarmAndOneWithoutOutputPassesAtOnce() throws Exception {
        var merged =
                WrittenGeneration.compacted(
                        new dev.kiln.table.Compaction(0, first, List.of("data/bucket-0/a.arrow")),
                        0,
                        1);
        var emptied =
                WrittenGeneration.compacted(
                        new dev.kiln.table.Compaction(1, null, List.of("data/bucket-1/b.arrow")),
                        1,
                        1);
        try (var harness = harness(Duration.ofMinutes(1), controlled())) {
            harness.processElement(new CommittableWithLineage<>(merged, 1L, 0), 0);
            harness.processElement(new CommittableWithLineage<>(emptied, 1L, 0), 0);
            assertThat(harness.extractOutputValues())
                    .singleElement()
                    .satisfies(
                            m ->
                                    assertThat(
                                                    ((CommittableWithLineage<WrittenGeneration>) m)
                                                            .getCommittable())
                                            .isEqualTo(emptied));
            assertThat(WARMS).containsOnlyKeys(table.resolve(first.path()).toString());

            CompletableFuture.runAsync(
                    () -> WARMS.get(table.resolve(first.path()).toString()).complete(null));
            harness.prepareSnapshotPreBarrier(1);
            assertThat(harness.extractOutputValues()).hasSize(2);
            harness.snapshot(1, 1);
        }
    }

    @Test
    void neverWaitsPastTheDeadlineForAWarmThatNeverCompletes() throws Exception {
        Duration deadline = Duration.ofMillis(300);
        try (var harness = harness(deadline, cache -> file -> new CompletableFuture<>())) {
            long start = System.nanoTime();
            harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
            harness.prepareSnapshotPreBarrier(1);
            long waited = System.nanoTime() - start;

            assertThat(paths(harness.extractOutputValues())).containsExactly(first.path());
            assertThat(waited).isGreaterThanOrEqualTo(deadline.toNanos());
            assertThat(waited).isLessThan(Duration.ofSeconds(20).toNanos());
        }
    }

    @Test
    void aThrowingWarmerStillLetsTheGenerationThrough() throws Exception {
        try (var harness =
                harness(
                        Duration.ofMinutes(10),
                        cache ->
                                file -> {
                                    throw new IllegalStateException("injected");
                                })) {
            harness.processElement(SinkFixtures.lineage(first, 0, 3), 0);
            harness.endInput();
            assertThat(paths(harness.extractOutputValues())).containsExactly(first.path());
            assertThat(
                            ((CommittableWithLineage<WrittenGeneration>)
                                            harness.extractOutputValues().get(0))
                                    .getCheckpointId())
                    .isEqualTo(3);
        }
    }

    @Test
    void warmsInTheSharedCacheOfTheTaskManager() throws Exception {
        try (var lease =
                        KilnCacheRegistry.instance()
                                .acquire(table.root(), CacheSettings.defaults());
                var harness =
                        harness(
                                Duration.ofMinutes(1),
                                cache -> file -> CompletableFuture.completedFuture(null))) {
            harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
            harness.prepareSnapshotPreBarrier(1);
            assertThat(lease.cache().warmGate().isWarm(table.resolve(first.path()))).isTrue();
            assertThat(lease.cache().warmGate().isWarm(table.resolve(second.path()))).isFalse();
        }
    }

    private static List<String> paths(List<CommittableMessage<WrittenGeneration>> output) {
        return output.stream()
                .map(
                        m ->
                                ((CommittableWithLineage<WrittenGeneration>) m)
                                        .getCommittable()
                                        .generation()
                                        .path())
                .toList();
    }

    @Test
    void gatesOfExtraWarmersForgetWhatTheyWarmedAtEachBarrier() throws Exception {
        java.util.concurrent.atomic.AtomicInteger invocations =
                new java.util.concurrent.atomic.AtomicInteger();
        INVOCATIONS.put("forget", invocations);
        try (var harness =
                harness(
                        Duration.ofMinutes(1),
                        cache ->
                                file -> {
                                    INVOCATIONS.get("forget").incrementAndGet();
                                    return CompletableFuture.completedFuture(null);
                                })) {
            harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
            harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
            assertThat(invocations).as("warmed once, then already warm").hasValue(1);
            harness.prepareSnapshotPreBarrier(1);
            harness.processElement(SinkFixtures.lineage(first, 0, 2), 0);
            assertThat(invocations).as("forgotten at the barrier").hasValue(2);
            harness.prepareSnapshotPreBarrier(2);
        }
    }

    /**
     * The deadline wake-up is a timer of the operator's processing-time service (cancelled with the
     * task), registered only while the operator waits: none is left once it stops waiting.
     */
    @Test
    void theDeadlineWakeUpIsAnOperatorTimerCancelledWhenNothingWaits() throws Exception {
        try (var harness = harness(Duration.ofMinutes(10), controlled())) {
            harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
            AtomicInteger timersWhileWaiting = new AtomicInteger(-1);
            // Runs while the barrier waits (yielding to the mailbox) for the warm.
            harness.getTaskMailbox()
                    .put(
                            new Mail(
                                    () -> {
                                        timersWhileWaiting.set(
                                                harness.getProcessingTimeService()
                                                        .getNumActiveTimers());
                                        WARMS.get(table.resolve(first.path()).toString())
                                                .complete(null);
                                    },
                                    TaskMailbox.MAX_PRIORITY,
                                    "complete the warm"));
            harness.prepareSnapshotPreBarrier(1);

            assertThat(paths(harness.extractOutputValues())).containsExactly(first.path());
            assertThat(timersWhileWaiting).as("a wake-up while waiting").hasValue(1);
            assertThat(harness.getProcessingTimeService().getNumActiveTimers())
                    .as("no wake-up once nothing waits")
                    .isZero();
        }
    }

    /**
     * A task that fails while the step waits closes it without finishing it (as Flink does on
     * failover): the wake-up is cancelled, and the extra warmers' gates are closed, leaving no
     * timer thread of theirs and no warm running.
     */
    @Test
    void closingWhileWaitingLeavesNoTimerNorThreadBehind() throws Exception {
        Set<Thread> before = KilnThreadsProbe.named("kiln-warm-gate");
        var harness = harness(Duration.ofMinutes(10), controlled());
        harness.processElement(SinkFixtures.lineage(first, 0, 1), 0);
        harness.getTaskMailbox()
                .put(
                        new Mail(
                                () -> {
                                    throw new IllegalStateException("injected task failure");
                                },
                                TaskMailbox.MAX_PRIORITY,
                                "fail the task"));
        assertThatThrownBy(() -> harness.prepareSnapshotPreBarrier(1))
                .hasMessageContaining("injected task failure");
        assertThat(harness.getProcessingTimeService().getNumActiveTimers()).isOne();
        Set<Thread> timers = KilnThreadsProbe.startedSince("kiln-warm-gate", before);
        assertThat(timers).as("the gates' timers hold the warm deadlines").isNotEmpty();

        harness.getOperator().close();

        assertThat(harness.getProcessingTimeService().getNumActiveTimers()).isZero();
        assertThat(WARMS.get(table.resolve(first.path()).toString()))
                .as("the extra warmer's warm was stopped")
                .isCompletedExceptionally();
        KilnThreadsProbe.assertTerminate(timers);
        assertThat(KilnCacheRegistry.instance().openCaches()).isZero();
        harness.close(); // finish and close of a closed step do nothing
        assertThat(harness.extractOutputValues()).isEmpty();
    }
}
