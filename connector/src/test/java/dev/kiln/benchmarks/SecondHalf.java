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

package dev.kiln.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A job's rate over its second half only: the wall clock and the process's CPU time when a row
 * counter first passes half the job's rows (polled every {@link #POLL_MILLIS} ms), against the same
 * at the job's end. The first half carries the JIT compiler's and the class loader's start-up work,
 * which a long-running job pays once; the second half is closer to its steady state. The counter is
 * read up to one poll late, so the half may hold a few more rows than counted.
 *
 * <p>With the system property {@code kiln.profile.second-half} set to a file, and async-profiler's
 * Java API ({@code one.profiler.AsyncProfiler}) on the class path, the second half is also
 * profiled: the profiler starts at the mark with the options of {@code kiln.profile.options}
 * (default {@code event=cpu,interval=1ms,threads}) and writes collapsed stacks, one root frame per
 * thread, to the file at {@link #stop}.
 */
final class SecondHalf {

    static final long POLL_MILLIS = 50;

    private static final String PROFILE_FILE = System.getProperty("kiln.profile.second-half");
    private static final String PROFILE_OPTIONS =
            System.getProperty("kiln.profile.options", "event=cpu,interval=1ms,threads");

    /**
     * Runs an async-profiler command if a profile was asked for; a failure is printed, not thrown.
     */
    private static void profile(String command) {
        if (PROFILE_FILE == null) {
            return;
        }
        try {
            Class<?> profiler = Class.forName("one.profiler.AsyncProfiler");
            Object instance = profiler.getMethod("getInstance").invoke(null);
            Object answer = profiler.getMethod("execute", String.class).invoke(instance, command);
            System.out.print("profiler: " + command + ": " + answer);
        } catch (ReflectiveOperationException | LinkageError e) {
            System.out.println("profiler: " + command + " failed: " + e);
        }
    }

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread poller;
    private volatile long markRows = -1;
    private volatile long markNanos;
    private volatile long markCpu;

    private SecondHalf(LongSupplier rows, long halfway) {
        poller =
                new Thread(
                        () -> {
                            try {
                                do {
                                    long now = rows.getAsLong();
                                    if (now >= halfway) {
                                        markNanos = System.nanoTime();
                                        markCpu = os.getProcessCpuTime();
                                        markRows = now;
                                        profile("start," + PROFILE_OPTIONS);
                                        return;
                                    }
                                } while (!stopped.await(POLL_MILLIS, TimeUnit.MILLISECONDS));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "second-half-poller");
        poller.setDaemon(true);
        poller.start();
    }

    /** Starts polling {@code rows} until it reaches {@code halfway}. */
    static SecondHalf watch(LongSupplier rows, long halfway) {
        return new SecondHalf(rows, halfway);
    }

    /**
     * Stops polling at the job's end, {@code totalRows} counted: returns {@code rows/s} and {@code
     * rows per CPU-second} over the second half, or {@code null} if the counter never reached half.
     */
    double[] stop(long totalRows) throws InterruptedException {
        long endNanos = System.nanoTime();
        long endCpu = os.getProcessCpuTime();
        stopped.countDown();
        poller.join();
        if (markRows >= 0 && PROFILE_FILE != null) {
            profile("stop,collapsed,file=" + PROFILE_FILE);
        }
        if (markRows < 0) {
            return null;
        }
        double rows = totalRows - markRows;
        return new double[] {
            rows / ((endNanos - markNanos) / 1e9), rows / ((endCpu - markCpu) / 1e9)
        };
    }
}
