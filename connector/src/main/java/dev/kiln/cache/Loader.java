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

import java.util.concurrent.CompletableFuture;

/**
 * Loads the value of one key for {@link SingleFlightCache#getOrLoad}.
 *
 * <p>The cache invokes a loader on the calling thread, once it has registered the key as in flight
 * and outside any lock. A loader should only start the work and return its future. It may call the
 * same cache for other keys (returning or composing those futures); it must not ask for its own
 * key: such a call made on the loader's thread, directly or through a nested load, fails at once
 * with {@link LoadCycleException}, but one made from another thread or from a callback that runs
 * after the loader returned cannot be detected and never completes. It should not block: waiting
 * for a load that in turn waits for this one deadlocks. A loader that throws anything, an {@link
 * Error} or a checked exception included, is treated as one whose future failed with it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
@Internal
public interface Loader<K, V> {

    /** Starts loading {@code key}; the future must complete with a non-null value or an error. */
    CompletableFuture<V> load(K key);
}
