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
 * What a {@link GenerationWriter} wrote: counts, the key range and the file's size. Immutable and
 * thread-safe; the key accessors return copies.
 */
@Internal
public final class GenerationStats {

    private final long rowCount;
    private final long tombstoneCount;
    private final byte[] minKey;
    private final byte[] maxKey;
    private final long fileBytes;
    private final int pageCount;

    GenerationStats(
            long rowCount,
            long tombstoneCount,
            byte[] minKey,
            byte[] maxKey,
            long fileBytes,
            int pageCount) {
        this.rowCount = rowCount;
        this.tombstoneCount = tombstoneCount;
        this.minKey = minKey;
        this.maxKey = maxKey;
        this.fileBytes = fileBytes;
        this.pageCount = pageCount;
    }

    /** Returns the number of rows written (distinct keys, tombstones included). */
    public long rowCount() {
        return rowCount;
    }

    /** Returns the number of tombstones among the rows written. */
    public long tombstoneCount() {
        return tombstoneCount;
    }

    /**
     * Returns the smallest encoded key ({@link KeyCodec}), or {@code null} if no row was written.
     */
    public byte[] minKey() {
        return minKey == null ? null : minKey.clone();
    }

    /**
     * Returns the largest encoded key ({@link KeyCodec}), or {@code null} if no row was written.
     */
    public byte[] maxKey() {
        return maxKey == null ? null : maxKey.clone();
    }

    /** Returns the size of the file in bytes. */
    public long fileBytes() {
        return fileBytes;
    }

    /** Returns the number of pages (record batches). */
    public int pageCount() {
        return pageCount;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GenerationStats)) {
            return false;
        }
        GenerationStats s = (GenerationStats) o;
        return rowCount == s.rowCount
                && tombstoneCount == s.tombstoneCount
                && fileBytes == s.fileBytes
                && pageCount == s.pageCount
                && Arrays.equals(minKey, s.minKey)
                && Arrays.equals(maxKey, s.maxKey);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(rowCount) * 31 + Long.hashCode(fileBytes);
    }

    @Override
    public String toString() {
        return "GenerationStats{rows="
                + rowCount
                + ", tombstones="
                + tombstoneCount
                + ", pages="
                + pageCount
                + ", fileBytes="
                + fileBytes
                + "}";
    }
}
