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

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Loads the values of the keys one {@link SingleFlightCache#getOrLoadAll} call owns.
 *
 * <p>The set is immutable, non-empty, and holds each key once. The returned map must hold exactly
 * those keys, each with a non-null value; anything else fails the owned keys with {@link
 * InvalidLoadResultException}. The loader runs under the same rules as a {@link Loader}: on the
 * calling thread, outside any lock, starting work rather than doing it; it may call the cache for
 * other keys, and a call for one of its own keys made on its thread fails at once with {@link
 * LoadCycleException} instead of waiting for itself. A loader that throws anything is treated as
 * one whose future failed with it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
@Internal
public interface BatchLoader<K, V> {

    /** Starts loading {@code keys}. */
    CompletableFuture<? extends Map<K, V>> loadAll(Set<K> keys);
}
