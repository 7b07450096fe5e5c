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

package dev.kiln.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * {@link SingleFlightCache} on a Caffeine {@link AsyncCache}. Caffeine's map of futures is the one
 * in-flight registry: for each key a call asks for, {@code get} either finds the key's {@link Load}
 * or inserts a new, incomplete one under the key's lock; the call owns the loads it inserted. Only
 * after every key is registered, and outside any lock, does the call run the loader for the keys it
 * owns and complete their loads from its result.
 *
 * <p>Callers await a load's {@link Load#result}, not the future Caffeine holds. The owner completes
 * the latter first, which lets Caffeine weigh the entry (and evict) before any caller resumes. It
 * never completes exceptionally, because Caffeine logs every exceptional completion with a stack
 * trace: a failed load leaves the map and completes with {@code null}, which Caffeine treats as a
 * quiet failure, and only its {@code result} carries the cause.
 */
final class CaffeineSingleFlightCache<K, V> implements SingleFlightCache<K, V> {

    private static final int KEYS_NAMED_IN_ERRORS = 10;

    private final AsyncCache<K, Weighed<V>> cache;
    private final ByteWeigher<? super K, ? super V> weigher;
    private final LongSupplier nanoClock;
    private final LoadFailureLog failureLog;
    private final ThreadLocal<LoadFrame> runningLoads = new ThreadLocal<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder joins = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder loads = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder loadNanos = new LongAdder();

    private CaffeineSingleFlightCache(
            AsyncCache<K, Weighed<V>> cache,
            ByteWeigher<? super K, ? super V> weigher,
            LongSupplier nanoClock) {
        this.cache = cache;
        this.weigher = weigher;
        this.nanoClock = nanoClock;
        this.failureLog = new LoadFailureLog(nanoClock);
    }

    static <K, V> CaffeineSingleFlightCache<K, V> create(
            long maximumBytes,
            ByteWeigher<? super K, ? super V> weigher,
            Executor executor,
            RemovalListener<? super K, ? super V> removalListener,
            LongSupplier nanoClock) {
        @SuppressWarnings("unchecked")
        Caffeine<K, Weighed<V>> caffeine =
                (Caffeine<K, Weighed<V>>) (Caffeine<?, ?>) Caffeine.newBuilder();
        caffeine.recordStats();
        if (executor != null) {
            caffeine.executor(executor);
        }
        if (weigher != null) {
            caffeine =
                    caffeine.maximumWeight(maximumBytes)
                            .weigher((K key, Weighed<V> weighed) -> weighed.weight());
        }
        if (removalListener != null) {
            caffeine =
                    caffeine.removalListener(
                            (K key,
                                    Weighed<V> weighed,
                                    com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
                                if (key != null && weighed != null) {
                                    removalListener.onRemoval(
                                            key,
                                            weighed.value(),
                                            cause.wasEvicted()
                                                    ? RemovalCause.EVICTED
                                                    : RemovalCause.INVALIDATED);
                                }
                            });
        }
        return new CaffeineSingleFlightCache<>(caffeine.buildAsync(), weigher, nanoClock);
    }

    @Override
    public CompletableFuture<CachedValue<K, V>> getOrLoad(K key, Loader<K, V> loader) {
        requireNonNull(key, "key");
        requireNonNull(loader, "loader");
        LoadCycleException cycle = runningLoads.get() == null ? null : cycle(List.of(key));
        if (cycle != null) {
            return CompletableFuture.failedFuture(cycle);
        }
        Object[] created = new Object[1];
        Load<V> load = register(key, created);
        boolean owned = created[0] == load;
        if (owned) {
            misses.increment();
            runLoader(key, loader, load);
        } else if (load.result.isDone()) {
            hits.increment();
        } else {
            joins.increment();
        }
        return load.result.thenApply(value -> new CachedValue<>(key, value, owned));
    }

    @Override
    public CompletableFuture<List<CachedValue<K, V>>> getOrLoadAll(
            List<? extends K> keys, BatchLoader<K, V> loader) {
        requireNonNull(keys, "keys");
        requireNonNull(loader, "loader");
        List<K> order = new ArrayList<>(keys.size());
        Set<K> distinct = new HashSet<>((int) (keys.size() / 0.75f) + 1);
        for (K key : keys) {
            if (!distinct.add(requireNonNull(key, "keys must not contain null"))) {
                throw new IllegalArgumentException("duplicate key in batch: " + key);
            }
            order.add(key);
        }
        if (order.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        LoadCycleException cycle = runningLoads.get() == null ? null : cycle(order);
        if (cycle != null) {
            return CompletableFuture.failedFuture(cycle);
        }
        @SuppressWarnings("unchecked")
        Load<V>[] slots = new Load[order.size()];
        Map<K, Load<V>> owned = new HashMap<>();
        Object[] created = new Object[1];
        try {
            for (int i = 0; i < slots.length; i++) {
                created[0] = null;
                slots[i] = register(order.get(i), created);
                if (created[0] == slots[i]) {
                    owned.put(order.get(i), slots[i]);
                } else if (slots[i].result.isDone()) {
                    hits.increment();
                } else {
                    joins.increment();
                }
            }
        } catch (Throwable t) {
            fail(owned, t, nanoClock.getAsLong());
            throw t;
        }
        if (!owned.isEmpty()) {
            misses.add(owned.size());
            runBatchLoader(owned, loader);
        }
        return collect(order, slots, owned);
    }

    @SuppressWarnings("unchecked")
    private Load<V> register(K key, Object[] created) {
        return (Load<V>)
                cache.get(
                        key,
                        (k, executor) -> {
                            Load<V> load = new Load<>();
                            created[0] = load;
                            return load;
                        });
    }

    private CompletableFuture<List<CachedValue<K, V>>> collect(
            List<K> order, Load<V>[] slots, Map<K, Load<V>> owned) {
        CompletableFuture<?>[] results = new CompletableFuture<?>[slots.length];
        boolean done = true;
        for (int i = 0; i < slots.length; i++) {
            results[i] = slots[i].result;
            done &= results[i].isDone();
        }
        if (!done) {
            return CompletableFuture.allOf(results).thenApply(x -> values(order, slots, owned));
        }
        for (CompletableFuture<?> result : results) {
            if (result.isCompletedExceptionally()) {
                return result.thenApply(x -> null);
            }
        }
        return CompletableFuture.completedFuture(values(order, slots, owned));
    }

    private List<CachedValue<K, V>> values(List<K> order, Load<V>[] slots, Map<K, Load<V>> owned) {
        List<CachedValue<K, V>> result = new ArrayList<>(slots.length);
        for (int i = 0; i < slots.length; i++) {
            K key = order.get(i);
            result.add(new CachedValue<>(key, slots[i].result.join(), owned.containsKey(key)));
        }
        return result;
    }

    private void runLoader(K key, Loader<K, V> loader, Load<V> load) {
        long start = nanoClock.getAsLong();
        CompletableFuture<V> future = null;
        Throwable thrown = null;
        LoadFrame outer = enter(Set.of(key));
        try {
            future = loader.load(key);
        } catch (Throwable t) {
            thrown = t;
        } finally {
            exit(outer);
        }
        Map<K, Load<V>> owned = Map.of(key, load);
        if (thrown != null) {
            fail(owned, thrown, start);
        } else if (future == null) {
            fail(
                    owned,
                    new InvalidLoadResultException("loader returned a null future for key " + key),
                    start);
        } else {
            future.whenComplete(
                    (value, error) -> {
                        if (error != null) {
                            fail(owned, unwrap(error), start);
                        } else if (value == null) {
                            fail(
                                    owned,
                                    new InvalidLoadResultException(
                                            "loader returned a null value for key " + key),
                                    start);
                        } else {
                            complete(owned, Map.of(key, value), start);
                        }
                    });
        }
    }

    private void runBatchLoader(Map<K, Load<V>> owned, BatchLoader<K, V> loader) {
        Set<K> keys = Collections.unmodifiableSet(owned.keySet());
        long start = nanoClock.getAsLong();
        CompletableFuture<? extends Map<K, V>> future = null;
        Throwable thrown = null;
        LoadFrame outer = enter(keys);
        try {
            future = loader.loadAll(keys);
        } catch (Throwable t) {
            thrown = t;
        } finally {
            exit(outer);
        }
        if (thrown != null) {
            fail(owned, thrown, start);
        } else if (future == null) {
            fail(
                    owned,
                    new InvalidLoadResultException(
                            "batch loader returned a null future for " + describe(keys)),
                    start);
        } else {
            future.whenComplete(
                    (result, error) -> {
                        if (error != null) {
                            fail(owned, unwrap(error), start);
                        } else {
                            complete(owned, result, start);
                        }
                    });
        }
    }

    /**
     * Completes every owned load from {@code result}, or fails them all if the result breaks the
     * loader contract or a value cannot be weighed: a result is cached whole or not at all.
     */
    private void complete(Map<K, Load<V>> owned, Map<K, V> result, long start) {
        List<Weighed<V>> weighed = new ArrayList<>(owned.size());
        try {
            checkBatchResult(owned.keySet(), result);
            for (K key : owned.keySet()) {
                weighed.add(weigh(key, result.get(key)));
            }
        } catch (Throwable t) {
            fail(owned, t, start);
            return;
        }
        recordLoad(start);
        LoadFrame suspended = suspendLoads();
        try {
            int i = 0;
            for (Load<V> load : owned.values()) {
                Weighed<V> entry = weighed.get(i++);
                load.complete(entry);
                load.result.complete(entry.value());
            }
        } finally {
            resumeLoads(suspended);
        }
    }

    private Weighed<V> weigh(K key, V value) {
        if (weigher == null) {
            return new Weighed<>(value, 0);
        }
        long bytes = weigher.weigh(key, value);
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw new InvalidLoadResultException(
                    "weigher returned "
                            + bytes
                            + " bytes for key "
                            + key
                            + "; a weight must be between 0 and "
                            + Integer.MAX_VALUE);
        }
        return new Weighed<>(value, (int) Math.max(1, bytes));
    }

    private void fail(Map<K, Load<V>> owned, Throwable cause, long start) {
        if (owned.isEmpty()) {
            return;
        }
        recordLoad(start);
        loadFailures.increment();
        failureLog.failed(owned.keySet(), cause);
        LoadFrame suspended = suspendLoads();
        try {
            owned.forEach(
                    (key, load) -> {
                        cache.asMap().remove(key, load);
                        load.complete(null);
                        load.result.completeExceptionally(cause);
                    });
        } finally {
            resumeLoads(suspended);
        }
    }

    private void recordLoad(long start) {
        loads.increment();
        loadNanos.add(nanoClock.getAsLong() - start);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
    }

    private LoadFrame enter(Set<K> keys) {
        LoadFrame outer = runningLoads.get();
        runningLoads.set(new LoadFrame(keys, outer));
        return outer;
    }

    private void exit(LoadFrame outer) {
        if (outer == null) {
            runningLoads.remove();
        } else {
            runningLoads.set(outer);
        }
    }

    /**
     * Hides this thread's running loaders from the callbacks that completing a load runs: those
     * belong to other callers (a load may complete inside another load's loader), whose calls are
     * no cycle.
     */
    private LoadFrame suspendLoads() {
        LoadFrame running = runningLoads.get();
        if (running != null) {
            runningLoads.remove();
        }
        return running;
    }

    private void resumeLoads(LoadFrame suspended) {
        if (suspended != null) {
            runningLoads.set(suspended);
        }
    }

    /** Returns the error for a call, made inside a loader on this thread, for that load's keys. */
    private LoadCycleException cycle(List<K> keys) {
        for (LoadFrame frame = runningLoads.get(); frame != null; frame = frame.outer) {
            for (K key : keys) {
                if (frame.keys.contains(key)) {
                    return new LoadCycleException(
                            "a loader of "
                                    + describe(frame.keys)
                                    + " asked the cache for key "
                                    + key
                                    + ", which that same load holds in flight: the call would"
                                    + " wait for itself forever");
                }
            }
        }
        return null;
    }

    private static <K, V> void checkBatchResult(Set<K> keys, Map<K, V> result) {
        if (result == null) {
            throw new InvalidLoadResultException(
                    "batch loader returned a null map for " + describe(keys));
        }
        List<K> missing = null;
        for (K key : keys) {
            if (result.get(key) == null) {
                (missing == null ? missing = new ArrayList<>() : missing).add(key);
            }
        }
        int present = keys.size() - (missing == null ? 0 : missing.size());
        if (missing == null && result.size() == present) {
            return;
        }
        List<K> extra =
                result.keySet().stream()
                        .filter(k -> !keys.contains(k))
                        .limit(KEYS_NAMED_IN_ERRORS)
                        .collect(Collectors.toList());
        throw new InvalidLoadResultException(
                "batch loader result does not match the "
                        + keys.size()
                        + " requested keys: missing or null "
                        + (missing == null ? List.of() : describe(missing))
                        + ", not requested "
                        + extra);
    }

    static String describe(Collection<?> keys) {
        return keys.size() <= KEYS_NAMED_IN_ERRORS
                ? keys.toString()
                : keys.stream().limit(KEYS_NAMED_IN_ERRORS).collect(Collectors.toList())
                        + " and "
                        + (keys.size() - KEYS_NAMED_IN_ERRORS)
                        + " more";
    }

    @Override
    public boolean putIfAbsent(K key, V value) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        Load<V> load = new Load<>();
        Weighed<V> weighed = weigh(key, value);
        load.complete(weighed);
        load.result.complete(value);
        if (cache.asMap().putIfAbsent(key, load) != null) {
            return false;
        }
        misses.increment();
        loads.increment();
        return true;
    }

    @Override
    public V getIfPresent(K key) {
        CompletableFuture<Weighed<V>> future = cache.asMap().get(requireNonNull(key, "key"));
        Weighed<V> weighed = future == null ? null : future.getNow(null);
        return weighed == null ? null : weighed.value();
    }

    @Override
    public void invalidate(K key) {
        cache.synchronous().invalidate(requireNonNull(key, "key"));
    }

    @Override
    public void invalidateAll(Predicate<? super K> predicate) {
        requireNonNull(predicate, "predicate");
        cache.asMap().keySet().removeIf(predicate);
    }

    @Override
    public void maximumBytes(long bytes) {
        if (weigher != null) {
            cache.synchronous().policy().eviction().ifPresent(e -> e.setMaximum(bytes));
        }
    }

    @Override
    public long weightedSizeBytes() {
        cleanUp();
        return cache.synchronous()
                .policy()
                .eviction()
                .map(e -> e.weightedSize().orElse(0))
                .orElse(0L);
    }

    @Override
    public long estimatedSize() {
        cleanUp();
        return cache.synchronous().estimatedSize();
    }

    @Override
    public void cleanUp() {
        cache.synchronous().cleanUp();
    }

    @Override
    public CacheStats stats() {
        com.github.benmanes.caffeine.cache.stats.CacheStats s = cache.synchronous().stats();
        return new CacheStats(
                hits.sum(),
                joins.sum(),
                misses.sum(),
                loads.sum(),
                loadFailures.sum(),
                loadNanos.sum(),
                s.evictionCount(),
                s.evictionWeight());
    }

    /** A loaded value and the weight it was cached with. */
    record Weighed<V>(V value, int weight) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Weighed<?> other
                    && Objects.equals(value, other.value)
                    && weight == other.weight;
        }

        @Override
        public int hashCode() {
            return 31 * Objects.hashCode(value) + Integer.hashCode(weight);
        }

        @Override
        public String toString() {
            return "Weighed[value=" + value + ", weight=" + weight + "]";
        }
    }

    /**
     * The load of one key, as registered in Caffeine's map. Only its owner completes it: with the
     * weighed value, or with {@code null} after it left the map; then its {@link #result}.
     */
    static final class Load<V> extends CompletableFuture<Weighed<V>> {

        /** What callers await: the value, or the load's failure. */
        final CompletableFuture<V> result = new CompletableFuture<>();
    }

    /** The keys of the loaders running on one thread, innermost first. */
    private final class LoadFrame {

        final Set<K> keys;
        final LoadFrame outer;

        LoadFrame(Set<K> keys, LoadFrame outer) {
            this.keys = keys;
            this.outer = outer;
        }
    }
}
