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
import org.apache.flink.core.fs.Path;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static java.util.Objects.requireNonNull;

/**
 * Merges the byte ranges a caller needs from one file into fewer, larger ranges, and slices the
 * merged reads back into the requested ranges.
 *
 * <p>Two neighbouring ranges (in offset order) are merged when the gap between them (the <em>
 * hole</em>, bytes read only to save a request) is at most {@link #holeSizeLimit()} and the merged
 * range stays at most {@link #rangeSizeLimit()} long. Overlapping and duplicate ranges have a
 * negative or zero gap and merge under the same size limit. A single requested range longer than
 * the size limit is read alone and never split. Requested ranges may come in any order; each lies
 * wholly within exactly one merged range.
 *
 * <p>Defaults ({@link #defaults()}): a hole limit of {@value #DEFAULT_HOLE_SIZE_LIMIT} bytes (1
 * MiB) and a range limit of {@value #DEFAULT_RANGE_SIZE_LIMIT} bytes (32 MiB). A hole is worth
 * reading when transferring it costs less than a request's time to first byte; on object stores
 * that is roughly 10-50 ms at 50-200 MiB/s, which is why 1 MiB holes are common for S3. Arrow C++
 * ({@code CacheOptions}) defaults to 8 KiB holes, tuned for local disks; use {@link #of} with such
 * limits for {@code file://}. The 32 MiB range limit is Arrow C++'s: it bounds the memory of one
 * request and keeps large reads parallel.
 *
 * <p>Instances are immutable and thread-safe.
 */
@Internal
public final class RangeCoalescer {

    /** Default {@link #holeSizeLimit()}: 1 MiB, suited to object stores such as S3. */
    public static final long DEFAULT_HOLE_SIZE_LIMIT = 1L << 20;

    /** Default {@link #rangeSizeLimit()}: 32 MiB, as Arrow C++'s {@code CacheOptions}. */
    public static final long DEFAULT_RANGE_SIZE_LIMIT = 32L << 20;

    private static final RangeCoalescer DEFAULTS =
            new RangeCoalescer(DEFAULT_HOLE_SIZE_LIMIT, DEFAULT_RANGE_SIZE_LIMIT);

    private final long holeSizeLimit;
    private final long rangeSizeLimit;

    private RangeCoalescer(long holeSizeLimit, long rangeSizeLimit) {
        this.holeSizeLimit = holeSizeLimit;
        this.rangeSizeLimit = rangeSizeLimit;
    }

    /** Returns a coalescer with the default limits (1 MiB holes, 32 MiB ranges). */
    public static RangeCoalescer defaults() {
        return DEFAULTS;
    }

    /**
     * Returns a coalescer with the given limits.
     *
     * @param holeSizeLimit the largest gap in bytes between two ranges that are still merged; 0
     *     merges only touching or overlapping ranges
     * @param rangeSizeLimit the largest merged range in bytes
     * @throws IllegalArgumentException naming the option if {@code holeSizeLimit} is negative or
     *     {@code rangeSizeLimit} is not positive or exceeds {@link ByteRange#MAX_LENGTH}
     */
    public static RangeCoalescer of(long holeSizeLimit, long rangeSizeLimit) {
        if (holeSizeLimit < 0) {
            throw new IllegalArgumentException(
                    "holeSizeLimit must not be negative, but was " + holeSizeLimit);
        }
        if (rangeSizeLimit <= 0 || rangeSizeLimit > ByteRange.MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "rangeSizeLimit must be in [1, "
                            + ByteRange.MAX_LENGTH
                            + "], but was "
                            + rangeSizeLimit);
        }
        return new RangeCoalescer(holeSizeLimit, rangeSizeLimit);
    }

    /** Returns the largest gap in bytes between two ranges that are merged. */
    public long holeSizeLimit() {
        return holeSizeLimit;
    }

    /** Returns the largest merged range in bytes (a longer single request is not split). */
    public long rangeSizeLimit() {
        return rangeSizeLimit;
    }

    /**
     * Plans the merged reads of {@code requested}.
     *
     * @throws NullPointerException if {@code requested} or one of its elements is {@code null}
     */
    public Plan plan(List<ByteRange> requested) {
        requireNonNull(requested, "requested");
        int n = requested.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            requireNonNull(requested.get(i), "requested must not contain null");
            order[i] = i;
        }
        Arrays.sort(
                order,
                Comparator.comparingLong((Integer i) -> requested.get(i).offset())
                        .thenComparingLong(i -> requested.get(i).end()));
        List<ByteRange> merged = new ArrayList<>();
        int[] mergedIndex = new int[n];
        long start = -1;
        long end = -1;
        for (int i : order) {
            ByteRange r = requested.get(i);
            if (r.length() == 0) {
                mergedIndex[i] = -1;
                continue;
            }
            if (start >= 0
                    && r.offset() - end <= holeSizeLimit
                    && Math.max(end, r.end()) - start <= rangeSizeLimit) {
                end = Math.max(end, r.end());
            } else {
                if (start >= 0) {
                    merged.add(new ByteRange(start, end - start));
                }
                start = r.offset();
                end = r.end();
            }
            mergedIndex[i] = merged.size();
        }
        if (start >= 0) {
            merged.add(new ByteRange(start, end - start));
        }
        return new Plan(List.copyOf(requested), Collections.unmodifiableList(merged), mergedIndex);
    }

    /**
     * Reads {@code requested} ranges of the file at {@code path} with one {@link RangeReader#read}
     * per merged range, all issued at once, and returns the bytes of each requested range in input
     * order.
     *
     * @return a future that fails with the first failed read's error, or with {@link
     *     ShortReadException} if a read returned fewer bytes than its range
     */
    public CompletableFuture<List<byte[]>> read(
            RangeReader reader, Path path, List<ByteRange> requested) {
        requireNonNull(reader, "reader");
        requireNonNull(path, "path");
        Plan plan = plan(requested);
        List<CompletableFuture<byte[]>> reads = new ArrayList<>(plan.merged().size());
        for (ByteRange range : plan.merged()) {
            reads.add(reader.read(path, range));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                .thenApply(
                        ignored -> {
                            List<byte[]> bytes = new ArrayList<>(reads.size());
                            for (int i = 0; i < reads.size(); i++) {
                                byte[] b = reads.get(i).join();
                                ByteRange range = plan.merged().get(i);
                                if (b.length != range.length()) {
                                    throw new CompletionException(
                                            new ShortReadException(
                                                    path.toString(), range, b.length));
                                }
                                bytes.add(b);
                            }
                            return plan.slice(bytes);
                        });
    }

    @Override
    public String toString() {
        return "RangeCoalescer{holeSizeLimit="
                + holeSizeLimit
                + ", rangeSizeLimit="
                + rangeSizeLimit
                + "}";
    }

    /**
     * The merged reads that cover a list of requested ranges, and the map from each requested range
     * to the merged range that holds it. Immutable and thread-safe.
     */
    @Internal
    public static final class Plan {

        private final List<ByteRange> requested;
        private final List<ByteRange> merged;
        private final int[] mergedIndex;

        private Plan(List<ByteRange> requested, List<ByteRange> merged, int[] mergedIndex) {
            this.requested = requested;
            this.merged = merged;
            this.mergedIndex = mergedIndex;
        }

        /** Returns the requested ranges, in input order. */
        public List<ByteRange> requested() {
            return requested;
        }

        /** Returns the merged ranges to read, in offset order; empty ranges need no read. */
        public List<ByteRange> merged() {
            return merged;
        }

        /**
         * Returns the index in {@link #merged()} of the range that holds requested range {@code i},
         * or -1 if that range is empty.
         */
        public int mergedIndexOf(int i) {
            return mergedIndex[i];
        }

        /**
         * Slices the bytes of the merged ranges (in {@link #merged()} order) into the bytes of the
         * requested ranges, in input order. Each result is a copy.
         *
         * @throws IllegalArgumentException if {@code mergedBytes} does not hold one array of the
         *     right length per merged range
         */
        public List<byte[]> slice(List<byte[]> mergedBytes) {
            requireNonNull(mergedBytes, "mergedBytes");
            if (mergedBytes.size() != merged.size()) {
                throw new IllegalArgumentException(
                        "expected "
                                + merged.size()
                                + " merged reads, but got "
                                + mergedBytes.size());
            }
            for (int m = 0; m < merged.size(); m++) {
                if (mergedBytes.get(m).length != merged.get(m).length()) {
                    throw new IllegalArgumentException(
                            "merged read "
                                    + m
                                    + " of range "
                                    + merged.get(m)
                                    + " has "
                                    + mergedBytes.get(m).length
                                    + " bytes");
                }
            }
            List<byte[]> out = new ArrayList<>(requested.size());
            for (int i = 0; i < requested.size(); i++) {
                ByteRange r = requested.get(i);
                int m = mergedIndex[i];
                if (m < 0) {
                    out.add(new byte[0]);
                    continue;
                }
                int from = (int) (r.offset() - merged.get(m).offset());
                out.add(Arrays.copyOfRange(mergedBytes.get(m), from, from + (int) r.length()));
            }
            return out;
        }
    }
}
