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

package dev.kiln.flink.lookup;

import dev.kiln.flink.runtime.CacheSettings;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * How a Kiln lookup function follows its table and batches its lookups. Each option is named as the
 * SQL connector's {@code ConfigOption} for it ({@code lookup.poll-interval}, …); see {@code
 * docs/lookup.md} for what each does.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@code lookup.poll-interval}</td><td>1 s</td></tr>
 *   <tr><td>{@code lookup.warm-before-swap}</td><td>true</td></tr>
 *   <tr><td>{@code lookup.warm-deadline}</td><td>10 s</td></tr>
 *   <tr><td>{@code lookup.batch.max-size}</td><td>128</td></tr>
 *   <tr><td>{@code lookup.batch.window}</td><td>0 (batch what is queued, no timer)</td></tr>
 *   <tr><td>cache settings</td><td>{@link CacheSettings#defaults()}</td></tr>
 * </table>
 *
 * <p>Immutable and serializable; built by a {@link Builder} whose setters validate, naming the
 * option.
 */
@PublicEvolving
public final class LookupOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String POLL_INTERVAL = "lookup.poll-interval";
    public static final String WARM_BEFORE_SWAP = "lookup.warm-before-swap";
    public static final String WARM_DEADLINE = "lookup.warm-deadline";
    public static final String BATCH_MAX_SIZE = "lookup.batch.max-size";
    public static final String BATCH_WINDOW = "lookup.batch.window";

    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_WARM_DEADLINE = Duration.ofSeconds(10);
    public static final int DEFAULT_BATCH_MAX_SIZE = 128;

    private final Duration pollInterval;
    private final boolean warmBeforeSwap;
    private final Duration warmDeadline;
    private final int batchMaxSize;
    private final Duration batchWindow;
    private final CacheSettings cacheSettings;

    private LookupOptions(Builder builder) {
        this.pollInterval = builder.pollInterval;
        this.warmBeforeSwap = builder.warmBeforeSwap;
        this.warmDeadline = builder.warmDeadline;
        this.batchMaxSize = builder.batchMaxSize;
        this.batchWindow = builder.batchWindow;
        this.cacheSettings = builder.cacheSettings;
    }

    /** Returns the options with every option at its default. */
    public static LookupOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@value #POLL_INTERVAL}: how often the table's latest version is read. */
    public Duration pollInterval() {
        return pollInterval;
    }

    /**
     * {@value #WARM_BEFORE_SWAP}: whether a new version's generations (of the buckets the subtask
     * owns) are warmed before lookups see it.
     */
    public boolean warmBeforeSwap() {
        return warmBeforeSwap;
    }

    /**
     * {@value #WARM_DEADLINE}: how long the follower waits for a version's warms before it swaps
     * anyway (the generations not yet warm are then served cold, and counted).
     */
    public Duration warmDeadline() {
        return warmDeadline;
    }

    /** {@value #BATCH_MAX_SIZE}: the most lookups one batch ({@code Snapshot.lookupAll}) holds. */
    public int batchMaxSize() {
        return batchMaxSize;
    }

    /**
     * {@value #BATCH_WINDOW}: how long the first queued lookup waits for others to join its batch;
     * zero batches whatever queued while the previous batch was being dispatched, with no timer.
     */
    public Duration batchWindow() {
        return batchWindow;
    }

    /** How the TaskManager's cache of the table is built, if this function builds it. */
    public CacheSettings cacheSettings() {
        return cacheSettings;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LookupOptions other
                && pollInterval.equals(other.pollInterval)
                && warmBeforeSwap == other.warmBeforeSwap
                && warmDeadline.equals(other.warmDeadline)
                && batchMaxSize == other.batchMaxSize
                && batchWindow.equals(other.batchWindow)
                && cacheSettings.equals(other.cacheSettings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                pollInterval,
                warmBeforeSwap,
                warmDeadline,
                batchMaxSize,
                batchWindow,
                cacheSettings);
    }

    @Override
    public String toString() {
        return "LookupOptions{"
                + POLL_INTERVAL
                + "="
                + pollInterval
                + ", "
                + WARM_BEFORE_SWAP
                + "="
                + warmBeforeSwap
                + ", "
                + WARM_DEADLINE
                + "="
                + warmDeadline
                + ", "
                + BATCH_MAX_SIZE
                + "="
                + batchMaxSize
                + ", "
                + BATCH_WINDOW
                + "="
                + batchWindow
                + ", "
                + cacheSettings
                + "}";
    }

    /** Builds {@link LookupOptions}; each setter validates its option. Not thread-safe. */
    @PublicEvolving
    public static final class Builder {
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private boolean warmBeforeSwap = true;
        private Duration warmDeadline = DEFAULT_WARM_DEADLINE;
        private int batchMaxSize = DEFAULT_BATCH_MAX_SIZE;
        private Duration batchWindow = Duration.ZERO;
        private CacheSettings cacheSettings = CacheSettings.defaults();

        private Builder() {}

        /** Sets {@value LookupOptions#POLL_INTERVAL}; positive. */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = positive(POLL_INTERVAL, interval);
            return this;
        }

        /** Sets {@value LookupOptions#WARM_BEFORE_SWAP}. */
        public Builder warmBeforeSwap(boolean enabled) {
            this.warmBeforeSwap = enabled;
            return this;
        }

        /** Sets {@value LookupOptions#WARM_DEADLINE}; positive. */
        public Builder warmDeadline(Duration deadline) {
            this.warmDeadline = positive(WARM_DEADLINE, deadline);
            return this;
        }

        /** Sets {@value LookupOptions#BATCH_MAX_SIZE}; positive. */
        public Builder batchMaxSize(int size) {
            if (size <= 0) {
                throw new IllegalArgumentException(
                        BATCH_MAX_SIZE + " must be positive, but was " + size);
            }
            this.batchMaxSize = size;
            return this;
        }

        /** Sets {@value LookupOptions#BATCH_WINDOW}; zero (the default) or positive. */
        public Builder batchWindow(Duration window) {
            requireNonNull(window, BATCH_WINDOW);
            if (window.isNegative()) {
                throw new IllegalArgumentException(
                        BATCH_WINDOW + " must not be negative, but was " + window);
            }
            this.batchWindow = window;
            return this;
        }

        /** Sets how the TaskManager's cache of the table is built if this function builds it. */
        public Builder cacheSettings(CacheSettings settings) {
            this.cacheSettings = requireNonNull(settings, "cacheSettings");
            return this;
        }

        public LookupOptions build() {
            return new LookupOptions(this);
        }

        private static Duration positive(String option, Duration value) {
            requireNonNull(value, option);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(option + " must be positive, but was " + value);
            }
            return value;
        }
    }
}
