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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Runs a {@link GenerationWarmer} best-effort: the gate between a warmer and the commit path.
 *
 * <ul>
 *   <li>Concurrent requests for one path join one warm; a path that warmed successfully is not
 *       warmed again until {@link #retainPaths} forgets it.
 *   <li>At most {@code maxConcurrentWarms} warmer invocations run at once; further requests queue
 *       in arrival order.
 *   <li>Every warm has a deadline, counted from its first request; past it the request completes
 *       {@link WarmOutcome#TIMED_OUT} and its concurrency slot is freed (a warmer that never
 *       completes cannot starve others). A warmer that completes later still marks its path warm.
 *   <li>Failures and timeouts are logged and counted; the returned future never completes
 *       exceptionally, so a caller may always proceed to commit when it completes.
 * </ul>
 *
 * <p>Thread-safe and non-blocking: {@link #warm} only registers the request and, when a slot is
 * free, invokes the warmer on the calling thread (which must therefore only start its work).
 * Completions, including timeouts, run on the thread that completes the warmer's future or on the
 * JDK's delay scheduler.
 */
public final class WarmGate {

    private static final Logger LOG = LoggerFactory.getLogger(WarmGate.class);

    private final GenerationWarmer warmer;
    private final int maxConcurrentWarms;
    private final Duration deadline;

    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
    private final Set<String> warmPaths = ConcurrentHashMap.newKeySet();
    private final Queue<Attempt> queued = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();

    private final LongAdder requested = new LongAdder();
    private final LongAdder started = new LongAdder();
    private final LongAdder joined = new LongAdder();
    private final LongAdder warmed = new LongAdder();
    private final LongAdder alreadyWarm = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder timedOut = new LongAdder();

    /**
     * @param warmer the warmer to run
     * @param maxConcurrentWarms how many warmer invocations may run at once; positive
     * @param deadline how long a request may wait for its warm; positive
     * @throws IllegalArgumentException naming the option if a bound is not positive
     */
    public WarmGate(GenerationWarmer warmer, int maxConcurrentWarms, Duration deadline) {
        this.warmer = requireNonNull(warmer, "warmer");
        if (maxConcurrentWarms <= 0) {
            throw new IllegalArgumentException(
                    "maxConcurrentWarms must be positive, but was " + maxConcurrentWarms);
        }
        requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive, but was " + deadline);
        }
        this.maxConcurrentWarms = maxConcurrentWarms;
        this.deadline = deadline;
    }

    /**
     * Warms {@code file} unless it is warm, joining a warm of its path already requested.
     *
     * @return a future that always completes normally, with how the request ended
     */
    public CompletableFuture<WarmOutcome> warm(GenerationFile file) {
        String path = requireNonNull(file, "file").key();
        requested.increment();
        if (warmPaths.contains(path)) {
            return count(WarmOutcome.ALREADY_WARM);
        }
        boolean[] created = {false};
        Attempt attempt =
                attempts.computeIfAbsent(
                        path,
                        p -> {
                            created[0] = true;
                            return new Attempt(file);
                        });
        if (!created[0]) {
            joined.increment();
            return attempt.settled.thenApply(this::record);
        }
        if (warmPaths.contains(path)) {
            // An earlier attempt succeeded between the first check and the registration.
            attempts.remove(path, attempt);
            attempt.outcome.complete(WarmOutcome.ALREADY_WARM);
            return count(WarmOutcome.ALREADY_WARM);
        }
        queued.add(attempt);
        drain();
        return attempt.settled.thenApply(this::record);
    }

    /** Returns whether {@code path} warmed successfully and has not been forgotten since. */
    public boolean isWarm(Path path) {
        return warmPaths.contains(path.toString());
    }

    /**
     * Forgets the warm state of every path not in {@code live} (retired generations), so that
     * memory stays bounded by the live set.
     */
    public void retainPaths(Set<Path> live) {
        Set<String> keep =
                requireNonNull(live, "live").stream()
                        .map(Path::toString)
                        .collect(Collectors.toSet());
        warmPaths.retainAll(keep);
    }

    /**
     * Forgets the warm state of the paths in {@code retired}, and only those: what a reader that
     * shares this gate with others (a sink warming generations not yet committed, readers of other
     * buckets) calls when a manifest retires generations.
     */
    public void forgetPaths(Set<Path> retired) {
        requireNonNull(retired, "retired").forEach(path -> warmPaths.remove(path.toString()));
    }

    /** Returns a snapshot of this gate's counters. */
    public WarmStats stats() {
        return new WarmStats(
                requested.sum(),
                started.sum(),
                joined.sum(),
                warmed.sum(),
                alreadyWarm.sum(),
                failed.sum(),
                timedOut.sum());
    }

    private void drain() {
        while (!queued.isEmpty()) {
            int slots = running.get();
            if (slots >= maxConcurrentWarms) {
                return;
            }
            if (!running.compareAndSet(slots, slots + 1)) {
                continue;
            }
            Attempt next = queued.poll();
            if (next == null) {
                running.decrementAndGet();
                continue;
            }
            next.holdsSlot.set(true);
            if (next.outcome.isDone()) {
                // It timed out while queued.
                releaseSlot(next);
                continue;
            }
            start(next);
        }
    }

    private void start(Attempt attempt) {
        started.increment();
        CompletableFuture<Void> warming;
        try {
            warming = warmer.warm(attempt.file);
        } catch (RuntimeException e) {
            warming = CompletableFuture.failedFuture(e);
        }
        if (warming == null) {
            warming =
                    CompletableFuture.failedFuture(
                            new IllegalStateException("warmer returned a null future"));
        }
        warming.whenComplete(
                (ignored, error) -> {
                    if (error == null) {
                        warmPaths.add(attempt.path);
                    } else {
                        attempt.error = error;
                    }
                    releaseSlot(attempt);
                    attempt.outcome.complete(
                            error == null ? WarmOutcome.WARMED : WarmOutcome.FAILED);
                });
    }

    private void finish(Attempt attempt, WarmOutcome outcome) {
        attempts.remove(attempt.path, attempt);
        if (outcome == WarmOutcome.FAILED) {
            LOG.warn(
                    "Warming generation {} failed; it will be served cold.",
                    attempt.path,
                    attempt.error);
        } else if (outcome == WarmOutcome.TIMED_OUT) {
            LOG.warn(
                    "Warming generation {} did not finish within {}; it will be served cold.",
                    attempt.path,
                    deadline);
            releaseSlot(attempt);
        }
    }

    private void releaseSlot(Attempt attempt) {
        if (attempt.holdsSlot.compareAndSet(true, false)) {
            running.decrementAndGet();
            drain();
        }
    }

    private CompletableFuture<WarmOutcome> count(WarmOutcome outcome) {
        return CompletableFuture.completedFuture(record(outcome));
    }

    private WarmOutcome record(WarmOutcome outcome) {
        switch (outcome) {
            case WARMED -> warmed.increment();
            case ALREADY_WARM -> alreadyWarm.increment();
            case FAILED -> failed.increment();
            case TIMED_OUT -> timedOut.increment();
        }
        return outcome;
    }

    /**
     * One warm of one path, shared by the requests that join it. {@code outcome} is completed by
     * the warmer or the deadline, whichever comes first; requests see {@code settled}, which
     * completes once the attempt is unregistered and its slot freed.
     */
    private final class Attempt {
        final GenerationFile file;
        final String path;
        final CompletableFuture<WarmOutcome> outcome = new CompletableFuture<>();
        final CompletableFuture<WarmOutcome> settled;
        final AtomicBoolean holdsSlot = new AtomicBoolean();
        volatile Throwable error;

        Attempt(GenerationFile file) {
            this.file = file;
            this.path = file.key();
            this.settled =
                    outcome.completeOnTimeout(
                                    WarmOutcome.TIMED_OUT, deadline.toNanos(), TimeUnit.NANOSECONDS)
                            .whenComplete((result, ignored) -> finish(this, result));
        }
    }
}
