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

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;

/**
 * Where a process's CPU time goes while a job runs, by thread: every {@link #SAMPLE_MILLIS} ms it
 * reads each live thread's CPU time ({@link ThreadMXBean#getThreadCpuTime}), keeping the last value
 * seen of a thread that has since ended (so up to one interval of a thread's last CPU time is
 * missed). {@link #stop} groups the threads by name (digits and Flink's subtask suffix left out)
 * and gives the rest of the process's CPU time, which no Java thread reports: the collector's and
 * the JIT compiler's threads and other native work; the collectors' pause time and the compiler's
 * time (wall-clock milliseconds, from their MXBeans) are given beside it.
 */
final class ThreadCpuSplit {

    static final long SAMPLE_MILLIS = 100;

    private static final Pattern SUBTASK = Pattern.compile(" \\(\\d+/\\d+\\)(#\\d+)?");
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /**
     * Each thread's name and CPU nanoseconds when sampling started (0 for threads started since).
     */
    private final Map<Long, Long> startCpu = new HashMap<>();

    private final Map<Long, String> names = new HashMap<>();
    private final Map<Long, Long> lastCpu = new HashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread sampler;
    private final long processCpuStart;
    private final long gcMillisStart;
    private final long jitMillisStart;

    private ThreadCpuSplit() {
        sample();
        startCpu.putAll(lastCpu);
        processCpuStart = os.getProcessCpuTime();
        gcMillisStart = gcMillis();
        jitMillisStart = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        sampler = new Thread(this::run, "thread-cpu-split");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Starts sampling. */
    static ThreadCpuSplit start() {
        return new ThreadCpuSplit();
    }

    private void run() {
        try {
            while (!stopped.await(SAMPLE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                sample();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void sample() {
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long cpu = threads.getThreadCpuTime(ids[i]);
            if (cpu >= 0 && infos[i] != null) {
                names.put(ids[i], infos[i].getThreadName());
                lastCpu.put(ids[i], cpu);
            }
        }
    }

    private static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    /**
     * Stops sampling and returns the split, one line per group of threads with at least 1% of the
     * process's CPU time, largest first, each line starting with {@code prefix}.
     */
    String stop(String prefix) throws InterruptedException {
        stopped.countDown();
        sampler.join();
        sample();
        long process = os.getProcessCpuTime() - processCpuStart;
        Map<String, Long> byGroup = new TreeMap<>();
        long threadsTotal = 0;
        synchronized (this) {
            for (Map.Entry<Long, Long> e : lastCpu.entrySet()) {
                if (e.getKey() == sampler.getId()) {
                    continue;
                }
                long cpu = e.getValue() - startCpu.getOrDefault(e.getKey(), 0L);
                if (cpu > 0) {
                    byGroup.merge(group(names.get(e.getKey())), cpu, Long::sum);
                    threadsTotal += cpu;
                }
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        "%sprocess CPU %.1f s: Java threads %.1f s, the rest (GC and JIT threads,"
                                + " native) %.1f s; GC pauses %,d ms, JIT compiling %,d ms%n",
                        prefix,
                        process / 1e9,
                        threadsTotal / 1e9,
                        (process - threadsTotal) / 1e9,
                        gcMillis() - gcMillisStart,
                        ManagementFactory.getCompilationMXBean().getTotalCompilationTime()
                                - jitMillisStart));
        long shown = 0;
        for (Map.Entry<String, Long> e :
                byGroup.entrySet().stream()
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .toList()) {
            if (e.getValue() * 100 < process) {
                break;
            }
            shown += e.getValue();
            out.append(line(prefix, e.getValue(), process, e.getKey()));
        }
        out.append(
                line(prefix, threadsTotal - shown, process, "other Java threads (each under 1%)"));
        out.append(
                line(
                        prefix,
                        process - threadsTotal,
                        process,
                        "not a Java thread (GC, JIT, native)"));
        return out.toString();
    }

    private static String line(String prefix, long nanos, long process, String what) {
        return String.format(
                "%s%5.1f%% %6.1f s  %s%n", prefix, 100.0 * nanos / process, nanos / 1e9, what);
    }

    /** A thread's name without its subtask suffix and with its numbers as {@code #}. */
    static String group(String name) {
        String g = DIGITS.matcher(SUBTASK.matcher(name).replaceAll("")).replaceAll("#");
        return g.length() > 90 ? g.substring(0, 87) + "..." : g;
    }
}
