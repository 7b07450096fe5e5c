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

import dev.kiln.format.GenerationStats;
import dev.kiln.format.KeyCodec;

import org.apache.flink.annotation.Internal;

import static java.util.Objects.requireNonNull;

/**
 * A generation as a manifest lists it: its path relative to the table root, its bucket, its key
 * range (encoded keys, inclusive) and its size. Two references are equal when they name the same
 * path (a path names one immutable file). Immutable; the key arrays are not copied and must not be
 * modified.
 *
 * @param path the path relative to the table root, e.g. {@code data/bucket-3/g-....arrow}
 * @param bucket the bucket all its rows belong to
 * @param minKey the smallest encoded key, or {@code null} for an empty generation
 * @param maxKey the largest encoded key, or {@code null} for an empty generation
 * @param rowCount rows, tombstones included
 * @param sizeBytes the file's length
 */
@Internal
public record GenerationRef(
        String path, int bucket, byte[] minKey, byte[] maxKey, long rowCount, long sizeBytes) {

    public GenerationRef {
        requireNonNull(path, "path");
        if (bucket < 0) {
            throw new IllegalArgumentException("bucket must not be negative, but was " + bucket);
        }
        if ((minKey == null) != (maxKey == null)) {
            throw new IllegalArgumentException(
                    "minKey and maxKey must both be set or both be null for " + path);
        }
    }

    /** Returns the reference of a generation written at {@code path} with {@code stats}. */
    public static GenerationRef of(String path, int bucket, GenerationStats stats) {
        return new GenerationRef(
                path, bucket, stats.minKey(), stats.maxKey(), stats.rowCount(), stats.fileBytes());
    }

    /** Returns whether encoded {@code key} lies within this generation's key range. */
    public boolean mayContain(byte[] key) {
        return minKey != null
                && KeyCodec.compare(minKey, key) <= 0
                && KeyCodec.compare(key, maxKey) <= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRef other && path.equals(other.path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    @Override
    public String toString() {
        return "GenerationRef{" + path + ", bucket=" + bucket + ", rows=" + rowCount + "}";
    }
}
