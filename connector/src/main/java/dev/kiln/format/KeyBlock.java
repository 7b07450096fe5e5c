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

import java.util.Arrays;

/**
 * The encoded keys of a page's rows ({@link Page#keys()}), back to back in one array: row {@code
 * i}'s key is {@code bytes()[from(i), to(i))}. What a merge compares and copies row by row without
 * an array per row. Immutable once made; do not modify {@link #bytes()}.
 */
@Internal
public final class KeyBlock {
    private final byte[] bytes;
    private final int[] ends;

    KeyBlock(byte[] bytes, int[] ends) {
        this.bytes = bytes;
        this.ends = ends;
    }

    /** Returns the keys' bytes (the array may be longer than the keys); do not modify it. */
    public byte[] bytes() {
        return bytes;
    }

    /** Returns where row {@code row}'s key starts in {@link #bytes()}. */
    public int from(int row) {
        return row == 0 ? 0 : ends[row - 1];
    }

    /** Returns where row {@code row}'s key ends (exclusive) in {@link #bytes()}. */
    public int to(int row) {
        return ends[row];
    }

    /** Returns a copy of row {@code row}'s key, as {@link Page#key} encodes it. */
    public byte[] key(int row) {
        return Arrays.copyOfRange(bytes, from(row), to(row));
    }
}
