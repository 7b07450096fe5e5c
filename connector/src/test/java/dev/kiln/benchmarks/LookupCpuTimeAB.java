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

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link LookupCpuTime} for two builds side by side in one JVM: the {@code dev.kiln} classes of
 * each build are loaded child-first from its own {@code connector/target/{test-classes,classes}}
 * (everything else from this JVM's class path), each build's {@link LookupBenchmark} is set up,
 * warmed, and then the two are measured in alternating rounds (A, B, B, A, ...), so that both see
 * the same load on a shared machine. Prints lookups per CPU-second of the calling thread per round,
 * the median of each and their ratio, and the bytes allocated per lookup.
 *
 * <p>Usage: {@code LookupCpuTimeAB <seconds per round> <rounds> <tree A> <tree B> <method>...},
 * each tree a checkout whose {@code connector} module is compiled (test-compile).
 */
public final class LookupCpuTimeAB {

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        int rounds = Integer.parseInt(args[1]);
        String[] trees = {args[2], args[3]};
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        for (String name : Arrays.copyOfRange(args, 4, args.length)) {
            Object[] benches = new Object[2];
            Method[] methods = new Method[2];
            int opsPerCall = 1;
            for (int t = 0; t < 2; t++) {
                ClassLoader loader = new KilnFirst(trees[t]);
                Class<?> type = loader.loadClass("dev.kiln.benchmarks.LookupBenchmark");
                benches[t] = type.getConstructor().newInstance();
                type.getMethod("setUp").invoke(benches[t]);
                methods[t] = type.getMethod(name);
                for (java.lang.annotation.Annotation a : methods[t].getAnnotations()) {
                    if (a.annotationType().getSimpleName().equals("OperationsPerInvocation")) {
                        opsPerCall = (int) a.annotationType().getMethod("value").invoke(a);
                    }
                }
            }
            try {
                for (int t = 0; t < 2; t++) {
                    long warmUntil = System.nanoTime() + (long) (seconds * 3e9);
                    while (System.nanoTime() < warmUntil) {
                        methods[t].invoke(benches[t]);
                    }
                }
                List<List<Double>> perCpuSecond = List.of(new ArrayList<>(), new ArrayList<>());
                double[] bytesPerOp = new double[2];
                for (int r = 0; r < rounds * 2; r++) {
                    // A B B A A B B A ...: each build as often first as second.
                    int t = ((r + 1) / 2) % 2;
                    long cpu0 = threads.getCurrentThreadCpuTime();
                    long bytes0 = threads.getThreadAllocatedBytes(self);
                    long until = System.nanoTime() + (long) (seconds * 1e9);
                    long ops = 0;
                    while (System.nanoTime() < until) {
                        methods[t].invoke(benches[t]);
                        ops += opsPerCall;
                    }
                    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
                    bytesPerOp[t] = (double) (threads.getThreadAllocatedBytes(self) - bytes0) / ops;
                    perCpuSecond.get(t).add(ops / (cpu / 1e9));
                }
                double[] medians = new double[2];
                for (int t = 0; t < 2; t++) {
                    double[] sorted =
                            perCpuSecond.get(t).stream().mapToDouble(Double::doubleValue).toArray();
                    Arrays.sort(sorted);
                    medians[t] = sorted[sorted.length / 2];
                    StringBuilder all = new StringBuilder();
                    for (double v : perCpuSecond.get(t)) {
                        all.append(String.format(" %.2f", v / 1e6));
                    }
                    System.out.printf(
                            "%-16s %s median %.2f M per CPU-second (rounds, M:%s), %.1f B/op (%s)%n",
                            name,
                            t == 0 ? "A" : "B",
                            medians[t] / 1e6,
                            all,
                            bytesPerOp[t],
                            trees[t]);
                }
                System.out.printf("%-16s B / A = %.2f%n", name, medians[1] / medians[0]);
            } finally {
                for (int t = 0; t < 2; t++) {
                    benches[t].getClass().getMethod("tearDown").invoke(benches[t]);
                }
            }
        }
    }

    /** Loads {@code dev.kiln} classes from one build first, everything else from the parent. */
    private static final class KilnFirst extends URLClassLoader {
        KilnFirst(String tree) throws Exception {
            super(
                    new URL[] {
                        new File(tree, "connector/target/test-classes").toURI().toURL(),
                        new File(tree, "connector/target/classes").toURI().toURL()
                    },
                    LookupCpuTimeAB.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("dev.kiln.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    loaded = findClass(name);
                }
                if (resolve) {
                    resolveClass(loaded);
                }
                return loaded;
            }
        }
    }
}
