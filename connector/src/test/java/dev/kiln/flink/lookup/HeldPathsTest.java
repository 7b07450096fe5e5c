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

import dev.kiln.io.RangeReader;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link HeldPaths}: the cache holds the paths while the count is above zero. */
class HeldPathsTest {

    private static final Path A = new Path("file:///t/a.kiln");
    private static final Path B = new Path("file:///t/b.kiln");

    private final ExecutorService io = Executors.newSingleThreadExecutor();
    private final BufferAllocator allocator = new RootAllocator();
    private final GenerationCache cache =
            GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                    .maintenanceExecutor(Runnable::run)
                    .build();

    @AfterEach
    void tearDown() {
        cache.close();
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void thePathsAreReleasedWithTheLastUse() {
        cache.holdPaths(Set.of(A, B));
        HeldPaths held = new HeldPaths(cache, Set.of(A, B));
        assertThat(held.tryAcquire()).isTrue();

        held.release();
        assertThat(cache.holdsOf(A)).isEqualTo(1);
        held.release();
        assertThat(cache.holdsOf(A)).isZero();
        assertThat(cache.holdsOf(B)).isZero();
    }

    @Test
    void onceReleasedItIsNeverAcquiredAgainOnlyHeldAgain() {
        cache.holdPaths(Set.of(A));
        HeldPaths held = new HeldPaths(cache, Set.of(A));
        held.release();
        assertThat(held.tryAcquire()).isFalse();

        HeldPaths again = held.reheld();
        assertThat(cache.holdsOf(A)).isEqualTo(1);
        assertThat(again.tryAcquire()).isTrue();
        again.release();
        again.release();
        assertThat(cache.holdsOf(A)).isZero();
    }

    @Test
    void otherHoldersOfAPathKeepIt() {
        cache.holdPaths(Set.of(A));
        cache.holdPaths(Set.of(A));
        new HeldPaths(cache, Set.of(A)).release();
        assertThat(cache.holdsOf(A)).isEqualTo(1);
    }
}
