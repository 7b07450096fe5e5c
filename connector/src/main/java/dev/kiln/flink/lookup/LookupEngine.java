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

import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.KilnMemory;
import dev.kiln.format.LookupResult;
import dev.kiln.format.RowReader;
import dev.kiln.io.KilnThreads;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.KilnTable;
import dev.kiln.table.KilnTableException;
import dev.kiln.table.Snapshot;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableReplacedException;
import dev.kiln.table.VersionExpiredException;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

import javax.annotation.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntPredicate;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

/**
 * The lookup path of one subtask, without Flink's operator around it: encoded keys in, answers of
 * the follower's current snapshot out.
 *
 * <p>Snapshot: {@link #lookup} pins the follower's current snapshot when it is called, and the
 * lookup is answered from that snapshot, whichever path answers it. The follower never goes
 * backwards, so lookups issued one after another are answered from versions that never decrease,
 * also when an expired version makes a lookup be answered again (see {@link #lookup}); with Flink's
 * {@code orderedWait} the answers of a key never go back in time.
 *
 * <p>Fast path: {@link #lookup} first tries to answer on the caller's thread from its snapshot if
 * every page the key needs in it is cached (the usual case once the follower has warmed). That
 * answer is a hit, made with no storage read, no hand-off and no batch. Any miss (a generation not
 * open, a page not cached, a path this snapshot has not checked yet) gives up the attempt as a
 * whole; the key then goes to a micro-batch, still pinning its snapshot.
 *
 * <p>Batching: {@link #lookup} queues the key; a dispatcher thread takes what is queued, up to
 * {@code batchMaxSize} at a time, and answers the lookups of each snapshot among them with one
 * {@link Snapshot#lookupAll} (one, unless the follower swapped while they queued). With a zero
 * window a batch is whatever queued while the previous one was being dispatched (no timer); with a
 * positive window a batch goes when it is full, and the rest when the window of the first of them
 * has passed. Dispatch never blocks: page misses go through the cache's single flight, so
 * concurrent batches load a page once.
 *
 * <p>Thread-safe; {@link #lookup} never blocks. Futures complete on the caller's thread (fast
 * path), the cache's I/O threads or the dispatcher thread. Public for Kiln's SQL lookup source and
 * benchmarks; not an API.
 */
@Internal
public final class LookupEngine implements AutoCloseable {

    private final KilnTable table;
    private final GenerationCache cache;
    private final SnapshotFollower follower;
    private final IntPredicate ownsBucket;
    private final int batchMaxSize;
    private final long windowNanos;
    private final Metrics metrics;

    private final Queue<Request> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final ScheduledExecutorService dispatcher;
    private volatile boolean closed;

    /**
     * @param table the table looked up
     * @param cache the cache snapshots read through
     * @param follower the follower whose current snapshot each batch reads; initialized
     * @param ownsBucket which buckets count as owned (the rest are counted as not owned)
     * @param batchMaxSize most lookups per batch; positive
     * @param batchWindow how long a first queued lookup waits for others; zero or positive
     * @param metrics where the engine counts
     */
    public LookupEngine(
            KilnTable table,
            GenerationCache cache,
            SnapshotFollower follower,
            IntPredicate ownsBucket,
            int batchMaxSize,
            Duration batchWindow,
            Metrics metrics) {
        this.table = requireNonNull(table, "table");
        this.cache = requireNonNull(cache, "cache");
        this.follower = requireNonNull(follower, "follower");
        this.ownsBucket = requireNonNull(ownsBucket, "ownsBucket");
        if (batchMaxSize <= 0) {
            throw new IllegalArgumentException(
                    LookupOptions.BATCH_MAX_SIZE + " must be positive, but was " + batchMaxSize);
        }
        this.batchMaxSize = batchMaxSize;
        this.windowNanos = batchWindow.toNanos();
        this.metrics = requireNonNull(metrics, "metrics");
        this.dispatcher =
                Executors.newSingleThreadScheduledExecutor(
                        KilnThreads.factory("kiln-lookup-batch"));
    }

    /**
     * Looks encoded {@code key} up in the follower's current snapshot, pinned now: a lookup is
     * never answered from an older version than a lookup this engine was given before it.
     *
     * <p>A lookup that fails because its snapshot's version expired and lost a file tells the
     * follower, which moves to the latest version (warmed before the swap as usual), and is
     * answered again, once, from the version the follower moved to right after the expired one (the
     * oldest any later lookup can have pinned, so the order still holds).
     *
     * <p>A table that is gone or replaced fails the lookup at once with {@link
     * TableNotFoundException} or {@link TableReplacedException} naming its root, and the follower
     * stops following it ({@link SnapshotFollower#lost()}); so does every later lookup.
     *
     * @return FOUND with the newest row, or ABSENT; failed with the storage's {@code IOException}
     *     or a {@code CorruptGenerationException}, unwrapped; with {@link VersionExpiredException}
     *     naming the version if the version the follower moved to expired as well; with the
     *     follower's {@link SnapshotFollower#lost()} error once the table is gone or replaced; or
     *     with {@link IllegalStateException} if the lookup closed first
     */
    public CompletableFuture<LookupResult> lookup(byte[] key) {
        return lookup(key, true);
    }

    /**
     * Like {@link #lookup(byte[])} for a key that {@link #lookupIfCached} has just returned {@code
     * null} for: straight to a batch, without trying the caller's-thread path a second time. A miss
     * thus reads the cache once, and is counted, answered and ordered as {@link #lookup(byte[])}'s.
     */
    public CompletableFuture<LookupResult> lookupMissed(byte[] key) {
        return lookup(key, false);
    }

    private CompletableFuture<LookupResult> lookup(byte[] key, boolean tryCached) {
        requireNonNull(key, "key");
        int bucket = table.options().bucketOf(key);
        if (!ownsBucket.test(bucket)) {
            metrics.notOwned.inc();
        }
        // Counted in lookups where it ends: an inline hit counts in `inline` alone (see Metrics).
        if (closed) {
            metrics.lookups.inc();
            metrics.failures.inc();
            return CompletableFuture.failedFuture(closedError());
        }
        SnapshotFollower.Pin pin;
        LookupResult cached;
        try {
            pin = follower.pin();
        } catch (RuntimeException e) {
            metrics.lookups.inc();
            metrics.failures.inc();
            return CompletableFuture.failedFuture(unwrap(e));
        }
        try {
            cached = tryCached ? pin.snapshot().lookupIfCached(bucket, key, cache) : null;
        } catch (RuntimeException e) {
            pin.release();
            metrics.lookups.inc();
            metrics.failures.inc();
            return CompletableFuture.failedFuture(e);
        }
        if (cached != null) {
            pin.release();
            metrics.inline.inc();
            return CompletableFuture.completedFuture(cached);
        }
        metrics.lookups.inc();
        Request request = new Request(key, pin);
        queue.add(request);
        int size = queued.incrementAndGet();
        try {
            if (windowNanos == 0) {
                if (drainScheduled.compareAndSet(false, true)) {
                    dispatcher.execute(this::drainAll);
                }
            } else {
                if (drainScheduled.compareAndSet(false, true)) {
                    dispatcher.schedule(this::drainAll, windowNanos, TimeUnit.NANOSECONDS);
                }
                if (size >= batchMaxSize) {
                    dispatcher.execute(this::drainFull);
                }
            }
        } catch (RejectedExecutionException e) {
            failQueued();
        }
        return request.result;
    }

    /**
     * Answers encoded {@code key} on the caller's thread if every page it needs in the follower's
     * current snapshot is cached (the fast path of {@link #lookup}), reading the key's newest row
     * with {@code reader} while its page is held; otherwise returns {@code null}, having read and
     * counted nothing, and the caller looks the key up with {@link #lookup}. No future, no
     * hand-off: the hit path of the lookup functions.
     *
     * <p>{@code reader} runs under the page's reference and must copy what it keeps (see {@link
     * RowReader}): the page may be evicted and closed as soon as this returns.
     *
     * <p>Unlike {@link #lookup}, this reads the follower's current snapshot without pinning it (a
     * pin is two atomic updates of a count shared with the follower, per hit). Nothing it reads can
     * be released under it: pages are read under their own references, and an open generation's
     * footer is heap, found in the cache or in a slot that serves it only while it is cached. If
     * the follower swaps meanwhile and the old snapshot's generations are released and removed from
     * the cache, the attempt finds less and returns {@code null}: the caller's {@link
     * #lookupMissed} then answers from the snapshot it pins, which is at least as new, so answers
     * still never go back in time.
     *
     * @return {@code null} (not answered here), {@link LookupResult#absent()} (the key has no row:
     *     never written, or deleted), or what {@code reader} returned for the key's newest row
     * @throws RuntimeException what the snapshot's read threw (a corrupt page); counted as a
     *     failure
     */
    @Nullable
    public <T> Object lookupIfCached(byte[] key, RowReader<T> reader) {
        requireNonNull(key, "key");
        if (closed) {
            return null;
        }
        int bucket = table.options().bucketOf(key);
        // Not pinned (see the javadoc): closed, lost or not initialized gives null, and
        // lookupMissed() then fails it, typed.
        Snapshot snapshot = follower.currentUnpinned();
        if (snapshot == null) {
            return null;
        }
        Object answer;
        try {
            answer = snapshot.lookupIfCached(bucket, key, cache, reader);
        } catch (RuntimeException e) {
            metrics.lookups.inc();
            metrics.failures.inc();
            throw e;
        }
        if (answer != null) {
            if (!ownsBucket.test(bucket)) {
                metrics.notOwned.inc();
            }
            metrics.inline.inc(); // also a lookup and a hit (see Metrics)
        }
        return answer;
    }

    @Override
    public void close() {
        closed = true;
        dispatcher.shutdownNow();
        failQueued();
    }

    /** Dispatches everything queued: the window has passed (or is zero). */
    private void drainAll() {
        drainScheduled.set(false);
        drain(true);
    }

    /** Dispatches full batches only; the rest waits for its window. */
    private void drainFull() {
        drain(false);
    }

    private void drain(boolean all) {
        while (all || queued.get() >= batchMaxSize) {
            List<Request> batch = new ArrayList<>(Math.min(batchMaxSize, queued.get()));
            Request next;
            while (batch.size() < batchMaxSize && (next = queue.poll()) != null) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                return;
            }
            queued.addAndGet(-batch.size());
            // Pin has identity equality: one lookupAll per snapshot the lookups were issued under.
            Map<SnapshotFollower.Pin, List<Request>> bySnapshot = new LinkedHashMap<>();
            for (Request request : batch) {
                bySnapshot.computeIfAbsent(request.pin, p -> new ArrayList<>()).add(request);
            }
            bySnapshot.values().forEach(lookups -> dispatch(lookups, true));
        }
    }

    /** Answers {@code batch}, lookups issued under one snapshot, from that snapshot. */
    private void dispatch(List<Request> batch, boolean mayRetry) {
        metrics.batches.inc();
        Map<byte[], Request> byKey = new IdentityHashMap<>(batch.size() * 2);
        List<byte[]> keys = new ArrayList<>(batch.size());
        for (Request request : batch) {
            byKey.put(request.key, request);
            keys.add(request.key);
        }
        GenerationCache.ColdReadListener coldReads = key -> byKey.get(key).cold = true;
        SnapshotFollower.Pin pin = batch.get(0).pin;
        CompletableFuture<List<LookupResult>> answers;
        try {
            // The pinned snapshot itself (its path checks are made once per version), read
            // through this batch's cold-read tracing.
            answers = pin.snapshot().lookupAll(keys, traced(coldReads));
        } catch (RuntimeException e) {
            answers = CompletableFuture.failedFuture(e);
        }
        answers.whenComplete(
                (results, error) -> {
                    if (error != null
                            && (unwrap(error) instanceof TableNotFoundException
                                    || unwrap(error) instanceof TableReplacedException)) {
                        follower.tableLost((KilnTableException) unwrap(error));
                    }
                    if (error != null && unwrap(error) instanceof VersionExpiredException expired) {
                        follower.versionExpired(expired);
                        if (mayRetry) {
                            retryAfterSwap(batch, pin);
                            return;
                        }
                    }
                    for (int i = 0; i < batch.size(); i++) {
                        Request request = batch.get(i);
                        request.pin.release();
                        if (error != null) {
                            metrics.failures.inc();
                            request.result.completeExceptionally(unwrap(error));
                        } else {
                            (request.cold ? metrics.coldReads : metrics.hits).inc();
                            request.result.complete(results.get(i));
                        }
                    }
                });
    }

    /**
     * Dispatches {@code batch} again once the follower has moved past {@code expired}, the snapshot
     * its lookups were issued under, from the snapshot the follower moved to right after it.
     */
    private void retryAfterSwap(List<Request> batch, SnapshotFollower.Pin expired) {
        follower.versionAfter(expired.snapshot().manifest().version())
                .whenComplete(
                        (swapped, followerClosed) -> {
                            RuntimeException failure = null;
                            if (followerClosed == null && !closed) {
                                try {
                                    for (Request request : batch) {
                                        SnapshotFollower.Pin next = expired.pinSuccessor();
                                        request.pin.release();
                                        request.pin = next;
                                    }
                                    dispatcher.execute(() -> dispatch(batch, false));
                                    return;
                                } catch (RejectedExecutionException e) {
                                    // Closing: fail below.
                                } catch (RuntimeException e) {
                                    failure = e;
                                }
                            }
                            Throwable cause =
                                    followerClosed != null
                                                    && unwrap(followerClosed)
                                                            instanceof KilnTableException lost
                                            ? lost
                                            : closedError();
                            for (Request request : batch) {
                                request.pin.release();
                                metrics.failures.inc();
                                request.result.completeExceptionally(
                                        failure != null ? failure : cause);
                            }
                        });
    }

    private GenerationLookup traced(GenerationCache.ColdReadListener coldReads) {
        return new GenerationLookup() {
            @Override
            public CompletableFuture<List<LookupResult>> lookupAll(Path path, List<byte[]> keys) {
                throw new UnsupportedOperationException("snapshots pass the file length");
            }

            @Override
            public CompletableFuture<List<LookupResult>> lookupAll(
                    Path path, long fileLength, List<byte[]> keys) {
                return cache.lookupAll(path, fileLength, keys, coldReads);
            }
        };
    }

    private void failQueued() {
        Request request;
        while ((request = queue.poll()) != null) {
            queued.decrementAndGet();
            request.pin.release();
            metrics.failures.inc();
            request.result.completeExceptionally(closedError());
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("the Kiln lookup of " + table.root() + " is closed");
    }

    static Throwable unwrap(Throwable error) {
        while ((error instanceof CompletionException
                        || error instanceof ExecutionException
                        || error instanceof SnapshotFollower.TableLost)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    /** One queued lookup, holding the snapshot it was issued under until it is answered. */
    private static final class Request {
        final byte[] key;
        final CompletableFuture<LookupResult> result = new CompletableFuture<>();
        volatile boolean cold;

        /** Released exactly once, when the lookup completes; replaced only by a retry. */
        SnapshotFollower.Pin pin;

        Request(byte[] key, SnapshotFollower.Pin pin) {
            this.key = key;
            this.pin = pin;
        }
    }

    /**
     * The engine's counters; {@link KilnLookupFunction} registers them as Flink metrics. An inline
     * hit, the hot path, increments {@code inline} alone: {@code lookups} and {@code hits} count
     * the others and add {@code inline} when read.
     */
    @Internal
    public static final class Metrics {
        final Counter inline = new OwnedCounter();
        final Counter lookups = new PlusInline(inline);
        final Counter hits = new PlusInline(inline);
        final Counter coldReads = new ThreadSafeSimpleCounter();
        final Counter notOwned = new ThreadSafeSimpleCounter();
        final Counter batches = new ThreadSafeSimpleCounter();
        final Counter failures = new ThreadSafeSimpleCounter();

        /** Counts its own increments, and reads as them plus the inline hits. Thread-safe. */
        private static final class PlusInline implements Counter {
            private final LongAdder own = new LongAdder();
            private final Counter inline;

            PlusInline(Counter inline) {
                this.inline = inline;
            }

            @Override
            public void inc() {
                own.increment();
            }

            @Override
            public void inc(long n) {
                own.add(n);
            }

            @Override
            public void dec() {
                own.decrement();
            }

            @Override
            public void dec(long n) {
                own.add(-n);
            }

            @Override
            public long getCount() {
                return own.sum() + inline.getCount();
            }
        }

        /** Returns the lookups received. */
        public long lookups() {
            return lookups.getCount();
        }

        /** Returns the lookups whose answer needed a storage read their batch ran. */
        public long coldReads() {
            return coldReads.getCount();
        }

        /** Returns the lookups answered without one. */
        public long hits() {
            return hits.getCount();
        }

        /** Returns the hits answered on the caller's thread, every page cached (no batch). */
        public long inlineHits() {
            return inline.getCount();
        }

        /** Returns the batches dispatched (of the lookups not answered inline). */
        public long batches() {
            return batches.getCount();
        }

        /** Returns the lookups completed exceptionally. */
        public long failures() {
            return failures.getCount();
        }

        /**
         * Registers these counters, the follower's and the shared cache's figures under {@code
         * group}: the metrics {@code docs/lookup.md} lists, for the DataStream and the SQL lookup
         * functions alike.
         */
        public void register(
                MetricGroup group, SnapshotFollower follower, KilnCacheRegistry.Lease lease) {
            group.counter("lookups", lookups);
            group.counter("hits", hits);
            group.counter("coldReads", coldReads);
            group.counter("notOwnedLookups", notOwned);
            group.counter("batches", batches);
            group.counter("inlineHits", inline);
            group.counter("lookupFailures", failures);
            SnapshotFollower f = requireNonNull(follower, "follower");
            gauge(group, "snapshotVersion", f, SnapshotFollower::version);
            gauge(group, "versionLag", f, SnapshotFollower::versionLag);
            gauge(group, "swaps", f, SnapshotFollower::swaps);
            gauge(group, "followerFailures", f, SnapshotFollower::readFailures);
            gauge(group, "warmBeforeSwapNanos", f, SnapshotFollower::lastWarmNanos);
            gauge(group, "warmsWarmed", f, SnapshotFollower::warmed);
            gauge(group, "warmsAlreadyWarm", f, SnapshotFollower::alreadyWarm);
            gauge(group, "warmsFailed", f, SnapshotFollower::warmFailures);
            gauge(group, "warmsTimedOut", f, SnapshotFollower::warmTimeouts);
            gauge(group, "coldGenerations", f, SnapshotFollower::coldGenerations);
            gauge(group, "expiredVersions", f, SnapshotFollower::expiredVersions);
            GenerationCache cache = lease.cache();
            gauge(group, "pageLoads", cache, c -> c.pageStats().missCount());
            gauge(group, "pageJoins", cache, c -> c.pageStats().joinCount());
            gauge(group, "pageHits", cache, c -> c.pageStats().hitCount());
            gauge(group, "generationOpens", cache, c -> c.generationStats().missCount());
            gauge(group, "pagesRead", cache, GenerationCache::pagesRead);
            gauge(group, "distinctPagesRead", cache, GenerationCache::distinctPagesRead);
            gauge(group, "storageRequests", lease, KilnCacheRegistry.Lease::storageRequests);
            gauge(group, "diskHits", cache, c -> c.diskStats().hits());
            gauge(group, "diskBytes", cache, c -> c.diskStats().bytes());
            gauge(group, "diskEvictions", cache, c -> c.diskStats().evictions());
            gauge(group, "diskCopyFailures", cache, c -> c.diskStats().copyFailures());
            gauge(group, "diskDamagedCopies", cache, c -> c.diskStats().damagedCopies());
            // A new Gauge object per subtask: a non-capturing method reference is one object
            // for every subtask, and Flink's MetricQueryService (REST, web UI) keys its gauges by
            // object, so all but one subtask's offHeapBytes would vanish there.
            group.gauge(
                    "offHeapBytes",
                    new Gauge<Long>() {
                        @Override
                        public Long getValue() {
                            return KilnMemory.allocatedBytes();
                        }
                    });
            KilnCacheRegistry registry = KilnCacheRegistry.instance();
            group.gauge("offHeapBoundBytes", (Gauge<Long>) registry::boundBytes);
        }

        private static <T> void gauge(
                MetricGroup group, String name, T source, ToLongFunction<T> f) {
            requireNonNull(source, name);
            group.gauge(name, (Gauge<Long>) () -> f.applyAsLong(source));
        }
    }
}
