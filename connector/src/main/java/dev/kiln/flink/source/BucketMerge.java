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

import dev.kiln.format.Generation;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.Page;
import dev.kiln.format.RowKind;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The live rows of one bucket of one version, in key order: a k-way merge of the bucket's
 * generations by encoded key, where the newest generation holding a key wins and a tombstone hides
 * the key's rows in older generations.
 *
 * <p>Pulls one page per generation at a time (one range read each, through {@code io}), so memory
 * is bounded by a page per generation of the bucket. Blocks the caller on storage when {@code io}
 * does. Not thread-safe.
 */
final class BucketMerge implements AutoCloseable {

    /** Smallest key first; for one key, the newest generation (lowest age) first. */
    private static final Comparator<Cursor> ORDER =
            Comparator.<Cursor, byte[]>comparing(c -> c.key, KeyCodec::compare)
                    .thenComparingInt(c -> c.age);

    private final BufferAllocator allocator;
    private final int[] columns;
    private final PriorityQueue<Cursor> heap = new PriorityQueue<>(ORDER);
    private final List<Cursor> cursors = new ArrayList<>();
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
        this.allocator = allocator;
        this.columns = columns.clone();
        try {
            int age = 0;
            for (GenerationRef ref : newestFirst) {
                Generation generation =
                        join(Generation.open(io, table.resolve(ref.path()), ref.sizeBytes()));
                Cursor cursor = new Cursor(generation, age++);
                cursors.add(cursor);
                if (cursor.advance()) {
                    heap.add(cursor);
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
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
        if (heap.isEmpty()) {
            return null;
        }
        Cursor top = heap.poll();
        byte[] key = top.key;
        deleted = top.page.kind(top.row) == RowKind.DELETE;
        List<Object> values = top.values();
        if (top.advance()) {
            heap.add(top);
        }
        while (!heap.isEmpty() && KeyCodec.compare(heap.peek().key, key) == 0) {
            Cursor older = heap.poll();
            if (older.advance()) {
                heap.add(older);
            }
        }
        return values;
    }

    /** Returns whether the row {@link #nextChange()} returned last is a tombstone. */
    boolean deleted() {
        return deleted;
    }

    /** Releases the pages held. Idempotent. */
    @Override
    public void close() {
        for (Cursor cursor : cursors) {
            cursor.release();
        }
        heap.clear();
    }

    private static <T> T join(CompletableFuture<T> future) throws IOException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    /** A position in one generation. */
    private final class Cursor {
        final Generation generation;
        final int age;
        int pageIndex = -1;
        Page page;
        int row = -1;
        byte[] key;

        Cursor(Generation generation, int age) {
            this.generation = generation;
            this.age = age;
        }

        /** Moves to the next row; returns false (and holds no page) past the last one. */
        boolean advance() throws IOException {
            row++;
            while (page == null || row >= page.rowCount()) {
                release();
                if (++pageIndex >= generation.pageCount()) {
                    key = null;
                    return false;
                }
                page = join(generation.loadPage(pageIndex, allocator));
                row = 0;
            }
            key = page.key(row);
            return true;
        }

        List<Object> values() {
            List<FieldVector> vectors = page.root().getFieldVectors();
            Object[] values = new Object[columns.length];
            for (int i = 0; i < columns.length; i++) {
                values[i] = vectors.get(columns[i]).getObject(row);
            }
            return Arrays.asList(values);
        }

        void release() {
            if (page != null) {
                page.close();
                page = null;
            }
        }
    }
}
