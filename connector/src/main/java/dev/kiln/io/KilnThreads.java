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

package dev.kiln.io;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.AccessController;
import java.security.PrivilegedAction;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * Where every thread Kiln starts comes from, so that none keeps a job's class loader reachable.
 *
 * <p>A TaskManager runs many jobs, each in its own user class loader, and Kiln objects shared by
 * them (the cache registry and its caches, when the connector is in {@code lib/}) may start a
 * thread lazily from whichever task thread first needs it. A thread made naively from a task thread
 * keeps that job's loader reachable for as long as it lives: through its context class loader, its
 * inherited access-control context (the protection domains of the classes on the creating stack,
 * user functions among them) and its inheritable thread locals. Threads of {@link #factory} have
 * none of these: their context class loader is the one that loaded Kiln, they are created in a
 * privileged block (so they inherit only Kiln's protection domain), and they inherit no thread
 * locals. They are daemon threads named {@code <name>-thread-<n>} (as Flink names its pools'
 * threads); an exception that escapes one is logged.
 *
 * <p>Each executor built on these threads is owned by one object, which shuts it down when it
 * closes. Kiln never schedules on the JDK's shared delay scheduler ({@code
 * CompletableFuture.delayedExecutor}, {@code completeOnTimeout}, {@code orTimeout}): see {@code
 * ClusterSafetyTest}.
 */
@Internal
public final class KilnThreads {

    private static final Logger LOG = LoggerFactory.getLogger(KilnThreads.class);

    /** How long an idle {@link #timer} keeps its thread, in seconds. */
    static final long TIMER_KEEP_ALIVE_SECONDS = 30;

    private KilnThreads() {}

    /**
     * Returns a factory of daemon threads named {@code <name>-thread-<n>} (n from 1) that hold no
     * reference to the creating thread's class loaders (see the class comment).
     */
    public static ThreadFactory factory(String name) {
        requireNonNull(name, "name");
        AtomicInteger created = new AtomicInteger();
        ClassLoader kiln = KilnThreads.class.getClassLoader();
        return task -> newThread(task, name + "-thread-" + created.incrementAndGet(), kiln);
    }

    /**
     * Returns a one-thread scheduler for timeouts and wake-ups, owned by the caller, who shuts it
     * down when it closes. Its thread starts with the first task scheduled and ends when nothing
     * has been scheduled for {@value #TIMER_KEEP_ALIVE_SECONDS} seconds (a later task starts
     * another); a cancelled task leaves its queue at once, and tasks still delayed at shutdown are
     * dropped.
     */
    public static ScheduledExecutorService timer(String name) {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, factory(name));
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        timer.setKeepAliveTime(TIMER_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
        // With a task queued, the pool's last thread never times out: only an idle one ends.
        timer.allowCoreThreadTimeOut(true);
        return timer;
    }

    @SuppressWarnings("removal") // the inherited access-control context exists until JDK 24
    private static Thread newThread(Runnable task, String name, ClassLoader kiln) {
        PrivilegedAction<Thread> create =
                () -> {
                    Thread thread = new Thread(null, task, name, 0, false);
                    thread.setDaemon(true);
                    thread.setContextClassLoader(kiln);
                    thread.setUncaughtExceptionHandler(
                            (t, e) -> LOG.error("Uncaught exception in Kiln thread {}.", t, e));
                    return thread;
                };
        return AccessController.doPrivileged(create);
    }
}
