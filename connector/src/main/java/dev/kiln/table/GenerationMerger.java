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

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.Page;
import dev.kiln.format.RowKind;
import dev.kiln.io.RangeReader;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletionException;

/**
 * Merges a run of generations of one bucket into one: the newest row per key, tombstones kept
 * unless the caller says the run starts at the bucket's oldest live generation (then nothing older
 * can hold a key a tombstone would hide, and tombstones go).
 *
 * <p>A streaming k-way merge by encoded key, as {@code BucketMerge} reads a bucket: a cursor per
 * input generation holds one decoded page at a time, a heap orders the cursors by key (for one key,
 * the newest generation first), and each surviving row is copied from its input page into the
 * output's page ({@link GenerationWriter#open}), written when full. Memory: a page per input plus
 * the output page and 8 bytes per output row (the key filter's hashes). The output is a function of
 * the inputs alone: the same bytes as writing the surviving rows in one {@link
 * GenerationWriter#write}. Blocks on storage I/O: call it from a thread that may block. Not
 * thread-safe; one merge at a time per instance.
 */
final class GenerationMerger {

    /** Smallest key first; for one key, the newest generation (highest position in the run). */
    private static final Comparator<Cursor> ORDER =
            Comparator.<Cursor, byte[]>comparing(c -> c.key, KeyCodec::compare)
                    .thenComparing(Comparator.comparingInt((Cursor c) -> c.position).reversed());

    private final KilnTable table;
    private final RangeReader io;
    private final BufferAllocator allocator;

    GenerationMerger(KilnTable table, RangeReader io, BufferAllocator allocator) {
        this.table = table;
        this.io = io;
        this.allocator = allocator;
    }

    /**
     * Merges {@code run} (oldest first, all of {@code bucket}) into a new generation.
     *
     * @return the compaction to commit; its output is {@code null} if no row survived
     * @throws IOException if a generation cannot be read or the output cannot be written (a partial
     *     output is deleted)
     */
    Compaction merge(int bucket, List<GenerationRef> run, boolean dropTombstones)
            throws IOException {
        List<String> inputs = run.stream().map(GenerationRef::path).toList();
        List<Cursor> cursors = new ArrayList<>(run.size());
        PriorityQueue<Cursor> heap = new PriorityQueue<>(Math.max(1, run.size()), ORDER);
        GenerationWriter.Appender out = null;
        String path = null;
        try {
            for (int i = 0; i < run.size(); i++) {
                GenerationRef ref = run.get(i);
                Generation generation =
                        join(Generation.open(io, table.resolve(ref.path()), ref.sizeBytes()));
                Cursor cursor = new Cursor(generation, i);
                cursors.add(cursor);
                if (cursor.advance()) {
                    heap.add(cursor);
                }
            }
            while (!heap.isEmpty()) {
                Cursor top = heap.poll();
                byte[] key = top.key;
                boolean delete = top.page.kind(top.row) == RowKind.DELETE;
                if (!(dropTombstones && delete)) {
                    if (out == null) {
                        path = table.newGenerationPath(bucket);
                        out = table.options().newWriter().open(table.resolve(path), allocator);
                    }
                    out.append(key, top.vectors, top.row, delete);
                }
                if (top.advance()) {
                    heap.add(top);
                }
                // the same key in older generations: superseded
                while (!heap.isEmpty() && KeyCodec.compare(heap.peek().key, key) == 0) {
                    Cursor older = heap.poll();
                    if (older.advance()) {
                        heap.add(older);
                    }
                }
            }
            if (out == null) {
                return new Compaction(bucket, null, inputs);
            }
            GenerationStats stats = out.finish();
            return new Compaction(bucket, GenerationRef.of(path, bucket, stats), inputs);
        } finally {
            if (out != null) {
                out.close();
            }
            for (Cursor cursor : cursors) {
                cursor.release();
            }
        }
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> future) throws IOException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    /** A position in one input generation: the page it is on, decoded, and the row's key. */
    private final class Cursor {
        final Generation generation;

        /** The generation's position in the run: higher is newer. */
        final int position;

        int pageIndex = -1;
        Page page;
        FieldVector[] vectors;
        int row = -1;
        byte[] key;

        Cursor(Generation generation, int position) {
            this.generation = generation;
            this.position = position;
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
                vectors = page.root().getFieldVectors().toArray(new FieldVector[0]);
                row = 0;
            }
            key = page.key(row);
            return true;
        }

        void release() {
            if (page != null) {
                page.close();
                page = null;
                vectors = null;
            }
        }
    }
}
