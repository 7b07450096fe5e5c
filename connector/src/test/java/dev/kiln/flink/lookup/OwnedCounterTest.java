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

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/** The hit path's counter: its owner counts without atomics, and no thread's count is lost. */
class OwnedCounterTest {

    @Test
    void theOwnersAndOtherThreadsCountsAddUpExactlyWhileCountingConcurrently() throws Exception {
        for (int round = 0; round < 20; round++) {
            OwnedCounter counter = new OwnedCounter();
            counter.inc(); // this thread owns it from here on
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread other =
                        new Thread(
                                () -> {
                                    try {
                                        start.await();
                                    } catch (InterruptedException e) {
                                        throw new AssertionError(e);
                                    }
                                    for (int i = 0; i < 50_000; i++) {
                                        counter.inc();
                                    }
                                    counter.inc(10);
                                    counter.dec();
                                });
                other.start();
                threads.add(other);
            }
            start.countDown();
            long seen = 0;
            for (int i = 0; i < 50_000; i++) {
                counter.inc();
                if (i % 1000 == 0) {
                    long now = counter.getCount();
                    assertThat(now).as("never goes back while only rising").isGreaterThan(seen);
                    seen = now;
                }
            }
            counter.dec(2);
            for (Thread other : threads) {
                other.join();
            }
            assertThat(counter.getCount()).isEqualTo(1 + 3 * (50_000 + 10 - 1) + 50_000 - 2);
        }
    }

    @Test
    void aCounterFirstCountedByAnotherThreadCountsThisThreadsIncrementsToo() throws Exception {
        OwnedCounter counter = new OwnedCounter();
        Thread owner = new Thread(() -> counter.inc(5));
        owner.start();
        owner.join();
        counter.inc();
        counter.inc(3);
        assertThat(counter.getCount()).isEqualTo(9);
    }
}
