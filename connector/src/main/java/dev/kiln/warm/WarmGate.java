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

import dev.kiln.io.KilnThreads;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Runs a {@link GenerationWarmer} best-effort: the gate between a warmer and the commit path.
 *
 * <ul>
 *   <li>Concurrent requests for one path join one warm; a path that warmed successfully is not
 *       warmed again until {@link #retainPaths} forgets it.
 *   <li><b>Concurrency</b>: at most {@code maxConcurrentWarms} warmer invocations are running at
 *       any moment, where an invocation runs from the call of {@link GenerationWarmer#warm} until
 *       its future completes (normally, exceptionally, or because the gate completed it, see
 *       below). Further warms queue, in arrival order, and start as slots free up.
 *   <li><b>Deadlines</b>: the {@code deadline} bounds two things separately. (1) Every request's
 *       future completes at the latest {@code deadline} after {@link #warm} was called, with {@link
 *       WarmOutcome#TIMED_OUT} if the warm has not finished by then, whether it was queued or
 *       running; the warm itself carries on. (2) A running warm gets {@code deadline} from the
 *       moment its warmer is invoked; then the gate completes the warmer's future exceptionally
 *       with a {@link TimeoutException}, which tells a cooperative warmer to stop (see {@link
 *       GenerationWarmer}), and frees its slot once the stages the warmer attached to that future
 *       have run. So a warm queued behind slow ones still gets its full deadline once it runs, and
 *       a hung warmer holds its slot for at most {@code deadline}.
 *   <li>A warm that finished after its requests timed out still marks its path warm (unless the
 *       path was retired meanwhile); one whose warmer was timed out does not.
 *   <li>Failures and timeouts are logged and counted; the returned future never completes
 *       exceptionally, so a caller may always proceed to commit when it completes.
 * </ul>
 *
 * <p>Thread-safe and non-blocking: {@link #warm} registers the request and, when a slot is free,
 * invokes the warmer on the calling thread (which must therefore only start its work). Starting
 * queued warms never recurses: one thread at a time starts warms, in a loop, and a warm that
 * completes on that thread only adds to its work. Completions, including timeouts, run on the
 * thread that completes the warmer's future or on the gate's timer thread.
 *
 * <p>Lifecycle: the gate owns its timer (a {@link KilnThreads#timer}: a thread only while a
 * deadline is pending, named {@code kiln-warm-gate-thread-<n>}); {@link #close} cancels every
 * pending deadline, stops the warms in flight as {@link #retainPaths} does for retired paths,
 * completes every request and shuts the timer down. A warm requested after that completes {@link
 * WarmOutcome#FAILED} at once, without running.
 */
@Internal
public final class WarmGate implements AutoCloseable {

    /** The prefix of the names of the gates' timer threads. */
    static final String TIMER_THREAD_NAME = "kiln-warm-gate";

    private static final Logger LOG = LoggerFactory.getLogger(WarmGate.class);

    private final GenerationWarmer warmer;
    private final int maxConcurrentWarms;
    private final Duration deadline;
    private final ScheduledExecutorService timer = KilnThreads.timer(TIMER_THREAD_NAME);
    private volatile boolean closed;

    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
    private final Set<String> warmPaths = ConcurrentHashMap.newKeySet();
    private volatile Predicate<String> stillWarm = path -> true;
    private volatile Consumer<GenerationFile> foundWarm = file -> {};
    private final Queue<Attempt> queued = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger drainRequests = new AtomicInteger();

    /** Orders retirement against marking a path warm. */
    private final Object lock = new Object();

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
     * @param deadline how long a request waits for its warm, and how long a warmer may run;
     *     positive
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
     * @return a future that always completes normally, at the latest {@code deadline} from now,
     *     with how the request ended
     */
    public CompletableFuture<WarmOutcome> warm(GenerationFile file) {
        String path = requireNonNull(file, "file").key();
        requested.increment();
        if (closed) {
            return count(WarmOutcome.FAILED);
        }
        if (warmPaths.contains(path)) {
            foundWarm.accept(file);
            return count(WarmOutcome.ALREADY_WARM);
        }
        // Built outside the map: nothing that can complete (and unregister) an attempt runs
        // inside the map's compute.
        Attempt fresh = new Attempt(file);
        Attempt attempt = attempts.putIfAbsent(path, fresh);
        if (attempt != null) {
            joined.increment();
            // The warm it joined answers it as a warm it found done would have.
            return request(attempt).whenComplete((outcome, error) -> foundWarm.accept(file));
        }
        if (warmPaths.contains(path)) {
            // An earlier attempt succeeded between the first check and the registration.
            attempts.remove(path, fresh);
            foundWarm.accept(file);
            fresh.settle(WarmOutcome.ALREADY_WARM);
            return count(WarmOutcome.ALREADY_WARM);
        }
        CompletableFuture<WarmOutcome> request = request(fresh);
        queued.add(fresh);
        drain();
        return request;
    }

    /** Returns whether {@code path} warmed successfully and has not been forgotten since. */
    public boolean isWarm(Path path) {
        return warmPaths.contains(path.toString());
    }

    /**
     * Forgets every path not in {@code live} (retired generations), so that memory stays bounded by
     * the live set, and wins over warms of those paths already requested: a queued one will not
     * start, a running one has its warmer's future cancelled (a cooperative warmer stops), and
     * neither marks its path warm. Their requests complete {@link WarmOutcome#FAILED}. A later
     * {@link #warm} of a retired path starts afresh.
     */
    public void retainPaths(Set<Path> live) {
        Set<String> keep =
                requireNonNull(live, "live").stream()
                        .map(Path::toString)
                        .collect(Collectors.toSet());
        retire(path -> !keep.contains(path));
    }

    /**
     * Forgets the paths in {@code retired}, and only those, as {@link #retainPaths} forgets the
     * paths it does not keep: what a reader that shares this gate with others (a sink warming
     * generations not yet committed, readers of other buckets) calls when a manifest retires
     * generations.
     */
    public void forgetPaths(Set<Path> retired) {
        Set<String> drop =
                requireNonNull(retired, "retired").stream()
                        .map(Path::toString)
                        .collect(Collectors.toSet());
        retire(drop::contains);
    }

    private void retire(Predicate<String> retiredPath) {
        List<Attempt> retired = new ArrayList<>();
        synchronized (lock) {
            warmPaths.removeIf(retiredPath);
            for (Attempt attempt : attempts.values()) {
                if (retiredPath.test(attempt.path)) {
                    attempt.retired = true;
                    attempts.remove(attempt.path, attempt);
                    retired.add(attempt);
                }
            }
        }
        for (Attempt attempt : retired) {
            if (attempt.warming != null) {
                stop(attempt, new CancellationException("generation retired"));
            } else if (queued.remove(attempt)) {
                attempt.settle(WarmOutcome.FAILED);
            }
        }
    }

    /**
     * Returns the number of warmer invocations running now (invoked, their future not completed),
     * never more than {@code maxConcurrentWarms}.
     */
    public int runningWarms() {
        return running.get();
    }

    /** Returns the number of warms registered (queued or running), for tests. */
    int registeredWarms() {
        return attempts.size();
    }

    /**
     * Forgets that {@code path} is warm, without stopping a warm of it in flight: what the cache
     * that owns this gate does when it evicts the generation for room (it is no longer warm).
     */
    void unmark(String path) {
        warmPaths.remove(path);
    }

    /**
     * Sets what says whether a path that just warmed is still warm (for a cache's own gate: still
     * cached, as a cache may evict what it just loaded). Set once, before the first warm.
     */
    void stillWarm(Predicate<String> stillWarm) {
        this.stillWarm = requireNonNull(stillWarm, "stillWarm");
    }

    /**
     * Sets what is told of each request that found its path warm, or joined a warm of its path
     * (told once its request completes), for a cache's own gate: a request ends what the cache held
     * for it. Set once, before the first warm.
     */
    void foundWarm(Consumer<GenerationFile> foundWarm) {
        this.foundWarm = requireNonNull(foundWarm, "foundWarm");
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

    /**
     * Closes the gate (see the class comment). Idempotent; does not wait for the timer's thread,
     * which ends once a deadline running on it, if any, has run.
     */
    @Override
    public void close() {
        closed = true;
        // Every attempt registered before the flag was seen; one registered after sees it when it
        // is started (startQueued), so no warm starts after this.
        retire(path -> true);
        timer.shutdownNow();
    }

    /** One request of {@code attempt}: its outcome, or {@code TIMED_OUT} at the deadline. */
    private CompletableFuture<WarmOutcome> request(Attempt attempt) {
        CompletableFuture<WarmOutcome> request = new CompletableFuture<>();
        attempt.outcome.thenAccept(request::complete);
        ScheduledFuture<?> timeout =
                schedule(() -> request.complete(WarmOutcome.TIMED_OUT), deadline);
        if (timeout != null) {
            // Unschedules the timeout when the request completes first.
            request.whenComplete((outcome, error) -> timeout.cancel(false));
        }
        // Without a timeout the gate is closed: the attempt is retired, so the request completes.
        return request.thenApply(this::record);
    }

    /** Schedules {@code task} on the gate's timer; returns null if the gate is closed. */
    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /**
     * Starts queued warms while slots are free. One thread at a time does it, in a loop; a call
     * made meanwhile (by a warm that completed on the starting thread, or by another thread) only
     * makes that loop go round once more, so the stack never grows with the queue.
     */
    private void drain() {
        if (drainRequests.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            startQueued();
            missed = drainRequests.addAndGet(-missed);
        } while (missed != 0);
    }

    private void startQueued() {
        while (running.get() < maxConcurrentWarms) {
            Attempt next = queued.poll();
            if (next == null) {
                return;
            }
            if (next.retired || closed) {
                attempts.remove(next.path, next);
                next.settle(WarmOutcome.FAILED);
                continue;
            }
            // Only this loop takes slots, so the check above still holds.
            running.incrementAndGet();
            start(next);
        }
    }

    private void start(Attempt attempt) {
        started.increment();
        CompletableFuture<Void> warming;
        try {
            warming = warmer.warm(attempt.file);
        } catch (Throwable e) {
            // Errors too: one escaping here would leave the drain loop claimed and stall the gate.
            warming = CompletableFuture.failedFuture(e);
        }
        if (warming == null) {
            warming =
                    CompletableFuture.failedFuture(
                            new IllegalStateException("warmer returned a null future"));
        }
        attempt.warming = warming;
        warming.whenComplete(
                (ignored, error) -> {
                    if (error == null || unwrap(error) != attempt.stopCause) {
                        finish(attempt, error);
                    }
                });
        if (attempt.retired) {
            // Retired between the poll and the publication of its future.
            stop(attempt, new CancellationException("generation retired"));
        } else if (!warming.isDone()) {
            ScheduledFuture<?> timeout =
                    schedule(
                            () -> stop(attempt, new TimeoutException("warm deadline passed")),
                            deadline);
            if (timeout == null) {
                stop(attempt, new CancellationException("warm gate closed"));
            } else {
                // Unschedules the deadline when the warm completes first.
                warming.whenComplete((ignored, error) -> timeout.cancel(false));
            }
        }
    }

    /**
     * Completes a running warmer's future with {@code cause} unless it completed already, and then
     * finishes the attempt: only after the warmer's own stages, which run inside that completion,
     * have seen it, so a cooperative warmer has stopped before its slot is given to another.
     */
    private void stop(Attempt attempt, Exception cause) {
        synchronized (attempt) {
            if (attempt.stopCause != null) {
                return;
            }
            attempt.stopCause = cause;
        }
        if (attempt.warming.completeExceptionally(cause)) {
            finish(attempt, cause);
        }
    }

    private void finish(Attempt attempt, Throwable error) {
        boolean markedWarm = false;
        if (error == null) {
            synchronized (lock) {
                if (!attempt.retired) {
                    warmPaths.add(attempt.path);
                    markedWarm = true;
                }
            }
            // Marked first, checked after: an eviction either precedes the check or unmarks.
            if (markedWarm && !stillWarm.test(attempt.path)) {
                unmark(attempt.path);
            }
        }
        attempts.remove(attempt.path, attempt);
        running.decrementAndGet();
        WarmOutcome outcome;
        if (markedWarm) {
            outcome = WarmOutcome.WARMED;
        } else if (attempt.retired) {
            LOG.debug("Warming generation {} stopped: it was retired.", attempt.path);
            outcome = WarmOutcome.FAILED;
        } else if (unwrap(error) instanceof TimeoutException) {
            LOG.warn(
                    "Warming generation {} did not finish within {}; it will be served cold.",
                    attempt.path,
                    deadline);
            outcome = WarmOutcome.TIMED_OUT;
        } else {
            LOG.warn("Warming generation {} failed; it will be served cold.", attempt.path, error);
            outcome = WarmOutcome.FAILED;
        }
        attempt.settle(outcome);
        drain();
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
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
     * One warm of one path, shared by the requests that join it. It is registered in {@code
     * attempts} from its creation until it settles (or is retired), and settles exactly once: when
     * its warmer's future completes, or without running if it was retired while queued.
     */
    private static final class Attempt {
        final GenerationFile file;
        final String path;
        final CompletableFuture<WarmOutcome> outcome = new CompletableFuture<>();
        volatile CompletableFuture<Void> warming;
        volatile Exception stopCause;
        volatile boolean retired;

        Attempt(GenerationFile file) {
            this.file = file;
            this.path = file.key();
        }

        void settle(WarmOutcome result) {
            outcome.complete(result);
        }
    }
}
