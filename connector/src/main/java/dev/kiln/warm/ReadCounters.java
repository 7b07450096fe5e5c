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

package dev.kiln.warm;

import dev.kiln.warm.PathStates.PathState;

import javax.annotation.Nullable;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link GenerationCache} read from storage: pages read and decoded, distinct pages read
 * (per path lifetime), page reads that bypassed the cache, and the storage requests warms made.
 * Thread-safe.
 */
final class ReadCounters {

    private final LongAdder uncachedPageReads = new LongAdder();
    private final LongAdder pagesRead = new LongAdder();
    private final LongAdder distinctPagesRead = new LongAdder();
    private final LongAdder[] warmStorageReads = new LongAdder[WarmReadCause.values().length];

    ReadCounters() {
        for (int i = 0; i < warmStorageReads.length; i++) {
            warmStorageReads[i] = new LongAdder();
        }
    }

    /**
     * Counts a read of {@code page}, distinct unless {@code state} (its path's current lifetime,
     * {@code null} once retired) has read it before.
     */
    void pageRead(@Nullable PathState state, int page) {
        pagesRead.increment();
        if (state == null || state.firstRead(page)) {
            distinctPagesRead.increment();
        }
    }

    /** Counts a page read that bypassed the cache. */
    void uncachedRead() {
        uncachedPageReads.increment();
    }

    /** Counts {@code reads} storage requests a warm made for {@code cause}. */
    void warmReads(WarmReadCause cause, long reads) {
        warmStorageReads[cause.ordinal()].add(reads);
    }

    long warmStorageReads() {
        long sum = 0;
        for (LongAdder reads : warmStorageReads) {
            sum += reads.sum();
        }
        return sum;
    }

    long warmStorageReads(WarmReadCause cause) {
        return warmStorageReads[cause.ordinal()].sum();
    }

    long uncachedPageReads() {
        return uncachedPageReads.sum();
    }

    long pagesRead() {
        return pagesRead.sum();
    }

    long distinctPagesRead() {
        return distinctPagesRead.sum();
    }
}
