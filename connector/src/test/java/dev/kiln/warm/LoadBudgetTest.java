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

import dev.kiln.io.ByteRange;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.kiln.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The load budget: reservations within the bound, one at a time whatever its size. */
class LoadBudgetTest {

    @Test
    void aLoneReservationAlwaysFitsAndOthersMustFitBesideIt() {
        LoadBudget budget = new LoadBudget(1000);
        assertThat(budget.reserve(5000)).as("alone, larger than the budget").isTrue();
        assertThat(budget.reserve(1)).isFalse();
        budget.unreserve(5000);

        assertThat(budget.reserve(600)).isTrue();
        assertThat(budget.reserve(400)).isTrue();
        assertThat(budget.reserve(1)).isFalse();
        assertThat(budget.reserve(0)).as("nothing to reserve always fits").isTrue();
        budget.unreserve(400);
        assertThat(budget.reserve(400)).isTrue();
        budget.unreserve(400);
        budget.unreserve(600);
        assertThat(budget.reservedBytes()).isZero();
    }

    @Test
    void concurrentReservationsNeverExceedTheBudget() throws Exception {
        LoadBudget budget = new LoadBudget(1000);
        AtomicLong reserved = new AtomicLong();
        AtomicLong peak = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                done.add(
                        threads.submit(
                                () -> {
                                    await(start);
                                    for (int i = 0; i < 10_000; i++) {
                                        if (budget.reserve(300)) {
                                            peak.accumulateAndGet(
                                                    reserved.addAndGet(300), Math::max);
                                            reserved.addAndGet(-300);
                                            budget.unreserve(300);
                                        }
                                    }
                                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(1, TimeUnit.MINUTES);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(peak.get()).isPositive().isLessThanOrEqualTo(900);
        assertThat(budget.reservedBytes()).isZero();
    }

    @Test
    void theDecodedEstimateRoundsTheBlockUpToAPowerOfTwoAndAddsIt() {
        assertThat(LoadBudget.decodedEstimate(new ByteRange(0, 1000))).isEqualTo(1024 + 1000);
        assertThat(LoadBudget.decodedEstimate(new ByteRange(64, 1024))).isEqualTo(1024 + 1024);
        assertThat(LoadBudget.decodedEstimate(new ByteRange(0, 0))).isEqualTo(2);
    }

    @Test
    void theEstimateGrowsToTheHighestDecodedRatioSeenAndNeverShrinks() {
        LoadBudget budget = new LoadBudget(1000);
        ByteRange block = new ByteRange(0, 1000);
        assertThat(budget.estimate(block)).isEqualTo(LoadBudget.decodedEstimate(block));

        budget.decoded(1000, 1500); // below the fixed estimate: no change
        assertThat(budget.estimate(block)).isEqualTo(1024 + 1000);
        budget.decoded(100, 1000); // a compressed block: 10x
        assertThat(budget.estimate(block)).isEqualTo(10_000);
        assertThat(budget.estimate(new ByteRange(0, 333))).isEqualTo(3330);
        budget.decoded(1000, 2000);
        assertThat(budget.estimate(block)).as("the highest ratio stays").isEqualTo(10_000);
        budget.decoded(0, 5000);
        budget.decoded(3, 0);
        assertThat(budget.estimate(block)).isEqualTo(10_000);
    }

    @Test
    void theBudgetMustBePositive() {
        assertThatThrownBy(() -> new LoadBudget(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("load budget must be positive");
    }
}
