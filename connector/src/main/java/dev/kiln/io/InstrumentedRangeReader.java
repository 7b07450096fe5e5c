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

package dev.kiln.io;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * A <b>test and benchmark tool</b>: a {@link RangeReader} decorator that counts the requests and
 * bytes of each file exactly and can inject latency, a bound on concurrent requests, failures and
 * short reads. It wraps a real reader over real files; nothing is mocked. It lives in the main
 * sources because benchmarks and the tests of later layers use it; production code should not.
 *
 * <p>Counting: a range read or length request is counted when it is issued (so a failed or
 * injected-failure request counts too); bytes are counted when a read completes, as the number of
 * bytes it returned. Counters are exact at any moment when no request is in flight.
 *
 * <p>Latency is added before a request reaches the wrapped reader, on the reader's own {@link
 * KilnThreads#timer timer} (never by sleeping on a caller's or an I/O thread; its thread, named
 * {@code kiln-injected-latency-thread-<n>}, ends when no request has waited for 30 seconds). With
 * {@link #maxConcurrentRequests(int)} a request holds one of that many slots from the start of its
 * latency until it completes, and further requests queue without blocking anyone: together these
 * model a connection pool to a store with a time to first byte.
 *
 * <p>Threading: all methods are thread-safe; settings may change while requests are in flight and
 * apply to requests issued afterwards. The wrapped reader is not owned: it has nothing to close.
 */
@Internal
public final class InstrumentedRangeReader implements RangeReader {

    private final ThreadLocal<Boolean> draining = ThreadLocal.withInitial(() -> false);
    private final RangeReader delegate;
    private final Map<Path, FileCounters> files = new ConcurrentHashMap<>();
    private final AtomicInteger failuresToInject = new AtomicInteger();
    private final AtomicInteger truncationsToInject = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    private volatile long latencyNanos;
    private volatile int maxConcurrentRequests = Integer.MAX_VALUE;
    private volatile ScheduledExecutorService timer;

    private InstrumentedRangeReader(RangeReader delegate) {
        this.delegate = requireNonNull(delegate, "delegate");
    }

    /** Returns an instrumented reader over {@code delegate}, with no latency and no faults. */
    public static InstrumentedRangeReader wrap(RangeReader delegate) {
        return new InstrumentedRangeReader(delegate);
    }

    /**
     * Adds {@code latency} before every request (range read or length) issued from now on.
     *
     * @throws IllegalArgumentException if {@code latency} is negative
     */
    public InstrumentedRangeReader latency(Duration latency) {
        requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative, but was " + latency);
        }
        this.latencyNanos = latency.toNanos();
        return this;
    }

    /**
     * Bounds the requests in flight (including their injected latency) to {@code max}; further
     * requests wait in a queue, without blocking any thread.
     *
     * @throws IllegalArgumentException if {@code max} is not positive
     */
    public InstrumentedRangeReader maxConcurrentRequests(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException(
                    "maxConcurrentRequests must be positive, but was " + max);
        }
        this.maxConcurrentRequests = max;
        drain();
        return this;
    }

    /** Makes the next {@code n} range reads fail with an {@link IOException} without reading. */
    public InstrumentedRangeReader failNextReads(int n) {
        failuresToInject.set(n);
        return this;
    }

    /**
     * Makes the next {@code n} range reads return only the first half of their bytes (a short read
     * that breaks the {@link RangeReader} contract, as a faulty store or proxy might).
     */
    public InstrumentedRangeReader truncateNextReads(int n) {
        truncationsToInject.set(n);
        return this;
    }

    @Override
    public CompletableFuture<byte[]> read(Path path, ByteRange range) {
        requireNonNull(path, "path");
        requireNonNull(range, "range");
        FileCounters counters = counters(path);
        counters.requests.incrementAndGet();
        synchronized (counters.ranges) {
            counters.ranges.add(range);
        }
        boolean fail = takeOne(failuresToInject);
        boolean truncate = !fail && takeOne(truncationsToInject);
        return submit(
                        () -> {
                            if (fail) {
                                return CompletableFuture.failedFuture(
                                        new IOException(
                                                "injected failure reading range "
                                                        + range
                                                        + " of "
                                                        + path));
                            }
                            return delegate.read(path, range);
                        })
                .thenApply(
                        bytes -> {
                            byte[] result =
                                    truncate ? Arrays.copyOf(bytes, bytes.length / 2) : bytes;
                            counters.bytes.addAndGet(result.length);
                            return result;
                        });
    }

    @Override
    public CompletableFuture<Long> length(Path path) {
        requireNonNull(path, "path");
        counters(path).lengthRequests.incrementAndGet();
        return submit(() -> delegate.length(path));
    }

    /** Returns the number of range reads issued for {@code path}. */
    public long requests(Path path) {
        FileCounters c = files.get(path);
        return c == null ? 0 : c.requests.get();
    }

    /** Returns the number of bytes returned by completed range reads of {@code path}. */
    public long bytesRead(Path path) {
        FileCounters c = files.get(path);
        return c == null ? 0 : c.bytes.get();
    }

    /** Returns the number of length requests issued for {@code path}. */
    public long lengthRequests(Path path) {
        FileCounters c = files.get(path);
        return c == null ? 0 : c.lengthRequests.get();
    }

    /** Returns the ranges read from {@code path}, in the order the reads were issued. */
    public List<ByteRange> ranges(Path path) {
        FileCounters c = files.get(path);
        if (c == null) {
            return List.of();
        }
        synchronized (c.ranges) {
            return List.copyOf(c.ranges);
        }
    }

    /** Returns the number of range reads issued for all files. */
    public long totalRequests() {
        return files.values().stream().mapToLong(c -> c.requests.get()).sum();
    }

    /** Returns the number of bytes returned by completed range reads of all files. */
    public long totalBytesRead() {
        return files.values().stream().mapToLong(c -> c.bytes.get()).sum();
    }

    /** Sets every counter to zero (settings and pending faults are kept). */
    public void resetCounters() {
        files.clear();
    }

    private FileCounters counters(Path path) {
        return files.computeIfAbsent(path, p -> new FileCounters());
    }

    private static boolean takeOne(AtomicInteger budget) {
        return budget.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    /** Runs {@code request} after the latency, within the concurrency bound. */
    private <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> request) {
        CompletableFuture<T> result = new CompletableFuture<>();
        long delay = latencyNanos;
        Runnable start =
                () -> {
                    Executor after =
                            delay > 0
                                    ? task -> timer().schedule(task, delay, TimeUnit.NANOSECONDS)
                                    : Runnable::run;
                    CompletableFuture.supplyAsync(request, after)
                            .thenCompose(f -> f)
                            .whenComplete(
                                    (value, error) -> {
                                        inFlight.decrementAndGet();
                                        if (error != null) {
                                            result.completeExceptionally(unwrap(error));
                                        } else {
                                            result.complete(value);
                                        }
                                        drain();
                                    });
                };
        waiting.add(start);
        drain();
        return result;
    }

    private ScheduledExecutorService timer() {
        ScheduledExecutorService created = timer;
        if (created == null) {
            synchronized (this) {
                created = timer;
                if (created == null) {
                    created = KilnThreads.timer("kiln-injected-latency");
                    timer = created;
                }
            }
        }
        return created;
    }

    /**
     * Starts waiting requests while slots are free. A request that completes at once calls back
     * into drain on the same stack; that inner call returns and the outer loop carries on, so a
     * long queue never deepens the stack.
     */
    private void drain() {
        if (draining.get()) {
            return;
        }
        draining.set(true);
        try {
            startWaiting();
        } finally {
            draining.set(false);
        }
    }

    private void startWaiting() {
        while (!waiting.isEmpty()) {
            int current = inFlight.get();
            if (current >= maxConcurrentRequests) {
                return;
            }
            if (!inFlight.compareAndSet(current, current + 1)) {
                continue;
            }
            Runnable next = waiting.poll();
            if (next == null) {
                inFlight.decrementAndGet();
                continue;
            }
            next.run();
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
    }

    private static final class FileCounters {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong lengthRequests = new AtomicLong();
        final List<ByteRange> ranges = new ArrayList<>();
    }
}
