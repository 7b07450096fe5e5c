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
 * Told of every value that leaves a {@link SingleFlightCache}, for example to release resources the
 * value owns.
 *
 * <p>It runs on the cache's {@link SingleFlightCacheBuilder#executor executor}, after the removal;
 * callers that obtained the value before may still hold it. It must be thread-safe and should not
 * throw: what it throws is lost. Failed loads are never reported (they cached nothing).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
@Internal
public interface RemovalListener<K, V> {

    /** Called once for {@code value}, cached under {@code key}, when it left the cache. */
    void onRemoval(K key, V value, RemovalCause cause);
}
