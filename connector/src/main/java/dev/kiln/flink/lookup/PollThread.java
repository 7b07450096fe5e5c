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

import dev.kiln.io.KilnThreads;

import javax.annotation.Nullable;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The thread a started {@link SnapshotFollower} polls on: its poll at a fixed delay, and extra
 * polls asked for between them. Before {@link #start}, asking for a poll does nothing (the caller's
 * own next poll does the work). Threading: {@link #start} is called once, under the follower's
 * lock; any thread may ask for a poll or stop.
 */
final class PollThread {

    private final Runnable poll;

    @Nullable private volatile ScheduledExecutorService executor;

    /**
     * @param poll the follower's poll; must not throw (a task that throws is never run again)
     */
    PollThread(Runnable poll) {
        this.poll = poll;
    }

    boolean started() {
        return executor != null;
    }

    /** Starts polling every {@code interval}, the first after one interval. */
    void start(Duration interval) {
        ScheduledExecutorService started =
                Executors.newSingleThreadScheduledExecutor(KilnThreads.factory("kiln-follower"));
        executor = started;
        long nanos = interval.toNanos();
        started.scheduleWithFixedDelay(poll, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /** Runs an extra poll on the thread as soon as it is free, if started and not stopped. */
    void pollSoon() {
        ScheduledExecutorService running = executor;
        if (running != null) {
            try {
                running.execute(poll);
            } catch (RejectedExecutionException closed) {
                // Stopping: nothing to poll for.
            }
        }
    }

    /** Stops polling once the poll running, if any, is done. */
    void stop() {
        ScheduledExecutorService running = executor;
        if (running != null) {
            running.shutdown();
        }
    }

    /** Stops polling at once, interrupting the poll running (a warm wait). */
    void stopNow() {
        ScheduledExecutorService running = executor;
        if (running != null) {
            running.shutdownNow();
        }
    }
}
