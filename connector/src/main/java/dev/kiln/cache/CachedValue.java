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

import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * A value returned by a {@link SingleFlightCache}, with whether the call that returned it ran the
 * loader for its key ({@code loaded}) or found it cached or in flight elsewhere.
 *
 * @param key the key asked for
 * @param value the value, never {@code null}
 * @param loaded whether this call ran the loader for {@code key}
 * @param <K> the key type
 * @param <V> the value type
 */
@Internal
public record CachedValue<K, V>(K key, V value, boolean loaded) {

    public CachedValue {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CachedValue<?, ?> other
                && Objects.equals(key, other.key)
                && Objects.equals(value, other.value)
                && loaded == other.loaded;
    }

    @Override
    public int hashCode() {
        int h = Objects.hashCode(key);
        h = 31 * h + Objects.hashCode(value);
        h = 31 * h + Boolean.hashCode(loaded);
        return h;
    }

    @Override
    public String toString() {
        return "CachedValue[key=" + key + ", value=" + value + ", loaded=" + loaded + "]";
    }
}
