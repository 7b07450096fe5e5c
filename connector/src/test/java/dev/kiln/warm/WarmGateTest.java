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

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
    private final GenerationWarmer heldWarmer =
            file -> {
                invocations.computeIfAbsent(file.key(), p -> new AtomicInteger()).incrementAndGet();
                return pending.computeIfAbsent(file.key(), p -> new CompletableFuture<>());
            };

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
        WarmGate gate = new WarmGate(heldWarmer, 1, Duration.ofMillis(50));

        CompletableFuture<WarmOutcome> hung = gate.warm(file("hung"));
        CompletableFuture<WarmOutcome> queuedBehind = gate.warm(file("next"));

        assertThat(hung.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
        // "next" was queued behind "hung": it timed out while queued, or started once the slot
        // was freed and then timed out itself.
        assertThat(queuedBehind.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.TIMED_OUT);
        assertThat(gate.isWarm(new Path("hung"))).isFalse();

        // The slot of the hung warm is free again: a new path starts at once.
        CompletableFuture<WarmOutcome> later = gate.warm(file("later"));
        assertThat(invocations.get("later")).hasValue(1);
        pending.get("later").complete(null);
        assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.WARMED);

        // A late completion of the hung warm still marks its path warm.
        pending.get("hung").complete(null);
        assertThat(gate.isWarm(new Path("hung"))).isTrue();
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
}
