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

package dev.kiln.e2e;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Polls a condition until it holds or a deadline passes: how the tests wait for a process outside
 * the JVM (a REST endpoint, a job state), where no latch can reach. The pause between polls only
 * paces the polling; the outcome is decided by the condition.
 */
final class Deadline {

    private static final Duration POLL = Duration.ofMillis(200);

    private Deadline() {}

    /**
     * Returns the first non-empty value of {@code probe} within {@code timeout}; throws {@link
     * AssertionError} naming {@code what} and the last failure otherwise.
     */
    static <T> T await(String what, Duration timeout, Callable<Optional<T>> probe)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                Optional<T> value = probe.call();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > end) {
                AssertionError error =
                        new AssertionError("Timed out after " + timeout + " waiting for " + what);
                if (last != null) {
                    error.initCause(last);
                }
                throw error;
            }
            Thread.sleep(POLL.toMillis());
        }
    }
}
