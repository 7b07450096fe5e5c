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

package dev.kiln.table;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Decides which generations of a bucket to merge: size-tiered, so that over {@code n} commits a row
 * is rewritten about {@code log_T(n)} times, not on every commit, while the bucket's live
 * generations stay bounded.
 *
 * <p>A generation's tier is {@code floor(log_T(size in bytes))} with {@code T} the {@link
 * Builder#tierFactor}: generations within a factor {@code T} of each other share a tier. When
 * {@code T} consecutive generations of a bucket share a tier (the newest such run first), they are
 * merged into one, which lands a tier higher. Flushes of similar size thus merge in fours (by
 * default) into generations four times larger, and so on: a bucket holds fewer than {@code T}
 * generations per tier, and each byte is rewritten once per tier it climbs.
 *
 * <p>{@link Builder#maxGenerations} is a hard bound on top: if a bucket still holds more, the
 * cheapest run of consecutive generations that brings it back to the bound is merged (this costs
 * more rewriting, and only happens when flush sizes are very uneven or tiers very many).
 *
 * <p>Runs are always consecutive in the bucket's order, so merging one in place keeps newest-wins
 * order. Immutable, serializable, thread-safe.
 */
@PublicEvolving
public final class CompactionPolicy implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Default {@link Builder#maxGenerations}. */
    public static final int DEFAULT_MAX_GENERATIONS = 16;

    /** Default {@link Builder#tierFactor}. */
    public static final int DEFAULT_TIER_FACTOR = 4;

    private final int maxGenerations;
    private final int tierFactor;

    private CompactionPolicy(Builder builder) {
        this.maxGenerations = builder.maxGenerations;
        this.tierFactor = builder.tierFactor;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Returns the policy with default options. */
    public static CompactionPolicy defaults() {
        return builder().build();
    }

    /** Returns the bound on a bucket's live generations after compaction. */
    public int maxGenerations() {
        return maxGenerations;
    }

    /** Returns how many generations of a tier merge into one, and the tiers' size factor. */
    public int tierFactor() {
        return tierFactor;
    }

    /**
     * Returns the run of a bucket's generations to merge, or {@code null} for none.
     *
     * @param oldestFirst the bucket's live generations, oldest first
     */
    public Run pick(List<GenerationRef> oldestFirst) {
        requireNonNull(oldestFirst, "oldestFirst");
        int n = oldestFirst.size();
        int[] tiers = new int[n];
        for (int i = 0; i < n; i++) {
            tiers[i] = tier(oldestFirst.get(i).sizeBytes());
        }
        for (int end = n - 1; end >= 0; ) {
            int start = end;
            while (start > 0 && tiers[start - 1] == tiers[end]) {
                start--;
            }
            if (end - start + 1 >= tierFactor) {
                return new Run(start, end + 1);
            }
            end = start - 1;
        }
        if (n <= maxGenerations) {
            return null;
        }
        int length = n - maxGenerations + 1;
        long window = 0;
        for (int i = 0; i < length; i++) {
            window += oldestFirst.get(i).sizeBytes();
        }
        long cheapest = window;
        int from = 0;
        for (int i = length; i < n; i++) {
            window += oldestFirst.get(i).sizeBytes() - oldestFirst.get(i - length).sizeBytes();
            if (window <= cheapest) {
                cheapest = window;
                from = i - length + 1;
            }
        }
        return new Run(from, from + length);
    }

    private int tier(long sizeBytes) {
        int tier = 0;
        for (long s = Math.max(1, sizeBytes); s >= tierFactor; s /= tierFactor) {
            tier++;
        }
        return tier;
    }

    @Override
    public String toString() {
        return "CompactionPolicy{maxGenerations="
                + maxGenerations
                + ", tierFactor="
                + tierFactor
                + "}";
    }

    /**
     * Generations {@code [from, to)} of a bucket, oldest first: at least two.
     *
     * @param from the index of the oldest generation of the run
     * @param to one past the index of the newest
     */
    @Internal
    public record Run(int from, int to) {
        public Run {
            if (from < 0 || to - from < 2) {
                throw new IllegalArgumentException(
                        "a run is at least two generations: " + from + ".." + to);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Run other && from == other.from && to == other.to;
        }

        @Override
        public int hashCode() {
            return 31 * Integer.hashCode(from) + Integer.hashCode(to);
        }

        @Override
        public String toString() {
            return "Run[from=" + from + ", to=" + to + "]";
        }
    }

    /** Builds a {@link CompactionPolicy}; setters validate, naming the option. Not thread-safe. */
    @PublicEvolving
    public static final class Builder {
        private int maxGenerations = DEFAULT_MAX_GENERATIONS;
        private int tierFactor = DEFAULT_TIER_FACTOR;

        private Builder() {}

        /** Sets how many live generations a bucket may hold after compaction; at least 1. */
        public Builder maxGenerations(int generations) {
            if (generations < 1) {
                throw new IllegalArgumentException(
                        "maxGenerations must be at least 1, but was " + generations);
            }
            this.maxGenerations = generations;
            return this;
        }

        /**
         * Sets how many generations of one tier merge into one, which is also the size factor
         * between tiers; at least 2. Larger means fewer rewrites and more live generations.
         */
        public Builder tierFactor(int factor) {
            if (factor < 2) {
                throw new IllegalArgumentException(
                        "tierFactor must be at least 2, but was " + factor);
            }
            this.tierFactor = factor;
            return this;
        }

        public CompactionPolicy build() {
            return new CompactionPolicy(this);
        }
    }
}
