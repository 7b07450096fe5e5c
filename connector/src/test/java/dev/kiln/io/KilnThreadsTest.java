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

import dev.kiln.KilnThreadsProbe;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A thread Kiln starts from a job's code (a user function on the stack, the job's loader as the
 * context class loader, as on a task thread) keeps no reference to the job's class loader.
 */
class KilnThreadsTest {

    /** Loaded by the job's loader: starts a thread of the factory it is given, as job code. */
    public static final class JobCode implements Function<ThreadFactory, Thread> {
        /** Set by the test before the first thread is made. */
        public static Runnable task;

        @Override
        public Thread apply(ThreadFactory factory) {
            Thread thread = factory.newThread(task);
            thread.start();
            return thread;
        }
    }

    private final CountDownLatch release = new CountDownLatch(1);

    @Test
    void aThreadStartedFromJobCodeLetsTheJobsClassLoaderBeCollected() throws Exception {
        Started kiln = startFromJobCode(KilnThreads.factory("kiln-test"));
        assertThat(kiln.thread.getName()).startsWith("kiln-test-thread-");
        assertThat(kiln.thread.isDaemon()).isTrue();
        assertThat(kiln.thread.getContextClassLoader())
                .isSameAs(KilnThreads.class.getClassLoader());
        assertThat(collected(kiln.job)).as("the job's loader, while Kiln's thread runs").isTrue();
        assertThat(kiln.thread.isAlive()).isTrue();

        // The check can fail: a thread made as Flink's ExecutorThreadFactory makes one keeps it.
        Started naive = startFromJobCode(Thread::new);
        assertThat(collected(naive.job))
                .as("the job's loader, while a naive thread runs")
                .isFalse();

        // Nor is a right context class loader enough: a thread made outside a privileged block
        // inherits the protection domains of the job's code on the creating stack, which hold
        // the job's loader (until JDK 24 drops the security manager).
        Started unprivileged =
                startFromJobCode(
                        task -> {
                            Thread thread = new Thread(null, task, "unprivileged", 0, false);
                            thread.setContextClassLoader(KilnThreads.class.getClassLoader());
                            return thread;
                        });
        assertThat(collected(unprivileged.job))
                .as("the job's loader, while an unprivileged thread runs")
                .isFalse();

        release.countDown();
        KilnThreadsProbe.assertTerminate(
                java.util.List.of(kiln.thread, naive.thread, unprivileged.thread));
    }

    private static boolean collected(WeakReference<ClassLoader> job) {
        for (int i = 0; i < 20 && job.get() != null; i++) {
            System.gc();
        }
        return job.get() == null;
    }

    private record Started(Thread thread, WeakReference<ClassLoader> job) {}

    @SuppressWarnings("unchecked")
    private Started startFromJobCode(ThreadFactory factory) throws Exception {
        JobLoader job = new JobLoader();
        Class<?> code = job.loadClass(JobCode.class.getName());
        assertThat(code.getClassLoader()).isSameAs(job);
        // The task is the test's (not the job's): only the way the thread is made can keep the job.
        Runnable task =
                () -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        code.getField("task").set(null, task);
        Function<ThreadFactory, Thread> start =
                (Function<ThreadFactory, Thread>) code.getDeclaredConstructor().newInstance();
        Thread thread = KilnThreadsProbe.withJobClassLoader(job, () -> start.apply(factory));
        return new Started(thread, new WeakReference<>(job));
    }

    /** A job's user class loader: defines {@link JobCode} itself, delegates the rest. */
    private static final class JobLoader extends URLClassLoader {
        JobLoader() {
            super("job", new URL[0], KilnThreadsTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(JobCode.class.getName())) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    String resource = name.replace('.', '/') + ".class";
                    try (InputStream in = getParent().getResourceAsStream(resource)) {
                        byte[] bytes = in.readAllBytes();
                        loaded = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return loaded;
            }
        }
    }
}
