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

import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Builds a {@link SingleFlightCache}. A cache is unbounded unless both {@link #maximumBytes} and
 * {@link #weigher} are set. A builder is not thread-safe; {@link #build()} may be called more than
 * once and each call returns an independent cache.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@Internal
public final class SingleFlightCacheBuilder<K, V> {

    private long maximumBytes = -1;
    private ByteWeigher<? super K, ? super V> weigher;
    private Executor executor;
    private RemovalListener<? super K, ? super V> removalListener;
    private LongSupplier nanoClock = System::nanoTime;

    SingleFlightCacheBuilder() {}

    /**
     * Bounds the total weight of cached values; least valuable entries are evicted past it.
     *
     * @throws IllegalArgumentException if {@code maximumBytes} is not positive
     */
    public SingleFlightCacheBuilder<K, V> maximumBytes(long maximumBytes) {
        if (maximumBytes <= 0) {
            throw new IllegalArgumentException(
                    "maximumBytes must be positive, but was " + maximumBytes);
        }
        this.maximumBytes = maximumBytes;
        return this;
    }

    /**
     * Sets how many bytes an entry weighs. The weigher is called once per loaded value, before the
     * value is cached or handed to a caller; see {@link ByteWeigher} for the weights it may return
     * (an entry weighs at least one byte; a negative weight fails the load).
     */
    public SingleFlightCacheBuilder<K, V> weigher(ByteWeigher<? super K, ? super V> weigher) {
        this.weigher = requireNonNull(weigher, "weigher");
        return this;
    }

    /**
     * Sets the executor that runs eviction and other maintenance; defaults to {@link
     * java.util.concurrent.ForkJoinPool#commonPool()}. Loads are never run on it: loaders start
     * their own work.
     */
    public SingleFlightCacheBuilder<K, V> executor(Executor executor) {
        this.executor = requireNonNull(executor, "executor");
        return this;
    }

    /**
     * Sets a listener told of every value that leaves the cache: evicted, invalidated, or loaded
     * after its key was invalidated while in flight; see {@link RemovalListener}. It runs on the
     * {@link #executor}, after the removal; callers that obtained the value before may still hold
     * it. Use it to release resources a value owns.
     */
    public SingleFlightCacheBuilder<K, V> removalListener(
            RemovalListener<? super K, ? super V> removalListener) {
        this.removalListener = requireNonNull(removalListener, "removalListener");
        return this;
    }

    /** Sets the clock that times loads and paces failure reports; for tests. */
    SingleFlightCacheBuilder<K, V> nanoClock(LongSupplier nanoClock) {
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        return this;
    }

    /**
     * Returns a new cache with this builder's settings.
     *
     * @throws IllegalStateException if only one of {@code maximumBytes} and {@code weigher} is set
     */
    public SingleFlightCache<K, V> build() {
        if ((maximumBytes > 0) != (weigher != null)) {
            throw new IllegalStateException(
                    "maximumBytes and weigher must be set together (maximumBytes="
                            + (maximumBytes > 0 ? maximumBytes : "unset")
                            + ", weigher="
                            + (weigher != null ? "set" : "unset")
                            + ")");
        }
        return CaffeineSingleFlightCache.create(
                maximumBytes, weigher, executor, removalListener, nanoClock);
    }
}
