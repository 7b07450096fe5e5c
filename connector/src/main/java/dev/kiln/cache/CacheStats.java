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
 * A snapshot of a {@link SingleFlightCache}'s counters. Every key asked for counts once as a hit, a
 * join or a miss; a batch call counts once per key.
 *
 * @param hitCount keys whose load had completed when asked for
 * @param joinCount keys whose load was in flight for another caller when asked for, which this
 *     caller awaited
 * @param missCount keys this cache's callers loaded themselves (their call ran the loader)
 * @param loadCount loader invocations, single or batch, that completed (successfully or not)
 * @param loadFailureCount loader invocations that failed: the loader threw or its future failed, it
 *     broke the loader contract, or the weigher rejected or could not weigh a value
 * @param totalLoadTimeNanos time spent in loader invocations, from start to completion
 * @param evictionCount entries evicted to stay within the byte bound
 * @param evictionWeightBytes bytes evicted to stay within the byte bound
 */
@Internal
public record CacheStats(
        long hitCount,
        long joinCount,
        long missCount,
        long loadCount,
        long loadFailureCount,
        long totalLoadTimeNanos,
        long evictionCount,
        long evictionWeightBytes) {

    /** Returns the number of keys asked for: hits, joins and misses. */
    public long requestCount() {
        return hitCount + joinCount + missCount;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheStats other
                && hitCount == other.hitCount
                && joinCount == other.joinCount
                && missCount == other.missCount
                && loadCount == other.loadCount
                && loadFailureCount == other.loadFailureCount
                && totalLoadTimeNanos == other.totalLoadTimeNanos
                && evictionCount == other.evictionCount
                && evictionWeightBytes == other.evictionWeightBytes;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(hitCount);
        h = 31 * h + Long.hashCode(joinCount);
        h = 31 * h + Long.hashCode(missCount);
        h = 31 * h + Long.hashCode(loadCount);
        h = 31 * h + Long.hashCode(loadFailureCount);
        h = 31 * h + Long.hashCode(totalLoadTimeNanos);
        h = 31 * h + Long.hashCode(evictionCount);
        h = 31 * h + Long.hashCode(evictionWeightBytes);
        return h;
    }

    @Override
    public String toString() {
        return "CacheStats[hitCount="
                + hitCount
                + ", joinCount="
                + joinCount
                + ", missCount="
                + missCount
                + ", loadCount="
                + loadCount
                + ", loadFailureCount="
                + loadFailureCount
                + ", totalLoadTimeNanos="
                + totalLoadTimeNanos
                + ", evictionCount="
                + evictionCount
                + ", evictionWeightBytes="
                + evictionWeightBytes
                + "]";
    }
}
