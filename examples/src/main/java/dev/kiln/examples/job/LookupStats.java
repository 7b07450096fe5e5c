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

package dev.kiln.examples.job;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the example's lookups saw, collected in this JVM by {@link CheckAnswers}: answers, found
 * rows, wrong answers, and every lookup's latency with the time it was issued.
 */
public final class LookupStats {

    /**
     * One lookup: when it was issued (epoch ms), how long it took (µs), its key and the {@code seq}
     * of the row answered ({@link Answer#NO_ROW} if none).
     */
    public record Sample(long issuedAtMillis, long latencyMicros, long key, long seq) {}

    static final LongAdder ANSWERS = new LongAdder();
    static final LongAdder FOUND = new LongAdder();
    static final LongAdder WRONG = new LongAdder();
    static final ConcurrentLinkedQueue<Sample> SAMPLES = new ConcurrentLinkedQueue<>();
    static final ConcurrentLinkedQueue<String> FIRST_WRONG = new ConcurrentLinkedQueue<>();

    private LookupStats() {}

    static void reset() {
        ANSWERS.reset();
        FOUND.reset();
        WRONG.reset();
        SAMPLES.clear();
        FIRST_WRONG.clear();
    }

    public static long answers() {
        return ANSWERS.sum();
    }

    public static long found() {
        return FOUND.sum();
    }

    public static long wrong() {
        return WRONG.sum();
    }

    /**
     * Returns the latencies (µs) of the lookups issued in {@code [fromMillis, toMillis)}, sorted.
     */
    public static long[] latencies(long fromMillis, long toMillis) {
        return SAMPLES.stream()
                .filter(s -> s.issuedAtMillis() >= fromMillis && s.issuedAtMillis() < toMillis)
                .mapToLong(Sample::latencyMicros)
                .sorted()
                .toArray();
    }

    /** Returns the {@code q} quantile of sorted {@code values}, or -1 if there are none. */
    public static long quantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static String describe(long[] sorted) {
        return sorted.length == 0
                ? "none"
                : String.format(
                        "p50 %d µs, p99 %d µs, max %d µs (%d lookups)",
                        quantile(sorted, 0.5),
                        quantile(sorted, 0.99),
                        sorted[sorted.length - 1],
                        sorted.length);
    }

    static java.util.stream.Stream<Sample> samples() {
        return SAMPLES.stream();
    }

    public static long[] all() {
        long[] all = SAMPLES.stream().mapToLong(Sample::latencyMicros).toArray();
        Arrays.sort(all);
        return all;
    }
}
