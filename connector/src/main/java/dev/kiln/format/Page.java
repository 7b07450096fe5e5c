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

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One decoded page (record batch) of a generation: its rows in key order, in Arrow memory from the
 * allocator it was decoded with.
 *
 * <p>Ownership: the page owns its Arrow buffers; whoever obtained it (from {@link
 * Generation#decodePage} or {@link Generation#loadPage}) closes it, which releases them. A cache
 * that shares pages between readers must not close a page while a reader uses it.
 *
 * <p>Threading: reads ({@link #find}, {@link #lookup}, {@link #values}, ...) are thread-safe and
 * may run concurrently; {@link #close()} must happen after all of them.
 */
@Internal
public final class Page implements AutoCloseable {

    /** Reads a found row as {@link #lookup(byte[])} answers it: FOUND with {@link #values}. */
    private static final RowReader<LookupResult> FOUND_VALUES =
            (page, row) -> LookupResult.found(page.values(row));

    private final int index;
    private final VectorSchemaRoot root;
    private final KeyCodec keyCodec;
    private final TinyIntVector kinds;
    private final int userColumns;
    private final long sizeBytes;
    private final FieldVector[] keyVectors;

    /** The root's vectors, resolved once: {@code root.getFieldVectors()} wraps a list per call. */
    private final FieldVector[] vectors;

    /** Whether no key column holds a null (a valid page's never do), counted once. */
    private final boolean keysNullFree;

    /**
     * {@link KeyCodec#searchSample} of the rows, built once; {@code null} for other keys. Heap
     * beside the page's Arrow memory (a {@code long} per 16 rows), which the page cache does not
     * weigh: it weighs pages by their Arrow memory exactly.
     */
    @Nullable private final long[] searchSample;

    /**
     * Whether the row-kind column holds no null and a byte for every row (a valid page's does),
     * checked once: then a found row's kind is read straight from memory ({@link #kindOfFound}).
     */
    private final boolean kindsReadable;

    /**
     * Whether a row of this page may be a tombstone: false if the row-kind column is {@linkplain
     * #kindsReadable readable} and holds no {@link RowKind#DELETE} code (counted once, when the
     * page was built; a page's rows never change). A lookup that finds a row in a page without
     * tombstones then reads no row kind: the kinds are a buffer of their own, and on a table larger
     * than the CPU's caches the found row's kind is a memory read of its own, after the search (a
     * compacted bottommost generation, which drops tombstones, never holds one).
     */
    private final boolean mayHoldTombstones;

    /** Per column of the generation's schema: whether it holds no null, counted once. */
    private final boolean[] nullFree;

    Page(int index, VectorSchemaRoot root, KeyCodec keyCodec, long sizeBytes) {
        this.index = index;
        this.root = root;
        this.keyCodec = keyCodec;
        List<FieldVector> vectors = root.getFieldVectors();
        this.userColumns = vectors.size() - 1;
        this.kinds = (TinyIntVector) vectors.get(userColumns);
        this.sizeBytes = sizeBytes;
        this.keyVectors = keyCodec.keyVectors(root);
        this.vectors = vectors.toArray(new FieldVector[0]);
        boolean nullFree = true;
        for (FieldVector vector : keyVectors) {
            nullFree &= vector.getNullCount() == 0;
        }
        this.keysNullFree = nullFree;
        this.searchSample = keyCodec.searchSample(keyVectors, nullFree, root.getRowCount());
        this.kindsReadable =
                kinds.getNullCount() == 0
                        && kinds.getDataBuffer().capacity() >= (long) root.getRowCount();
        this.mayHoldTombstones = !kindsReadable || holdsDelete(kinds, root.getRowCount());
        this.nullFree = new boolean[userColumns];
        for (int c = 0; c < userColumns; c++) {
            this.nullFree[c] = this.vectors[c].getNullCount() == 0;
        }
    }

    /** Returns this page's position in its generation, from 0. */
    public int index() {
        return index;
    }

    /** Returns the number of rows. */
    public int rowCount() {
        return root.getRowCount();
    }

    /**
     * Returns the page's rows: the generation's columns, then the row-kind column {@code
     * _kiln_kind} (int8, {@link RowKind#code()}). The root belongs to the page: do not modify or
     * close it, and do not use it after the page is closed.
     */
    public VectorSchemaRoot root() {
        return root;
    }

    /**
     * Returns the vector of column {@code column} of {@link #root()} (the row-kind column is the
     * last), without the list {@code root().getFieldVectors()} makes per call. The same ownership
     * as {@link #root()}.
     */
    public FieldVector vector(int column) {
        return vectors[column];
    }

    /**
     * Returns whether column {@code column} of the generation's schema holds no null in this page
     * (counted once, when the page was built): a reader of a found row may then skip the column's
     * validity bits, a cache line of their own.
     */
    public boolean nullFree(int column) {
        return nullFree[column];
    }

    /**
     * Returns whether a row of this page may be a tombstone (see {@link #mayHoldTombstones}): if
     * not, {@link #lookup(byte[], RowReader)} reads no row kind.
     */
    boolean mayHoldTombstones() {
        return mayHoldTombstones;
    }

    /** Whether one of the first {@code rows} kinds (readable: no null, a byte each) is a delete. */
    private static boolean holdsDelete(TinyIntVector kinds, int rows) {
        byte delete = RowKind.DELETE.code();
        ArrowBuf data = kinds.getDataBuffer();
        for (int row = 0; row < rows; row++) {
            if (data.getByte(row) == delete) {
                return true;
            }
        }
        return false;
    }

    /** Returns the bytes of Arrow memory this page holds (its block's size), for cache weighers. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /**
     * Returns the row holding encoded key {@code key} (binary search), or -1 if this page has no
     * such row.
     */
    public int find(byte[] key) {
        return keyCodec.find(keyVectors, keysNullFree, root.getRowCount(), key, searchSample);
    }

    /** Returns the encoded key of row {@code row}. */
    public byte[] key(int row) {
        return keyCodec.encode(root, row);
    }

    /**
     * Returns the encoded keys of all rows, in one array: what a merge reads row after row, with no
     * array per row ({@link #key} makes one).
     *
     * @throws NullKeyException if a key column is null in a row (a valid page's never is)
     */
    public KeyBlock keys() {
        int n = root.getRowCount();
        int fixed = keyCodec.fixedLength();
        KeyCodec.Out out = new KeyCodec.Out(Math.max(1, n * (fixed > 0 ? fixed : 16)));
        int[] ends = new int[n];
        for (int row = 0; row < n; row++) {
            keyCodec.encodeInto(root, row, out);
            ends[row] = out.size();
        }
        return new KeyBlock(out.buffer(), ends);
    }

    /** Returns the kind of row {@code row}. */
    public RowKind kind(int row) {
        return RowKind.ofCode(kinds.get(row));
    }

    /**
     * Returns the values of row {@code row}, one per column of the generation's schema (without the
     * row kind), as the vectors' {@code getObject} returns them. Unmodifiable.
     */
    public List<Object> values(int row) {
        if (row < 0 || row >= root.getRowCount()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + root.getRowCount());
        }
        List<Object> values = new ArrayList<>(userColumns);
        List<FieldVector> vectors = root.getFieldVectors();
        for (int c = 0; c < userColumns; c++) {
            values.add(vectors.get(c).getObject(row));
        }
        return Collections.unmodifiableList(values);
    }

    /** Returns what this page says about encoded key {@code key}. */
    public LookupResult lookup(byte[] key) {
        int row = find(key);
        if (row < 0) {
            return LookupResult.absent();
        }
        return kind(row) == RowKind.DELETE
                ? LookupResult.deleted()
                : LookupResult.found(values(row));
    }

    /**
     * Returns what this page says about encoded key {@code key}, reading a found row with {@code
     * reader} (while the caller holds the page): {@link LookupResult#absent()} if the page has no
     * such row, {@link LookupResult#deleted()} if it holds a tombstone, otherwise what {@code
     * reader} returned for the row. In a page without tombstones ({@link #mayHoldTombstones}) a
     * found row's kind is not read.
     */
    public <T> Object lookup(byte[] key, RowReader<T> reader) {
        int row = find(key);
        if (row < 0) {
            return LookupResult.absent();
        }
        return mayHoldTombstones && kindOfFound(row) == RowKind.DELETE.code()
                ? LookupResult.deleted()
                : reader.read(this, row);
    }

    /**
     * The row-kind code of row {@code row}, which {@link #find} has just returned (so in range, and
     * the page open): read from memory without {@link TinyIntVector#get}'s checks of the validity
     * bit and the index where the page's kinds allow it ({@link #kindsReadable}).
     */
    private byte kindOfFound(int row) {
        return kindsReadable
                ? MemoryUtil.getByte(kinds.getDataBuffer().memoryAddress() + row)
                : kinds.get(row);
    }

    /**
     * Returns the reader that answers a found row as {@link #lookup(byte[])} does: a FOUND {@link
     * LookupResult} of the row's {@link #values}.
     */
    public static RowReader<LookupResult> foundValues() {
        return FOUND_VALUES;
    }

    /** Releases the page's Arrow memory. Idempotent. */
    @Override
    public void close() {
        root.close();
    }

    @Override
    public String toString() {
        return "Page{index=" + index + ", rows=" + root.getRowCount() + "}";
    }
}
