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

import org.openjdk.jmh.annotations.OperationsPerInvocation;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * {@link LookupBenchmark}'s methods measured in the calling thread's CPU time instead of wall-clock
 * time: lookups per CPU-second of the one thread that makes them (what "per core" means), and bytes
 * allocated per lookup. On a shared machine a thread's CPU time does not count the time it waits
 * for a core, so the figure holds under load where JMH's throughput does not (caches shared with
 * other processes still cost). Usage: {@code LookupCpuTime [seconds per round] [rounds] methods...}
 */
public final class LookupCpuTime {

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        int rounds = Integer.parseInt(args[1]);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        for (String name : Arrays.copyOfRange(args, 2, args.length)) {
            Method method = LookupBenchmark.class.getMethod(name);
            OperationsPerInvocation per = method.getAnnotation(OperationsPerInvocation.class);
            int opsPerCall = per == null ? 1 : per.value();
            LookupBenchmark bench = new LookupBenchmark();
            bench.setUp();
            try {
                Object sink = null;
                long warmUntil = System.nanoTime() + (long) (seconds * 3e9);
                while (System.nanoTime() < warmUntil) {
                    sink = method.invoke(bench);
                }
                double[] perCpuSecond = new double[rounds];
                double[] bytesPerOp = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    long bytes0 = threads.getThreadAllocatedBytes(self);
                    long until = System.nanoTime() + (long) (seconds * 1e9);
                    long ops = 0;
                    while (System.nanoTime() < until) {
                        sink = method.invoke(bench);
                        ops += opsPerCall;
                    }
                    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                    long bytes = threads.getThreadAllocatedBytes(self) - bytes0;
                    perCpuSecond[r] = ops / (cpu / 1e9);
                    bytesPerOp[r] = (double) bytes / ops;
                }
                double[] sorted = perCpuSecond.clone();
                Arrays.sort(sorted);
                StringBuilder all = new StringBuilder();
                for (double v : perCpuSecond) {
                    all.append(String.format(" %,.0f", v));
                }
                System.out.printf(
                        "%-16s median %,12.0f ops per CPU-second (rounds:%s), %.1f B/op (last"
                                + " round; %s)%n",
                        name,
                        sorted[rounds / 2],
                        all,
                        bytesPerOp[rounds - 1],
                        sink == null ? "-" : "ok");
            } finally {
                bench.tearDown();
            }
        }
    }

    private LookupCpuTime() {}
}
