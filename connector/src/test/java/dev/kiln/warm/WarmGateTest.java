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

package dev.kiln.warm;

import dev.kiln.KilnThreadsProbe;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.kiln.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WarmGateTest {

    private static final Duration LONG = Duration.ofMinutes(5);

    /** A warmer whose warms complete only when the test says so; counts invocations per path. */
    private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> invocations = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> started = new ConcurrentHashMap<>();
    private final GenerationWarmer heldWarmer =
            file -> {
                invocations.computeIfAbsent(file.key(), p -> new AtomicInteger()).incrementAndGet();
                CompletableFuture<Void> warm =
                        pending.computeIfAbsent(file.key(), p -> new CompletableFuture<>());
                started(file.key()).complete(null);
                return warm;
            };

    /** Completes when the held warmer has been invoked for {@code path}. */
    private CompletableFuture<Void> started(String path) {
        return started.computeIfAbsent(path, p -> new CompletableFuture<>());
    }

    private static GenerationFile file(String path) {
        return new GenerationFile(new Path(path), 1024);
    }

    private final ExecutorService callers = Executors.newFixedThreadPool(8);

    @AfterEach
    void stopCallers() {
        callers.shutdownNow();
    }

    @Test
    void concurrentWarmsOfOnePathRunTheWarmerOnce() throws Exception {
        for (int iteration = 0; iteration < 100; iteration++) {
            pending.clear();
            invocations.clear();
            WarmGate gate = new WarmGate(heldWarmer, 4, LONG);
            int requests = 16;
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<CompletableFuture<WarmOutcome>>> issued = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                issued.add(
                        CompletableFuture.supplyAsync(
                                () -> {
                                    await(start);
                                    return gate.warm(file("gen-1"));
                                },
                                callers));
            }
            start.countDown();
            List<CompletableFuture<WarmOutcome>> outcomes = new ArrayList<>();
            for (CompletableFuture<CompletableFuture<WarmOutcome>> f : issued) {
                outcomes.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(outcomes).noneMatch(CompletableFuture::isDone);

            pending.get("gen-1").complete(null);

            for (CompletableFuture<WarmOutcome> outcome : outcomes) {
                assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.WARMED);
            }
            assertThat(invocations.get("gen-1")).hasValue(1);
            assertThat(gate.stats())
                    .isEqualTo(new WarmStats(requests, 1, requests - 1, requests, 0, 0, 0));
        }
    }

    @Test
    void warmPathIsANoOp() {
        WarmGate gate = new WarmGate(heldWarmer, 1, LONG);
        CompletableFuture<WarmOutcome> first = gate.warm(file("gen-1"));
        pending.get("gen-1").complete(null);

        assertThat(first.join()).isEqualTo(WarmOutcome.WARMED);
        assertThat(gate.warm(file("gen-1")).join()).isEqualTo(WarmOutcome.ALREADY_WARM);
        assertThat(gate.isWarm(new Path("gen-1"))).isTrue();
        assertThat(invocations.get("gen-1")).hasValue(1);
        assertThat(gate.stats().alreadyWarm()).isEqualTo(1);
    }

    @Test
    void failuresAreCountedNotThrownAndALaterRequestRetries() {
        AtomicInteger calls = new AtomicInteger();
        GenerationWarmer flaky =
                path ->
                        switch (calls.incrementAndGet()) {
                            case 1 -> throw new IllegalStateException("open failed");
                            case 2 ->
                                    CompletableFuture.failedFuture(
                                            new RuntimeException("read failed"));
                            case 3 -> null;
                            default -> CompletableFuture.completedFuture(null);
                        };
        WarmGate gate = new WarmGate(flaky, 1, LONG);

        assertThat(gate.warm(file("gen-1")).join()).isEqualTo(WarmOutcome.FAILED);
        assertThat(gate.warm(file("gen-1")).join()).isEqualTo(WarmOutcome.FAILED);
        assertThat(gate.warm(file("gen-1")).join()).isEqualTo(WarmOutcome.FAILED);
        assertThat(gate.isWarm(new Path("gen-1"))).isFalse();
        assertThat(gate.warm(file("gen-1")).join()).isEqualTo(WarmOutcome.WARMED);
        assertThat(calls).hasValue(4);
        assertThat(gate.stats()).isEqualTo(new WarmStats(4, 4, 0, 1, 0, 3, 0));
    }

    @Test
    void aWarmerThatNeverCompletesTimesOutAndFreesItsSlot() throws Exception {
        // Semantics changed on purpose (issue 7, item 11): at its deadline a running warm's future
        // is completed by the gate (the warmer is told to stop), which frees the slot; a later
        // completion of the warmer's own work no longer marks the path warm.
        WarmGate gate = new WarmGate(heldWarmer, 1, Duration.ofMillis(50));

        CompletableFuture<WarmOutcome> hung = gate.warm(file("hung"));
        CompletableFuture<WarmOutcome> queuedBehind = gate.warm(file("next"));

        assertThat(hung.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
        // "next" was queued behind "hung": its request timed out while it waited.
        assertThat(queuedBehind.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
        assertThat(gate.isWarm(new Path("hung"))).isFalse();

        // The hung warmer's future was timed out by the gate, which freed the slot for "next",
        // which was timed out in turn.
        assertThat(pending.get("hung")).failsWithin(10, TimeUnit.SECONDS);
        started("next").get(10, TimeUnit.SECONDS);
        assertThat(pending.get("next")).failsWithin(10, TimeUnit.SECONDS);
        assertThat(invocations.get("next")).hasValue(1);

        // The slot is free again: a new path starts and warms.
        CompletableFuture<WarmOutcome> later = gate.warm(file("later"));
        started("later").get(10, TimeUnit.SECONDS);
        pending.get("later").complete(null);
        assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.WARMED);
        assertThat(gate.isWarm(new Path("hung"))).isFalse();
        assertThat(gate.stats().timedOut()).isEqualTo(2);
    }

    @Test
    void atMostMaxConcurrentWarmsRunAndQueuedWarmsStartInOrder() {
        WarmGate gate = new WarmGate(heldWarmer, 2, LONG);
        List<CompletableFuture<WarmOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            outcomes.add(gate.warm(file("gen-" + i)));
        }
        assertThat(invocations.keySet()).containsExactlyInAnyOrder("gen-0", "gen-1");

        pending.get("gen-1").complete(null);
        assertThat(invocations.keySet()).containsExactlyInAnyOrder("gen-0", "gen-1", "gen-2");

        pending.get("gen-0").completeExceptionally(new RuntimeException("x"));
        assertThat(invocations).containsOnlyKeys("gen-0", "gen-1", "gen-2", "gen-3");

        pending.get("gen-2").complete(null);
        pending.get("gen-3").complete(null);
        pending.get("gen-4").complete(null);
        assertThat(outcomes.stream().map(CompletableFuture::join))
                .containsExactly(
                        WarmOutcome.FAILED,
                        WarmOutcome.WARMED,
                        WarmOutcome.WARMED,
                        WarmOutcome.WARMED,
                        WarmOutcome.WARMED);
        assertThat(gate.stats().started()).isEqualTo(5);
    }

    @Test
    void retainPathsForgetsRetiredGenerations() {
        WarmGate gate = new WarmGate(path -> CompletableFuture.completedFuture(null), 1, LONG);
        gate.warm(file("old")).join();
        gate.warm(file("live")).join();

        gate.retainPaths(Set.of(new Path("live")));

        assertThat(gate.isWarm(new Path("old"))).isFalse();
        assertThat(gate.isWarm(new Path("live"))).isTrue();
        assertThat(gate.warm(file("old")).join()).isEqualTo(WarmOutcome.WARMED);
    }

    @Test
    void thousandsOfQueuedWarmsThatCompleteAtOnceStartWithAFlatStack() {
        // Issue 7, item 8: each warm that completed on the starting thread recursed into the
        // drain; past ~900 queued warms the stack overflowed and the gate stalled.
        int queuedWarms = 5000;
        CompletableFuture<Void> first = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        int[] depths = new int[queuedWarms + 1];
        GenerationWarmer warmer =
                file -> {
                    int call = calls.getAndIncrement();
                    depths[call] = Thread.currentThread().getStackTrace().length;
                    return call == 0 ? first : CompletableFuture.completedFuture(null);
                };
        WarmGate gate = new WarmGate(warmer, 1, LONG);
        List<CompletableFuture<WarmOutcome>> outcomes = new ArrayList<>();
        for (int i = 0; i <= queuedWarms; i++) {
            outcomes.add(gate.warm(file("gen-" + i)));
        }
        assertThat(calls).hasValue(1);

        first.complete(null);

        assertThat(calls).hasValue(queuedWarms + 1);
        assertThat(outcomes).allMatch(f -> f.getNow(null) == WarmOutcome.WARMED);
        assertThat(gate.stats().warmed()).isEqualTo(queuedWarms + 1);
        assertThat(gate.runningWarms()).isZero();
        int deepest = 0;
        for (int i = 1; i <= queuedWarms; i++) {
            deepest = Math.max(deepest, depths[i]);
        }
        assertThat(deepest)
                .as("stack depth of the last warm vs. the first queued one")
                .isLessThanOrEqualTo(depths[1] + 10);
    }

    @Test
    void aTinyDeadlineNeverFailsARequestNorLeavesItsPathRegistered() throws Exception {
        // Issue 7, item 9: an attempt whose 1 ns deadline fired during its construction inside
        // the map's compute failed with "Recursive update" and left its path registered.
        AtomicInteger calls = new AtomicInteger();
        GenerationWarmer instant =
                file -> {
                    calls.incrementAndGet();
                    return CompletableFuture.completedFuture(null);
                };
        WarmGate gate = new WarmGate(instant, 2, Duration.ofNanos(1));
        int iterations = 20_000;
        for (int i = 0; i < iterations; i++) {
            GenerationFile file = file("gen-" + (i % 16));
            CompletableFuture<WarmOutcome> outcome = gate.warm(file);
            assertThat(outcome.get(10, TimeUnit.SECONDS))
                    .isIn(WarmOutcome.WARMED, WarmOutcome.TIMED_OUT, WarmOutcome.ALREADY_WARM);
            assertThat(gate.registeredWarms()).isZero();
            if (i % 16 == 15) {
                gate.retainPaths(Set.of());
            }
        }
        WarmStats stats = gate.stats();
        assertThat(stats.failed()).isZero();
        assertThat(stats.warmed() + stats.alreadyWarm() + stats.timedOut()).isEqualTo(iterations);
        assertThat(stats.started()).isEqualTo(calls.get());
    }

    @Test
    void runningWarmerInvocationsNeverExceedTheBoundEvenWhenTheyTimeOut() throws Exception {
        // Issue 7, item 11: a timed-out warm freed its slot while its warmer kept running, so
        // hung warmers piled up past maxConcurrentWarms.
        int bound = 2;
        int paths = 8;
        for (int iteration = 0; iteration < 30; iteration++) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger mostRunning = new AtomicInteger();
            CountDownLatch allStopped = new CountDownLatch(paths);
            GenerationWarmer hung =
                    file -> {
                        mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                        CompletableFuture<Void> work = new CompletableFuture<>();
                        // Cooperative: it stops when its future is completed by the gate.
                        work.whenComplete(
                                (ignored, error) -> {
                                    running.decrementAndGet();
                                    allStopped.countDown();
                                });
                        return work;
                    };
            WarmGate gate = new WarmGate(hung, bound, Duration.ofMillis(2));
            List<CompletableFuture<WarmOutcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < paths; i++) {
                outcomes.add(gate.warm(file("gen-" + i)));
            }
            for (CompletableFuture<WarmOutcome> outcome : outcomes) {
                assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
            }
            assertThat(allStopped.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(mostRunning.get()).isLessThanOrEqualTo(bound);
            assertThat(gate.stats().started()).isEqualTo(paths);
        }
    }

    @Test
    void aRequestCompletesAtItsDeadlineWhileItsWarmStillHoldsTheSlot() throws Exception {
        // The margin between a request's end and its warm's is one deadline: make it ample.
        Duration deadline = Duration.ofSeconds(1);
        WarmGate tracked = new WarmGate(heldWarmer, 1, deadline);

        long start = System.nanoTime();
        CompletableFuture<WarmOutcome> first = tracked.warm(file("first"));
        CompletableFuture<WarmOutcome> second = tracked.warm(file("second"));

        // "first" hangs: its request ends TIMED_OUT at its deadline, and so does the request of
        // "second", which waited in the queue; neither waits any longer.
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(deadline.toNanos());
        // "second" started when the gate timed "first" out, and it runs on with its own deadline
        // counted from its start: the request ended while the warm holds the slot.
        started("second").get(10, TimeUnit.SECONDS);
        assertThat(tracked.runningWarms()).isEqualTo(1);
        pending.get("second").complete(null);
        assertThat(tracked.isWarm(new Path("second"))).isTrue();
        assertThat(tracked.runningWarms()).isZero();
    }

    @Test
    void retainPathsWinsOverQueuedAndRunningWarms() throws Exception {
        WarmGate gate = new WarmGate(heldWarmer, 1, LONG);
        CompletableFuture<WarmOutcome> running = gate.warm(file("running"));
        CompletableFuture<WarmOutcome> queued = gate.warm(file("queued"));

        gate.retainPaths(Set.of());

        assertThat(running.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.FAILED);
        assertThat(queued.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.FAILED);
        assertThat(pending.get("running")).isCancelled();
        assertThat(invocations).containsOnlyKeys("running");
        assertThat(gate.runningWarms()).isZero();
        assertThat(gate.registeredWarms()).isZero();
        // The warmer's own completion after retirement does not mark the path warm.
        assertThat(gate.isWarm(new Path("running"))).isFalse();
        // A later request starts afresh.
        pending.clear();
        CompletableFuture<WarmOutcome> again = gate.warm(file("running"));
        pending.get("running").complete(null);
        assertThat(again.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.WARMED);
    }

    @Test
    void aWarmerThatThrowsAnErrorFailsItsWarmAndTheGateGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        GenerationWarmer broken =
                file -> {
                    if (calls.incrementAndGet() == 1) {
                        throw new LinkageError("broken warmer");
                    }
                    return CompletableFuture.completedFuture(null);
                };
        WarmGate gate = new WarmGate(broken, 1, LONG);

        assertThat(gate.warm(file("gen-1")).get(10, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.FAILED);
        assertThat(gate.warm(file("gen-2")).get(10, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(gate.runningWarms()).isZero();
    }

    @Test
    void optionsAreValidated() {
        assertThatThrownBy(() -> new WarmGate(heldWarmer, 0, LONG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxConcurrentWarms must be positive, but was 0");
        assertThatThrownBy(() -> new WarmGate(heldWarmer, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deadline must be positive");
        assertThatThrownBy(() -> new WarmGate(null, 1, LONG))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("warmer");
    }

    @Test
    void ownsItsTimerWhoseThreadKeepsNoJobLoaderAndEndsWithTheGate() throws Exception {
        Set<Thread> before = KilnThreadsProbe.named(WarmGate.TIMER_THREAD_NAME);
        WarmGate gate = new WarmGate(heldWarmer, 1, LONG);
        URLClassLoader job = KilnThreadsProbe.jobClassLoader();
        // Started from a "task thread" of a job: the first deadline starts the timer's thread.
        CompletableFuture<WarmOutcome> running =
                KilnThreadsProbe.withJobClassLoader(job, () -> gate.warm(file("/t/a")));
        CompletableFuture<WarmOutcome> queued = gate.warm(file("/t/b"));

        Set<Thread> timers = KilnThreadsProbe.startedSince(WarmGate.TIMER_THREAD_NAME, before);
        assertThat(timers).as("the deadlines are on the gate's own timer").hasSize(1);
        assertThat(timers)
                .allSatisfy(
                        t ->
                                assertThat(t.getContextClassLoader())
                                        .isNotSameAs(job)
                                        .isSameAs(WarmGate.class.getClassLoader()));

        gate.close();
        assertThat(running).isCompletedWithValue(WarmOutcome.FAILED);
        assertThat(queued).isCompletedWithValue(WarmOutcome.FAILED);
        assertThat(pending.get("/t/a"))
                .as("the running warm was stopped")
                .isCompletedExceptionally();
        assertThat(invocations).doesNotContainKey("/t/b");
        // No deadline is left scheduled: the timer's thread ends.
        KilnThreadsProbe.assertTerminate(timers);

        assertThat(gate.warm(file("/t/c"))).isCompletedWithValue(WarmOutcome.FAILED);
        assertThat(invocations).doesNotContainKey("/t/c");
        assertThat(gate.registeredWarms()).isZero();
        assertThat(KilnThreadsProbe.startedSince(WarmGate.TIMER_THREAD_NAME, before)).isEmpty();
    }
}
