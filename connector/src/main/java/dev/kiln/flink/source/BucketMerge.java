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

import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.NewestRowMerge;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The live rows of one bucket of one version, in key order: a k-way merge of the bucket's
 * generations by encoded key, where the newest generation holding a key wins and a tombstone hides
 * the key's rows in older generations.
 *
 * <p>A {@link NewestRowMerge}, as compaction merges. Pulls one page per generation at a time (one
 * range read each, through {@code io}), so memory is bounded by a page per generation of the
 * bucket. Blocks the caller on storage when {@code io} does. Not thread-safe.
 */
final class BucketMerge implements AutoCloseable {

    private final NewestRowMerge rows;
    private final int[] columns;
    private boolean deleted;

    /**
     * Opens the generations of {@code bucket} in {@code manifest} (one open each, at most two range
     * reads) and positions each on its first row.
     *
     * @param columns the positions of the columns {@link #next} returns
     * @throws IOException if a generation cannot be opened or read (corrupt, missing)
     */
    BucketMerge(
            KilnTable table,
            Manifest manifest,
            int bucket,
            RangeReader io,
            BufferAllocator allocator,
            int[] columns)
            throws IOException {
        this(table, manifest.newestFirst(bucket), io, allocator, columns);
    }

    /**
     * Opens {@code newestFirst}, generations of one bucket with the newest first (one open each, at
     * most two range reads), and positions each on its first row.
     *
     * @param columns the positions of the columns {@link #next} returns
     * @throws IOException if a generation cannot be opened or read (corrupt, missing)
     */
    BucketMerge(
            KilnTable table,
            List<GenerationRef> newestFirst,
            RangeReader io,
            BufferAllocator allocator,
            int[] columns)
            throws IOException {
        this.columns = columns.clone();
        this.rows = new NewestRowMerge(table, newestFirst, io, allocator);
    }

    /**
     * Returns the values of the next live row (one per column asked for, as Arrow's {@code
     * getObject} gives them), or {@code null} when the bucket has no more.
     *
     * @throws IOException if a page cannot be read or is corrupt
     */
    List<Object> next() throws IOException {
        List<Object> values;
        do {
            values = nextChange();
        } while (values != null && deleted);
        return values;
    }

    /**
     * Returns the values of the newest row of the next key, a tombstone included ({@link
     * #deleted()} then says so, and only the key columns' values mean anything), or {@code null}
     * when the generations have no more.
     *
     * @throws IOException if a page cannot be read or is corrupt
     */
    List<Object> nextChange() throws IOException {
        if (!rows.next()) {
            return null;
        }
        deleted = rows.deleted();
        FieldVector[] vectors = rows.vectors();
        int row = rows.row();
        Object[] values = new Object[columns.length];
        for (int i = 0; i < columns.length; i++) {
            values[i] = vectors[columns[i]].getObject(row);
        }
        return Arrays.asList(values);
    }

    /** Returns whether the row {@link #nextChange()} returned last is a tombstone. */
    boolean deleted() {
        return deleted;
    }

    /** Releases the pages held. Idempotent. */
    @Override
    public void close() {
        rows.close();
    }
}
