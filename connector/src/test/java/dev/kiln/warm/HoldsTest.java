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

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.kiln.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Readers' holds on paths: counted per path, all-or-nothing releases, rechecked on eviction. */
class HoldsTest {

    private final Holds holds = new Holds();
    private final Path a = new Path("file:/tmp/a.arrow");
    private final Path b = new Path("file:/tmp/b.arrow");

    @Test
    void aPathBecomesUnheldOnlyWhenItsLastHoldIsReleased() {
        holds.hold(Set.of(a, b));
        holds.hold(Set.of(a));
        assertThat(holds.holdsOf(a)).isEqualTo(2);

        assertThat(holds.release(Set.of(a, b))).containsExactly(b);
        assertThat(holds.holdsOf(a)).isEqualTo(1);
        assertThat(holds.holdsOf(b)).isZero();
        assertThat(holds.release(Set.of(a))).containsExactly(a);
        assertThat(holds.holdsOf(a)).isZero();
    }

    @Test
    void releasingAPathWithoutAHoldFailsAndReleasesNothing() {
        holds.hold(Set.of(a));
        assertThatThrownBy(() -> holds.release(Set.of(a, b)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no hold on " + b);
        assertThat(holds.holdsOf(a)).isEqualTo(1);
    }

    @Test
    void anEvictionLeavesOutPathsHeldAgainSinceTheirRelease() {
        holds.hold(Set.of(a, b));
        Set<Path> unheld = holds.release(Set.of(a, b));
        holds.hold(Set.of(b));

        Set<Path> evicted = holds.evictUnheld(unheld, HashSet::new);

        assertThat(evicted).containsExactly(a);
    }

    @Test
    void concurrentHoldsAndReleasesAreCountedExactly() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> unheldCounts = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                unheldCounts.add(
                        threads.submit(
                                () -> {
                                    await(start);
                                    int unheld = 0;
                                    for (int i = 0; i < 1000; i++) {
                                        holds.hold(Set.of(a));
                                        holds.hold(Set.of(a));
                                        unheld += holds.release(Set.of(a)).size();
                                        unheld += holds.release(Set.of(a)).size();
                                    }
                                    return unheld;
                                }));
            }
            holds.hold(Set.of(a));
            start.countDown();
            int unheld = 0;
            for (Future<Integer> count : unheldCounts) {
                unheld += count.get(1, TimeUnit.MINUTES);
            }
            assertThat(unheld).as("the first hold outlives every other").isZero();
            assertThat(holds.holdsOf(a)).isEqualTo(1);
            assertThat(holds.release(Set.of(a))).containsExactly(a);
        } finally {
            threads.shutdownNow();
        }
    }
}
