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

/**
 * Tells a bounded {@link SingleFlightCache} how many bytes an entry weighs against its {@link
 * SingleFlightCacheBuilder#maximumBytes bound}.
 *
 * <p>The cache calls it once per loaded value, on the thread that completes the load, before the
 * value is cached or handed to any caller. It must be cheap and thread-safe. An entry weighs at
 * least one byte: a weight of 0 is counted as 1, so no entry escapes the bound. A negative weight,
 * a weight above {@link Integer#MAX_VALUE}, or a weigher that throws fails that load (with {@link
 * InvalidLoadResultException}, or with what the weigher threw) and caches nothing of it.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
@Internal
public interface ByteWeigher<K, V> {

    /** Returns the bytes {@code value}, loaded for {@code key}, holds. */
    long weigh(K key, V value);
}
