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

package dev.kiln.format;

import org.apache.flink.annotation.Internal;

import java.util.List;

/**
 * The answer of a generation (or one of its pages) for one key: the key's row, a tombstone saying
 * it was deleted, or absent. A tombstone must shadow older generations; absent must not. Immutable.
 */
@Internal
public final class LookupResult {

    /** What a generation says about a key. */
    @Internal
    public enum Status {
        /** The generation holds the key's values. */
        FOUND,
        /** The generation says the key was deleted. */
        DELETED,
        /** The generation says nothing about the key. */
        ABSENT
    }

    private static final LookupResult ABSENT = new LookupResult(Status.ABSENT, List.of());
    private static final LookupResult DELETED = new LookupResult(Status.DELETED, List.of());

    private final Status status;
    private final List<Object> values;

    private LookupResult(Status status, List<Object> values) {
        this.status = status;
        this.values = values;
    }

    /** Returns the answer of a generation that says nothing about a key. */
    public static LookupResult absent() {
        return ABSENT;
    }

    /** Returns the answer of a generation that says a key was deleted (a tombstone). */
    public static LookupResult deleted() {
        return DELETED;
    }

    static LookupResult found(List<Object> values) {
        return new LookupResult(Status.FOUND, values);
    }

    /** Returns what the generation says about the key. */
    public Status status() {
        return status;
    }

    /**
     * Returns the row's values, one per column of the generation's schema in order (as Arrow
     * vectors' {@code getObject} returns them, {@code null} for a null), if {@link #status()} is
     * {@link Status#FOUND}; otherwise an empty list. Unmodifiable.
     */
    public List<Object> values() {
        return values;
    }

    @Override
    public String toString() {
        return status == Status.FOUND ? "FOUND" + values : status.toString();
    }
}
