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

/**
 * A range of bytes of a file: {@code length} bytes from {@code offset}. Immutable and thread-safe.
 *
 * @param offset the first byte's position in the file, never negative
 * @param length the number of bytes, never negative and at most {@link #MAX_LENGTH}
 */
@Internal
public record ByteRange(long offset, long length) {

    /** The longest range one request can return (the longest Java array). */
    public static final long MAX_LENGTH = Integer.MAX_VALUE - 8;

    /**
     * Checks the range.
     *
     * @throws IllegalArgumentException if {@code offset} or {@code length} is negative, {@code
     *     length} exceeds {@link #MAX_LENGTH}, or the range ends past {@link Long#MAX_VALUE}
     */
    public ByteRange {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, but was " + offset);
        }
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "length must be in [0, " + MAX_LENGTH + "], but was " + length);
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException(
                    "range [" + offset + ", +" + length + ") ends past Long.MAX_VALUE");
        }
    }

    /** Returns the range {@code [offset, offset + length)}. */
    public static ByteRange of(long offset, long length) {
        return new ByteRange(offset, length);
    }

    /** Returns the position just past the last byte: {@code offset + length}. */
    public long end() {
        return offset + length;
    }

    /** Returns whether {@code other} lies wholly within this range. */
    public boolean contains(ByteRange other) {
        return other.offset >= offset && other.end() <= end();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteRange other && offset == other.offset && length == other.length;
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(offset) + Long.hashCode(length);
    }

    @Override
    public String toString() {
        return "[" + offset + ", " + end() + ")";
    }
}
