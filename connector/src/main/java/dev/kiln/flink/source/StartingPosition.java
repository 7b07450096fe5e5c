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

package dev.kiln.flink.source;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where a {@link KilnSource} starts reading its table. Immutable and serializable.
 *
 * <ul>
 *   <li>{@link #fullThenFollow()} (the default): every live row of the version latest at start,
 *       then the changes of every later version.
 *   <li>{@link #latest()}: only the changes of the versions published after the version latest at
 *       start.
 *   <li>{@link #fromVersion(long)}: the changes of a given version and of every later one.
 *   <li>{@link #fromTimestamp(long)}: the changes of the versions published at or after a time.
 * </ul>
 *
 * <p>The position is resolved once, when the job first starts; a restored job goes on from the
 * positions in its checkpoint or savepoint.
 */
@PublicEvolving
public final class StartingPosition implements Serializable {

    private static final long serialVersionUID = 1L;

    /** What a starting position reads first. */
    @PublicEvolving
    public enum Kind {
        /** The full snapshot of the version latest at start, then its later changes. */
        FULL_THEN_FOLLOW,
        /** The changes of versions published after the one latest at start. */
        LATEST,
        /** The changes of a given version and later. */
        FROM_VERSION,
        /** The changes of versions published at or after a time. */
        FROM_TIMESTAMP
    }

    private static final StartingPosition FULL_THEN_FOLLOW =
            new StartingPosition(Kind.FULL_THEN_FOLLOW, 0);
    private static final StartingPosition LATEST = new StartingPosition(Kind.LATEST, 0);

    private final Kind kind;
    private final long value;

    private StartingPosition(Kind kind, long value) {
        this.kind = kind;
        this.value = value;
    }

    /** Every live row of the version latest at start ({@code +I}), then every later change. */
    public static StartingPosition fullThenFollow() {
        return FULL_THEN_FOLLOW;
    }

    /** The changes of the versions published after the version latest at start. */
    public static StartingPosition latest() {
        return LATEST;
    }

    /**
     * The changes of version {@code version} and of every later one. A version not yet published is
     * waited for.
     *
     * @throws IllegalArgumentException if {@code version} is negative
     */
    public static StartingPosition fromVersion(long version) {
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative, but was " + version);
        }
        return new StartingPosition(Kind.FROM_VERSION, version);
    }

    /**
     * The changes of the versions published at or after {@code epochMillis}: from the oldest
     * retained version published then or later, or only future versions if none was.
     */
    public static StartingPosition fromTimestamp(long epochMillis) {
        return new StartingPosition(Kind.FROM_TIMESTAMP, epochMillis);
    }

    /** Returns what this position reads first. */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the version of {@link Kind#FROM_VERSION} or the time of {@link Kind#FROM_TIMESTAMP}.
     */
    public long value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StartingPosition other && kind == other.kind && value == other.value;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, value);
    }

    @Override
    public String toString() {
        switch (kind) {
            case FROM_VERSION:
                return "fromVersion(" + value + ")";
            case FROM_TIMESTAMP:
                return "fromTimestamp(" + value + ")";
            case LATEST:
                return "latest()";
            default:
                return "fullThenFollow()";
        }
    }
}
