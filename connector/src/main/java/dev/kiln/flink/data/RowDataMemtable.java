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

package dev.kiln.flink.data;

import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.DensityAwareVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The rows of one bucket not yet flushed, as Arrow vectors: an append log of upserts and deletes
 * that {@link #flush} writes as one generation (sorted, last write per key wins) and empties.
 *
 * <p>{@code INSERT} and {@code UPDATE_AFTER} rows are upserts, {@code DELETE} rows are deletes
 * (tombstones), {@code UPDATE_BEFORE} rows are ignored: an upsert of the same key follows them. A
 * delete needs only its key: its other fields are ignored (a tombstone stores the key and nulls),
 * so the key-only deletes of upsert streams are accepted even where a value column is NOT NULL.
 *
 * <p>Not thread-safe: one writer task owns it. Ownership: vectors are allocated from the given
 * allocator, which stays the caller's; {@link #close} releases them.
 */
@Internal
public final class RowDataMemtable implements AutoCloseable {

    /** Bytes per row beyond its values: validity bits, offsets and the delete bit, about. */
    private static final int ROW_OVERHEAD_BYTES = 2;

    /** Heap bytes per row's kept key beyond its encoded bytes: where it ends (an int). */
    static final int KEY_OVERHEAD_BYTES = 4;

    private final TableOptions options;
    private final GenerationWriter writer;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final FieldVector[] vectors;
    private final ColumnConverter[] converters;
    private final String[] names;
    private final boolean[] nullable;
    private final boolean[] keyColumn;
    private final BitSet deletes = new BitSet();
    private final RowKeyExtractor keys;

    /**
     * The encoded key of each row added, back to back (row {@code i}'s ends at {@code keyEnds[i]}),
     * handed to the writer so that it does not encode again: one array, not an object per row.
     */
    private byte[] keyBytes = new byte[16 * 1024];

    private int[] keyEnds = new int[1024];
    private int keyLength;

    private int rows;
    private long sizeBytes;

    /**
     * How many rows the last flush wrote, and each column's bytes per value in it (variable-width
     * columns): the next rows' vectors are allocated once for as many, as a flush frees them, where
     * vectors filled from empty would grow by doubling, a copy of every buffer each time.
     */
    private int lastFlushRows;

    private final double[] lastFlushDensity;

    /**
     * @param rowType the rows' type; it must map to the table's schema exactly
     * @param options the table's options (schema, key, page size, filter)
     * @param allocator where the vectors live; stays owned by the caller
     * @throws IllegalArgumentException if {@code rowType} does not map to the table's schema
     */
    public RowDataMemtable(RowType rowType, TableOptions options, BufferAllocator allocator) {
        this.options = requireNonNull(options, "options");
        this.allocator = requireNonNull(allocator, "allocator");
        List<Field> declared =
                FlinkArrowTypes.toArrowSchema(rowType, options.primaryKey()).getFields();
        String difference = FlinkArrowTypes.difference(options.schema().getFields(), declared);
        if (difference != null) {
            throw new IllegalArgumentException(
                    "rows of "
                            + rowType.asSummaryString()
                            + " do not fit the table: "
                            + difference);
        }
        this.writer = options.newWriter();
        this.keys = new RowKeyExtractor(rowType, options.primaryKey());
        this.root = VectorSchemaRoot.create(options.schema(), allocator);
        int n = declared.size();
        this.vectors = root.getFieldVectors().toArray(new FieldVector[0]);
        this.converters = new ColumnConverter[n];
        this.names = new String[n];
        this.nullable = new boolean[n];
        this.keyColumn = new boolean[n];
        this.lastFlushDensity = new double[n];
        for (int c = 0; c < n; c++) {
            Field field = declared.get(c);
            names[c] = field.getName();
            nullable[c] = field.isNullable();
            keyColumn[c] = options.primaryKey().contains(names[c]);
            converters[c] = ColumnConverter.of(names[c], rowType.getTypeAt(c));
        }
    }

    /**
     * Appends {@code row} according to its row kind.
     *
     * @return {@code false} if the row was ignored ({@code UPDATE_BEFORE}), else {@code true}
     * @throws InvalidRowException naming the column if the row has the wrong number of fields, a
     *     null primary key, or (unless it is a delete, whose other fields are ignored) a null in a
     *     NOT NULL column or a value its column cannot hold; the memtable is then as it was before
     *     the call
     */
    public boolean add(RowData row) {
        return add(row, null);
    }

    /**
     * As {@link #add(RowData)}, with the row's encoded key given by a caller that encoded it
     * already (to choose its bucket): {@code key} must be what {@link RowKeyExtractor#key} returns
     * for {@code row} (checked only when assertions are on); the memtable keeps a copy for {@link
     * #flush}, so that each row's key is encoded once on the write path.
     *
     * @param key the row's encoded key, or {@code null} to encode it here
     */
    public boolean add(RowData row, byte[] key) {
        requireNonNull(row, "row");
        boolean delete;
        switch (row.getRowKind()) {
            case INSERT:
            case UPDATE_AFTER:
                delete = false;
                break;
            case DELETE:
                delete = true;
                break;
            default:
                return false;
        }
        if (row.getArity() != vectors.length) {
            throw new InvalidRowException(
                    null,
                    "a row of "
                            + row.getArity()
                            + " fields cannot be written to a table of "
                            + vectors.length
                            + " columns "
                            + List.of(names));
        }
        if (key == null) {
            key = keys.key(row);
        } else {
            assert Arrays.equals(key, keys.key(row)) : "the key given is not the row's key";
        }
        if (rows == 0 && lastFlushRows > 0) {
            allocateLikeLastFlush();
        }
        // the row's values in the vectors, and its encoded key, kept on the heap until the flush
        long bytes = ROW_OVERHEAD_BYTES + KEY_OVERHEAD_BYTES + key.length;
        int c = 0;
        try {
            for (; c < vectors.length; c++) {
                if (delete && !keyColumn[c]) {
                    vectors[c].setNull(rows);
                } else if (row.isNullAt(c)) {
                    if (!nullable[c]) {
                        throw new InvalidRowException(
                                names[c],
                                "column '" + names[c] + "' is NOT NULL, but the row has null");
                    }
                    vectors[c].setNull(rows);
                } else {
                    converters[c].write(row, c, vectors[c], rows);
                    bytes += converters[c].sizeOf(row, c);
                }
            }
        } catch (InvalidRowException e) {
            throw e;
        } catch (RuntimeException e) {
            // What was written at index rows is overwritten by the next row.
            throw new InvalidRowException(
                    names[c], "column '" + names[c] + "' cannot hold the row's value: " + e, e);
        }
        deletes.set(rows, delete);
        if (rows == keyEnds.length) {
            keyEnds = Arrays.copyOf(keyEnds, rows * 2);
        }
        if (keyLength + key.length > keyBytes.length) {
            keyBytes =
                    Arrays.copyOf(keyBytes, Math.max(keyBytes.length * 2, keyLength + key.length));
        }
        System.arraycopy(key, 0, keyBytes, keyLength, key.length);
        keyLength += key.length;
        keyEnds[rows] = keyLength;
        rows++;
        sizeBytes += bytes;
        return true;
    }

    /** Returns how many rows were added since the last flush. */
    public int rowCount() {
        return rows;
    }

    /** Returns whether no row was added since the last flush. */
    public boolean isEmpty() {
        return rows == 0;
    }

    /**
     * Returns about how many bytes the added rows take: their values in the vectors, plus each
     * row's encoded key (kept on the heap for the flush) and a little per row.
     */
    public long sizeBytes() {
        return sizeBytes;
    }

    /**
     * Writes the rows as a new generation at {@code path} (which must not exist) and empties the
     * memtable. On failure the memtable keeps its rows.
     *
     * @throws IllegalStateException if the memtable is empty
     * @throws IOException if the file cannot be written
     */
    public GenerationStats flush(Path path) throws IOException {
        return flush(path, null);
    }

    /**
     * Like {@link #flush(Path)}, telling {@code listener} (if not {@code null}) what the write puts
     * in the file (see {@link GenerationWriter.Listener}): how the sink's writer hands its pages to
     * the TaskManager's cache.
     */
    public GenerationStats flush(Path path, @Nullable GenerationWriter.Listener listener)
            throws IOException {
        if (rows == 0) {
            throw new IllegalStateException("nothing to flush to " + path);
        }
        root.setRowCount(rows);
        GenerationStats stats =
                writer.write(path, root, deletes, keyBytes, keyEnds, allocator, listener);
        lastFlushRows = rows;
        for (int c = 0; c < vectors.length; c++) {
            if (vectors[c] instanceof BaseVariableWidthVector) {
                lastFlushDensity[c] = ((BaseVariableWidthVector) vectors[c]).getDensity();
            }
        }
        root.clear();
        root.setRowCount(0);
        deletes.clear();
        keyLength = 0;
        rows = 0;
        sizeBytes = 0;
        return stats;
    }

    private void allocateLikeLastFlush() {
        for (int c = 0; c < vectors.length; c++) {
            FieldVector v = vectors[c];
            if (v instanceof DensityAwareVector && lastFlushDensity[c] > 0) {
                ((DensityAwareVector) v).setInitialCapacity(lastFlushRows, lastFlushDensity[c]);
            } else {
                v.setInitialCapacity(lastFlushRows);
            }
            v.allocateNew();
        }
        lastFlushRows = 0;
    }

    /** Returns the table options rows are written with. */
    public TableOptions options() {
        return options;
    }

    @Override
    public void close() {
        root.close();
    }
}
