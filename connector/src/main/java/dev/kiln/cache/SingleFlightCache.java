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

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * A byte-bounded cache of values by key in which every key is loaded by at most one caller at a
 * time, whether it is asked for alone ({@link #getOrLoad}) or in a batch ({@link #getOrLoadAll}).
 *
 * <p>Single-key and batch callers share one in-flight registry: a caller that asks for a key that
 * another caller is loading waits for that load instead of starting its own (a <em>join</em>). A
 * batch loader is handed only the keys its call <em>owns</em>: those that were neither cached nor
 * in flight when the call was made, each once. A load that fails fails every caller waiting for its
 * keys, caches nothing, and leaves the keys absent so that a later call loads them again.
 *
 * <p>Threading: all methods are thread-safe and non-blocking. Loaders run on the calling thread,
 * after the keys they load are registered as in flight and outside any lock, so a loader may call
 * the cache for other keys (see {@link Loader}). Returned futures complete on the thread that
 * completes the underlying load (or on the calling thread when the answer is already cached), so
 * dependent stages should be cheap or use an async variant with an executor. Argument errors (a
 * {@code null} key or loader, a duplicate key in a batch) are thrown synchronously, before anything
 * is loaded; every other error, whatever a loader or weigher throws included, completes the
 * returned future exceptionally.
 *
 * <p>Failed loads are counted in {@link #stats()} and logged sparingly, whatever their number: at
 * WARN (with a stack trace) for the first failure and then at most once a minute per cache, naming
 * how many failures went unreported; at DEBUG one line per failure. Callers get every error.
 *
 * <p>Instances are created with {@link #builder()}.
 *
 * @param <K> the key type; keys must implement {@code equals} and {@code hashCode}
 * @param <V> the value type; values are never {@code null}
 */
@Internal
public interface SingleFlightCache<K, V> {

    /** Returns a builder of caches. */
    static <K, V> SingleFlightCacheBuilder<K, V> builder() {
        return new SingleFlightCacheBuilder<>();
    }

    /**
     * Returns the value of {@code key}, loading it with {@code loader} if it is neither cached nor
     * being loaded by another caller.
     *
     * @throws NullPointerException if {@code key} or {@code loader} is {@code null}
     * @return a future of the value, which says whether this call ran the loader; it fails with the
     *     loader's error, or with {@link InvalidLoadResultException} if the loader or the weigher
     *     broke its contract, also for callers that joined this load; or with {@link
     *     LoadCycleException} if a loader of {@code key} made this call on its own thread
     */
    CompletableFuture<CachedValue<K, V>> getOrLoad(K key, Loader<K, V> loader);

    /**
     * Returns the values of {@code keys} in their order, loading those this call owns with a single
     * invocation of {@code loader}.
     *
     * <p>The loader is invoked at most once, with the keys that were neither cached nor in flight
     * (never with an empty set). Its result must hold exactly those keys, each with a non-null
     * value; otherwise every owned key fails with {@link InvalidLoadResultException} and none of
     * the result is cached. Keys in flight elsewhere are awaited.
     *
     * @throws NullPointerException if {@code keys}, one of its elements, or {@code loader} is
     *     {@code null}
     * @throws IllegalArgumentException if a key occurs more than once in {@code keys}; nothing is
     *     loaded then
     * @return a future of one {@link CachedValue} per input key, in input order; it fails if any
     *     key fails to load, or with {@link LoadCycleException} if a loader of one of {@code keys}
     *     made this call on its own thread. {@code keys} is copied: the caller may reuse the list
     *     once this method returns
     */
    CompletableFuture<List<CachedValue<K, V>>> getOrLoadAll(
            List<? extends K> keys, BatchLoader<K, V> loader);

    /**
     * Caches {@code value} for {@code key} unless the key is cached or in flight, weighing it as a
     * loaded value; a value cached this way counts as a miss and a load in {@link #stats()}.
     *
     * @return whether {@code value} was cached; if not, it stays the caller's
     * @throws NullPointerException if {@code key} or {@code value} is {@code null}
     * @throws InvalidLoadResultException if the weigher broke its contract (nothing is cached)
     */
    boolean putIfAbsent(K key, V value);

    /** Returns the value cached for {@code key}, or {@code null} if it is absent or in flight. */
    V getIfPresent(K key);

    /** Discards {@code key} if it is cached; a load in flight for it completes uncached. */
    void invalidate(K key);

    /**
     * Discards every entry whose key matches {@code predicate}, visiting each entry once; loads in
     * flight for matching keys complete for their callers but stay uncached. Runs on the calling
     * thread in time linear in the number of entries.
     */
    void invalidateAll(Predicate<? super K> predicate);

    /**
     * Returns the total weight of the cached values in bytes after pending maintenance, or 0 for an
     * unbounded cache.
     */
    long weightedSizeBytes();

    /**
     * Sets the bound on the weight of the entries held (a cache built with a weigher; otherwise
     * nothing changes), evicting before it returns what exceeds a lowered bound.
     */
    void maximumBytes(long bytes);

    /**
     * Returns the number of cached entries (including loads in flight), after pending maintenance.
     */
    long estimatedSize();

    /** Runs pending maintenance (such as evictions) now, on the calling thread. */
    void cleanUp();

    /** Returns a snapshot of this cache's counters since it was built. */
    CacheStats stats();
}
