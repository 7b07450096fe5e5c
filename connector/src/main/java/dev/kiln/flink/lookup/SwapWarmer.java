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

import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmGate;
import dev.kiln.warm.WarmOutcome;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * The warm before a {@link SnapshotFollower}'s swap: warms, through the {@link WarmGate}, the
 * generations of a new version that the current one lacks and whose bucket this reader owns, waits
 * for them at most the deadline, and counts each outcome. A warm that fails or does not finish in
 * time is counted cold, never stopping the swap.
 *
 * <p>Threading: {@link #warm} is called by one thread at a time (the follower's poll); the counters
 * may be read from any thread.
 */
final class SwapWarmer {

    // The follower's logger: where its users look for its warnings.
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFollower.class);

    private final KilnTable table;
    private final WarmGate gate;
    private final IntPredicate ownsBucket;
    private final Duration deadline;
    private final BooleanSupplier closed;

    private volatile long lastWarmNanos;
    private final AtomicLong warmed = new AtomicLong();
    private final AtomicLong alreadyWarm = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong coldGenerations = new AtomicLong();

    /**
     * @param closed whether the follower closed: a warm that ends after it counts nothing
     */
    SwapWarmer(
            KilnTable table,
            WarmGate gate,
            IntPredicate ownsBucket,
            Duration deadline,
            BooleanSupplier closed) {
        this.table = table;
        this.gate = gate;
        this.ownsBucket = ownsBucket;
        this.deadline = deadline;
        this.closed = closed;
    }

    /**
     * Warms the owned generations of {@code latest} not in {@code before} (paths as the manifest
     * names them), waiting at most the deadline. Returns {@code false} only if interrupted or
     * closed (the follower is closing).
     */
    boolean warm(Manifest latest, Set<String> before) {
        List<CompletableFuture<WarmOutcome>> warms = new ArrayList<>();
        for (GenerationRef ref : latest.generations()) {
            if (!before.contains(ref.path()) && ownsBucket.test(ref.bucket())) {
                warms.add(gate.warm(GenerationFile.of(table, ref)));
            }
        }
        if (warms.isEmpty()) {
            lastWarmNanos = 0;
            return true;
        }
        long start = System.nanoTime();
        try {
            CompletableFuture.allOf(warms.toArray(new CompletableFuture<?>[0]))
                    .get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException | ExecutionException e) {
            // Counted below, per generation.
        }
        if (closed.getAsBoolean()) {
            // Closed meanwhile: the cache may have gone with the lease, failing these warms; that
            // is the end of following, not generations served cold.
            return false;
        }
        lastWarmNanos = System.nanoTime() - start;
        long cold = 0;
        for (CompletableFuture<WarmOutcome> warm : warms) {
            WarmOutcome outcome = warm.getNow(WarmOutcome.TIMED_OUT);
            switch (outcome) {
                case WARMED -> warmed.incrementAndGet();
                case ALREADY_WARM -> alreadyWarm.incrementAndGet();
                case FAILED -> failures.incrementAndGet();
                case TIMED_OUT -> timeouts.incrementAndGet();
            }
            if (outcome == WarmOutcome.FAILED || outcome == WarmOutcome.TIMED_OUT) {
                cold++;
            }
        }
        if (cold > 0) {
            coldGenerations.addAndGet(cold);
            LOG.warn(
                    "Kiln table {}: {} of {} new generations of version {} were not warm within"
                            + " {}; swapping anyway, they are served cold.",
                    table.root(),
                    cold,
                    warms.size(),
                    latest.version(),
                    deadline);
        }
        return true;
    }

    long lastWarmNanos() {
        return lastWarmNanos;
    }

    long warmed() {
        return warmed.get();
    }

    long alreadyWarm() {
        return alreadyWarm.get();
    }

    long failures() {
        return failures.get();
    }

    long timeouts() {
        return timeouts.get();
    }

    long coldGenerations() {
        return coldGenerations.get();
    }
}
