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

package dev.kiln;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finds the threads Kiln started, by the names it gives them ({@code <name>-thread-<n>}), for tests
 * that a closed owner leaves no thread behind and that no thread keeps a job's class loader.
 */
public final class KilnThreadsProbe {

    private KilnThreadsProbe() {}

    /** Returns the live threads named {@code <name>-thread-<n>}. */
    public static Set<Thread> named(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(name + "-thread-") && t.isAlive())
                .collect(Collectors.toSet());
    }

    /** Returns the live threads named {@code <name>-thread-<n>} that are not in {@code before}. */
    public static Set<Thread> startedSince(String name, Collection<Thread> before) {
        Set<Thread> now = new HashSet<>(named(name));
        now.removeAll(before);
        return now;
    }

    /** Waits (join, at most 30 seconds each) for {@code threads} to end, and asserts they did. */
    public static void assertTerminate(Collection<Thread> threads) throws InterruptedException {
        for (Thread thread : threads) {
            thread.join(30_000);
            assertThat(thread.isAlive()).as("%s still alive", thread.getName()).isFalse();
        }
    }

    /**
     * Runs {@code action} on the calling thread with a fresh URLClassLoader (a job's user class
     * loader, as Flink makes one) as its context class loader, restoring the previous one after.
     */
    public static <T> T withJobClassLoader(URLClassLoader job, Callable<T> action)
            throws Exception {
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(job);
        try {
            return action.call();
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /** Returns a new, empty class loader standing for a job's user class loader. */
    public static URLClassLoader jobClassLoader() {
        return new URLClassLoader("job", new URL[0], KilnThreadsProbe.class.getClassLoader());
    }
}
