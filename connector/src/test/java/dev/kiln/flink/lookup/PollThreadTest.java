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

import dev.kiln.KilnThreadsProbe;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PollThread}: polls at a fixed delay and on demand, and stops. */
class PollThreadTest {

    @Test
    void beforeStartAskingForAPollDoesNothing() {
        AtomicInteger polls = new AtomicInteger();
        PollThread thread = new PollThread(polls::incrementAndGet);
        thread.pollSoon();
        thread.stop();
        thread.stopNow();
        assertThat(thread.started()).isFalse();
        assertThat(polls).hasValue(0);
    }

    @Test
    void pollsAtTheDelayAndWhenAskedUntilStopped() throws InterruptedException {
        Semaphore polls = new Semaphore(0);
        PollThread thread = new PollThread(polls::release);
        thread.start(Duration.ofHours(1));
        assertThat(thread.started()).isTrue();

        thread.pollSoon();
        assertThat(polls.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        thread.stop();
        thread.pollSoon();
        assertThat(polls.tryAcquire(100, TimeUnit.MILLISECONDS)).isFalse();

        PollThread often = new PollThread(polls::release);
        often.start(Duration.ofMillis(1));
        assertThat(polls.tryAcquire(3, 10, TimeUnit.SECONDS)).isTrue();
        often.stop();
    }

    @Test
    void stoppingNowInterruptsThePollRunning() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        PollThread thread =
                new PollThread(
                        () -> {
                            if (!first.getAndSet(false)) {
                                return;
                            }
                            running.countDown();
                            try {
                                never.await(); // a poll blocked on storage

                            } catch (InterruptedException e) {
                                interrupted.countDown();
                            }
                        });
        thread.start(Duration.ofHours(1));
        thread.pollSoon();
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        thread.stopNow();
        assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void itsThreadKeepsNoJobLoaderAndEndsWhenStopped() throws Exception {
        java.util.Set<Thread> before = KilnThreadsProbe.named("kiln-follower");
        Semaphore polls = new Semaphore(0);
        PollThread thread = new PollThread(polls::release);
        java.net.URLClassLoader job = KilnThreadsProbe.jobClassLoader();
        KilnThreadsProbe.withJobClassLoader(
                job,
                () -> {
                    thread.start(Duration.ofHours(1));
                    thread.pollSoon();
                    return null;
                });
        assertThat(polls.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        java.util.Set<Thread> started = KilnThreadsProbe.startedSince("kiln-follower", before);
        assertThat(started).hasSize(1);
        assertThat(started.iterator().next().getContextClassLoader())
                .isNotSameAs(job)
                .isSameAs(PollThread.class.getClassLoader());

        thread.stopNow();
        KilnThreadsProbe.assertTerminate(started);
    }
}
