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
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.KeyBlock;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.Page;
import dev.kiln.format.RowKind;
import dev.kiln.io.RangeReader;

import org.apache.flink.annotation.Internal;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The newest row of each key across generations of one bucket, in key order: a streaming k-way
 * merge by encoded key, where a cursor per generation holds one decoded page at a time and a heap
 * orders the cursors by key (for one key, the newest generation first; the rows of older
 * generations with that key are skipped). Compaction ({@link GenerationMerger}) and the source's
 * bucket reads merge this way, so both see the same rows in the same order.
 *
 * <p>The current row ({@link #key}, {@link #page}, {@link #row}, {@link #vectors}) stays valid
 * until the next {@link #next} or {@link #close}. Memory: a page per generation. Blocks on storage
 * I/O. Not thread-safe.
 */
@Internal
public final class NewestRowMerge implements AutoCloseable {

    private final BufferAllocator allocator;
    private final List<Cursor> cursors = new ArrayList<>();

    /**
     * The cursors that have a row, as a binary heap in {@link #precedes} order: the current row's
     * cursor is at the top until the next {@link #next} moves it on and sifts it down in place.
     */
    private Cursor[] heap = new Cursor[0];

    private int size;
    private Cursor current;

    /**
     * Opens {@code newestFirst}, generations of one bucket of {@code table} (one open each, at most
     * two range reads), and positions each on its first row; {@link #next} then moves to the first
     * key.
     *
     * @param allocator where pages are decoded; every page is released by {@link #close}
     * @throws IOException if a generation cannot be opened or read (corrupt, missing); what was
     *     opened is released
     */
    public NewestRowMerge(
            KilnTable table,
            List<GenerationRef> newestFirst,
            RangeReader io,
            BufferAllocator allocator)
            throws IOException {
        this.allocator = allocator;
        try {
            int age = 0;
            for (GenerationRef ref : newestFirst) {
                Generation generation =
                        join(Generation.open(io, table.resolve(ref.path()), ref.sizeBytes()));
                Cursor cursor = new Cursor(generation, age++);
                cursors.add(cursor);
            }
            heap = new Cursor[cursors.size()];
            for (Cursor cursor : cursors) {
                if (cursor.advance()) {
                    heap[size++] = cursor;
                }
            }
            for (int i = size / 2 - 1; i >= 0; i--) {
                siftDown(i);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Returns the string columns that every generation merged stores as string views ({@link
     * Generation#stringViewColumns}): columns whose every value is at most 12 bytes, which the
     * merge's output may store as views too. Empty when nothing is merged.
     */
    public Set<String> stringViewColumns() {
        if (cursors.isEmpty()) {
            return Set.of();
        }
        Set<String> common = new LinkedHashSet<>(cursors.get(0).generation.stringViewColumns());
        for (Cursor c : cursors) {
            common.retainAll(c.generation.stringViewColumns());
        }
        return common;
    }

    /**
     * Moves to the newest row of the next key.
     *
     * @return false when the generations have no more keys
     * @throws IOException if a page cannot be read or is corrupt
     */
    public boolean next() throws IOException {
        if (current != null) {
            current = null;
            advance(0);
        }
        if (size == 0) {
            return false;
        }
        Cursor newest = heap[0];
        // The older rows of the same key are the smallest of the rest: a child of the top.
        for (int child = smallerChild(0);
                child >= 0 && compareKeys(heap[child], newest) == 0;
                child = smallerChild(0)) {
            advance(child);
        }
        current = newest;
        return true;
    }

    /**
     * Moves the cursor at heap index {@code i} to its next row and restores the heap below it, or
     * takes it out of the heap past its last row. Its new place is never above {@code i}: its key
     * grows, and an element moved into {@code i} from the heap's end is not smaller than the top,
     * which is {@code i}'s parent whenever {@code i} is not the top.
     */
    private void advance(int i) throws IOException {
        if (!heap[i].advance()) {
            heap[i] = heap[--size];
            heap[size] = null;
            if (i == size) {
                return;
            }
        }
        siftDown(i);
    }

    private void siftDown(int i) {
        Cursor moving = heap[i];
        for (int child = smallerChild(i);
                child >= 0 && precedes(heap[child], moving);
                child = smallerChild(i)) {
            heap[i] = heap[child];
            i = child;
            heap[i] = moving;
        }
    }

    /** The heap index of the smaller child of {@code i}, or -1 if it has none. */
    private int smallerChild(int i) {
        int left = 2 * i + 1;
        if (left >= size) {
            return -1;
        }
        int right = left + 1;
        return right < size && precedes(heap[right], heap[left]) ? right : left;
    }

    /** Smallest key first; for one key, the newest generation (lowest age) first. */
    private static boolean precedes(Cursor a, Cursor b) {
        int byKey = compareKeys(a, b);
        return byKey < 0 || (byKey == 0 && a.age < b.age);
    }

    /** Compares the cursors' current keys in place, their prefixes first. */
    private static int compareKeys(Cursor a, Cursor b) {
        return KeyCodec.compare(
                a.keyBytes,
                a.keyFrom,
                a.keyTo,
                a.keyPrefix,
                b.keyBytes,
                b.keyFrom,
                b.keyTo,
                b.keyPrefix);
    }

    /** Returns the current row's encoded key (a copy). */
    public byte[] key() {
        Cursor c = current();
        return Arrays.copyOfRange(c.keyBytes, c.keyFrom, c.keyTo);
    }

    /**
     * Appends the current row to {@code out}, a tombstone if it is one, with its key as the page
     * holds it: no copy of the key.
     *
     * @throws IOException if {@code out} cannot write a full page
     */
    public void appendTo(GenerationWriter.Appender out) throws IOException {
        Cursor c = current();
        out.append(
                c.keyBytes,
                c.keyFrom,
                c.keyTo,
                c.vectors,
                c.row,
                c.page.kind(c.row) == RowKind.DELETE);
    }

    /** Returns the page holding the current row. */
    public Page page() {
        return current().page;
    }

    /** Returns the current row's index in its {@link #page}. */
    public int row() {
        return current().row;
    }

    /** Returns the vectors of the current row's page (the generation's columns, then the kind). */
    public FieldVector[] vectors() {
        return current().vectors;
    }

    /** Returns whether the current row is a tombstone. */
    public boolean deleted() {
        Cursor c = current();
        return c.page.kind(c.row) == RowKind.DELETE;
    }

    /** Releases the pages held. Idempotent. */
    @Override
    public void close() {
        for (Cursor cursor : cursors) {
            cursor.release();
        }
        Arrays.fill(heap, null);
        size = 0;
        current = null;
    }

    private Cursor current() {
        if (current == null) {
            throw new IllegalStateException("no current row: call next() first");
        }
        return current;
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

        /** The generation's place in the merge: 0 is the newest. */
        final int age;

        int pageIndex = -1;
        Page page;
        FieldVector[] vectors;
        int row = -1;

        /** The page's keys ({@link Page#keys}); the current row's is {@code [keyFrom, keyTo)}. */
        KeyBlock keys;

        byte[] keyBytes;
        int keyFrom;
        int keyTo;

        /** {@link KeyCodec#prefix} of the current key: most compares need nothing else. */
        long keyPrefix;

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
                    keys = null;
                    keyBytes = null;
                    return false;
                }
                page = join(generation.loadPage(pageIndex, allocator));
                vectors = page.root().getFieldVectors().toArray(new FieldVector[0]);
                keys = page.keys();
                keyBytes = keys.bytes();
                row = 0;
            }
            keyFrom = keys.from(row);
            keyTo = keys.to(row);
            keyPrefix = KeyCodec.prefix(keyBytes, keyFrom, keyTo);
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
