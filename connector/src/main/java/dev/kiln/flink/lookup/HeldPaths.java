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

package dev.kiln.flink.lookup;

import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A snapshot's generation paths held in the cache ({@link GenerationCache#holdPaths}) for as long
 * as anyone uses them, counted: one use on creation, one more per {@link #tryAcquire}, and the
 * paths released ({@link GenerationCache#releasePaths}) when the count falls to zero, after which
 * it can never be acquired again, only {@link #reheld held again} as a new count. Thread-safe.
 */
final class HeldPaths {

    private final GenerationCache cache;
    private final Set<Path> paths;

    /** The uses not yet released; 0 once the paths are released. */
    private final AtomicInteger users = new AtomicInteger(1);

    /** Counts one use of {@code paths}, which the caller has held in {@code cache} already. */
    HeldPaths(GenerationCache cache, Set<Path> paths) {
        this.cache = cache;
        this.paths = paths;
    }

    /** Adds a use, unless the paths are released already. */
    boolean tryAcquire() {
        while (true) {
            int n = users.get();
            if (n == 0) {
                return false;
            }
            if (users.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Ends one use; the last releases the paths. Call exactly once per use. */
    void release() {
        if (users.decrementAndGet() == 0) {
            cache.releasePaths(paths);
        }
    }

    /** Holds the same paths again, as a new count of one use. */
    HeldPaths reheld() {
        cache.holdPaths(paths);
        return new HeldPaths(cache, paths);
    }
}
