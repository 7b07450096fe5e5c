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

import dev.kiln.io.ByteRange;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DensityAwareVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import javax.annotation.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Writes generations: immutable Arrow IPC files of rows sorted and de-duplicated by primary key.
 *
 * <p>{@link #write} takes a memtable (a {@link VectorSchemaRoot} of the writer's schema) and the
 * row kind of each row, sorts the rows by encoded key ({@link KeyCodec}), keeps the last row
 * written for each key, and writes them as pages (record batches) of about {@link
 * Builder#targetPageBytes} each, then (after the IPC end-of-stream marker) Kiln's index: the first
 * key of each page, a CRC32C per page and a Bloom filter of the keys, as raw bytes; then the Arrow
 * footer, whose custom metadata holds the format version and the index's offset, length and
 * checksum. The file is a standard Arrow IPC file (Arrow readers read only the blocks the footer
 * lists); see {@code docs/format.md}.
 *
 * <p>Threading: a writer is immutable and thread-safe; concurrent {@link #write} calls must use
 * distinct paths. {@link #write} blocks on I/O: call it from a thread that may block (a Flink
 * operator's flush), not from an async callback.
 *
 * <p>Ownership: the caller owns the input root and the allocator, and closes both; the writer only
 * reads the root and releases everything it allocates before {@link #write} returns or throws.
 */
@Internal
public final class GenerationWriter {

    /**
     * Default {@link Builder#targetPageBytes}: 128 KiB, a cheap unit to fetch, decode and cache.
     */
    public static final long DEFAULT_TARGET_PAGE_BYTES = 128 * 1024;

    /**
     * With {@link Builder#targetStoredPageBytes}, the most Arrow bytes a page may hold, as a
     * multiple of the target: 4, so that data which compresses very well still makes pages a cache
     * can hold and decode cheaply (a 128 KiB target gives pages of at most 512 KiB decoded).
     */
    public static final int MAX_DECODED_PER_STORED_PAGE_BYTES = 4;

    /**
     * The most rows an appender allocates its page's vectors for before the first row is copied:
     * beyond, they grow as rows come.
     */
    private static final int MAX_ALLOCATED_PAGE_ROWS = 1 << 20;

    /** Default {@link Builder#filterFalsePositiveRate}: 1%, about 9.6 bits per key. */
    public static final double DEFAULT_FILTER_FALSE_POSITIVE_RATE = 0.01;

    /**
     * The generation format version written by default: the key index raw before the footer, and
     * string columns whose values all fit in 12 bytes stored as Arrow string views ({@code
     * Utf8View}).
     */
    public static final int FORMAT_VERSION = GenerationFormat.FORMAT_VERSION;

    /**
     * An older format version a writer may still write (the key index raw before the footer,
     * strings always {@code Utf8}), for tables that readers of a Kiln before {@link
     * #FORMAT_VERSION} still read.
     */
    public static final int FORMAT_VERSION_RAW_INDEX = GenerationFormat.FORMAT_VERSION_RAW_INDEX;

    /**
     * The oldest format version a writer may still write (the key index Base64 in the footer's
     * metadata), for tables that readers of a Kiln before {@link #FORMAT_VERSION_RAW_INDEX} still
     * read.
     */
    public static final int FORMAT_VERSION_BASE64_INDEX =
            GenerationFormat.FORMAT_VERSION_BASE64_INDEX;

    private final Schema schema;
    private final Schema fileSchema;
    private final KeyCodec keyCodec;
    private final long targetPageBytes;
    private final boolean storedPageBytes;
    private final double falsePositiveRate;
    private final PageCompression compression;
    private final PageEncoder.CompressorFactory compressors;
    private final int formatVersion;

    private GenerationWriter(Builder builder) {
        this.schema = builder.schema;
        List<Field> fields = new ArrayList<>(schema.getFields());
        fields.add(GenerationFormat.kindField());
        this.fileSchema = new Schema(fields, schema.getCustomMetadata());
        this.keyCodec = KeyCodec.of(schema, builder.keyColumns);
        this.targetPageBytes = builder.targetPageBytes;
        this.storedPageBytes = builder.storedPageBytes;
        this.falsePositiveRate = builder.falsePositiveRate;
        this.compression = builder.compression;
        this.compressors = builder.compressors;
        this.formatVersion = builder.formatVersion;
    }

    /**
     * Returns a builder of writers of rows of {@code schema} keyed by {@code keyColumns}.
     *
     * @throws IllegalArgumentException if {@code schema} has a column named {@code _kiln_kind}
     *     (reserved for the row kind), two columns of one name, a column of a type generations do
     *     not hold (nested, dictionary-encoded, or invalid parameters such as an integer width
     *     other than 8, 16, 32 or 64 bits; see {@code docs/format.md}), or the key columns are not
     *     valid for {@link KeyCodec#of}; the message names the column
     */
    public static Builder builder(Schema schema, List<String> keyColumns) {
        return new Builder(schema, keyColumns);
    }

    /** Returns the schema of the rows this writer takes (without the row-kind column). */
    public Schema schema() {
        return schema;
    }

    /** Returns how this writer compresses page buffers. */
    public PageCompression compression() {
        return compression;
    }

    /** Returns the false-positive rate this writer sizes key filters for. */
    public double filterFalsePositiveRate() {
        return falsePositiveRate;
    }

    /**
     * Returns whether pages are cut at {@link Builder#targetStoredPageBytes} (bytes on storage)
     * rather than {@link Builder#targetPageBytes} (Arrow bytes).
     */
    public boolean sizesPagesByStoredBytes() {
        return storedPageBytes;
    }

    /** Returns the page target, in bytes on storage if {@link #sizesPagesByStoredBytes}. */
    public long targetPageBytes() {
        return targetPageBytes;
    }

    /** Returns the codec of this writer's primary key. */
    public KeyCodec keyCodec() {
        return keyCodec;
    }

    /**
     * Writes the rows of {@code rows} as a new generation at {@code path}, which must not exist
     * (the file is created with {@link FileSystem.WriteMode#NO_OVERWRITE} on the path's Flink file
     * system, flushed and synced). Row {@code i} is a tombstone if {@code deletes.get(i)}, else an
     * upsert. Where several rows have one key, the one with the highest row index wins. If writing
     * fails after the file was created, the partial file is deleted (best-effort).
     *
     * @param rows the rows, of exactly this writer's schema; not modified
     * @param deletes the rows that are deletes; bits at or past the row count are ignored
     * @param allocator where page buffers are allocated while writing; all are released on return
     * @return what was written
     * @throws NullKeyException if a row has a null key column
     * @throws IllegalArgumentException if {@code rows} does not have this writer's schema
     * @throws IOException if the file exists already or cannot be written
     */
    public GenerationStats write(
            Path path, VectorSchemaRoot rows, BitSet deletes, BufferAllocator allocator)
            throws IOException {
        return write(path, rows, deletes, null, allocator, null);
    }

    /**
     * Like {@link #write(Path, VectorSchemaRoot, BitSet, BufferAllocator)}, telling {@code
     * listener} (if not {@code null}) what it writes: each page as it is written, then, once the
     * file is synced and closed, its length and tail; or that the write failed. The listener runs
     * on the calling thread; what it throws is not caught (it must not throw).
     */
    public GenerationStats write(
            Path path,
            VectorSchemaRoot rows,
            BitSet deletes,
            BufferAllocator allocator,
            @Nullable Listener listener)
            throws IOException {
        return write(path, rows, deletes, null, allocator, listener);
    }

    /**
     * As {@link #write(Path, VectorSchemaRoot, BitSet, BufferAllocator)}, with the rows' encoded
     * keys given, so that a caller that encoded each key once already (to choose its bucket) does
     * not pay for it again: {@code keys[i]} must be {@code keyCodec().encode(rows, i)} (checked
     * only when assertions are on); the file is then byte for byte the one the other overload
     * writes. The arrays are not modified.
     *
     * @param keys the encoded key of each row (at least as many as rows), or {@code null} to encode
     *     them here
     * @throws IllegalArgumentException if {@code rows} does not have this writer's schema or {@code
     *     keys} has fewer entries than rows
     */
    public GenerationStats write(
            Path path,
            VectorSchemaRoot rows,
            BitSet deletes,
            @Nullable byte[][] keys,
            BufferAllocator allocator)
            throws IOException {
        return write(path, rows, deletes, keys, allocator, null);
    }

    /**
     * As {@link #write(Path, VectorSchemaRoot, BitSet, byte[][], BufferAllocator)}, telling {@code
     * listener} (if not {@code null}) what it writes, as {@link #write(Path, VectorSchemaRoot,
     * BitSet, BufferAllocator, Listener)} does.
     */
    public GenerationStats write(
            Path path,
            VectorSchemaRoot rows,
            BitSet deletes,
            @Nullable byte[][] keys,
            BufferAllocator allocator,
            @Nullable Listener listener)
            throws IOException {
        requireNonNull(path, "path");
        requireNonNull(rows, "rows");
        requireNonNull(deletes, "deletes");
        requireNonNull(allocator, "allocator");
        checkSchema(rows);
        int n = rows.getRowCount();
        if (keys != null && keys.length < n) {
            throw new IllegalArgumentException(keys.length + " keys given for " + n + " rows");
        }
        int total = 0;
        byte[][] encoded = new byte[keys == null ? n : 0][];
        for (int i = 0; i < n; i++) {
            byte[] key = keys == null ? (encoded[i] = keyCodec.encode(rows, i)) : keys[i];
            total += key.length;
        }
        byte[] keyBytes = new byte[total];
        int[] keyEnds = new int[n];
        int at = 0;
        for (int i = 0; i < n; i++) {
            byte[] key = keys == null ? encoded[i] : keys[i];
            System.arraycopy(key, 0, keyBytes, at, key.length);
            at += key.length;
            keyEnds[i] = at;
        }
        return write(path, rows, deletes, keyBytes, keyEnds, allocator, listener);
    }

    private void checkSchema(VectorSchemaRoot rows) {
        if (!rows.getSchema().getFields().equals(schema.getFields())) {
            throw new IllegalArgumentException(
                    "rows have schema " + rows.getSchema() + ", but this writer writes " + schema);
        }
    }

    /**
     * As {@link #write(Path, VectorSchemaRoot, BitSet, byte[][], BufferAllocator, Listener)}, with
     * the rows' encoded keys given back to back in one array, as the sink's memtable keeps them (no
     * object per row for the collector to trace, and the sort reads them from one block of memory):
     * row {@code i}'s key is {@code keyBytes[i == 0 ? 0 : keyEnds[i - 1], keyEnds[i])}, and must be
     * {@code keyCodec().encode(rows, i)} (checked only when assertions are on). The arrays are not
     * modified.
     *
     * @throws IllegalArgumentException if {@code rows} does not have this writer's schema or {@code
     *     keyEnds} has fewer entries than rows
     */
    public GenerationStats write(
            Path path,
            VectorSchemaRoot rows,
            BitSet deletes,
            byte[] keyBytes,
            int[] keyEnds,
            BufferAllocator allocator,
            @Nullable Listener listener)
            throws IOException {
        requireNonNull(path, "path");
        requireNonNull(rows, "rows");
        requireNonNull(deletes, "deletes");
        requireNonNull(keyBytes, "keyBytes");
        requireNonNull(keyEnds, "keyEnds");
        requireNonNull(allocator, "allocator");
        checkSchema(rows);
        int n = rows.getRowCount();
        if (keyEnds.length < n) {
            throw new IllegalArgumentException(keyEnds.length + " keys given for " + n + " rows");
        }
        assert keysMatch(rows, keyBytes, keyEnds);
        int[] kept = sortAndDeduplicate(keyBytes, keyEnds, n);
        FieldVector[] sources = rows.getFieldVectors().toArray(new FieldVector[0]);
        try (Appender out =
                open(path, allocator, listener, kept.length, inlineStrings(rows), true)) {
            for (int src : kept) {
                out.append(
                        keyBytes,
                        start(keyEnds, src),
                        keyEnds[src],
                        sources,
                        src,
                        deletes.get(src));
            }
            return out.finish();
        }
    }

    /** The string columns of {@code rows} whose every value fits in a string view. */
    private Set<String> inlineStrings(VectorSchemaRoot rows) {
        Set<String> inline = new LinkedHashSet<>();
        if (formatVersion >= GenerationFormat.FORMAT_VERSION) {
            for (FieldVector v : rows.getFieldVectors()) {
                if (v instanceof VarCharVector strings
                        && StringViews.fitsInline(strings, rows.getRowCount())) {
                    inline.add(v.getName());
                }
            }
        }
        return inline;
    }

    private static int start(int[] keyEnds, int i) {
        return i == 0 ? 0 : keyEnds[i - 1];
    }

    private boolean keysMatch(VectorSchemaRoot rows, byte[] keyBytes, int[] keyEnds) {
        for (int i = 0; i < rows.getRowCount(); i++) {
            byte[] key = Arrays.copyOfRange(keyBytes, start(keyEnds, i), keyEnds[i]);
            if (!Arrays.equals(key, keyCodec.encode(rows, i))) {
                throw new AssertionError("the key given for row " + i + " is not the row's key");
            }
        }
        return true;
    }

    /** Compares keys {@code a} and {@code b} of a key block, as {@link KeyCodec#compare} does. */
    private static int compareKeys(byte[] keyBytes, int[] keyEnds, int a, int b) {
        return Arrays.compareUnsigned(
                keyBytes, start(keyEnds, a), keyEnds[a], keyBytes, start(keyEnds, b), keyEnds[b]);
    }

    /**
     * Creates a new generation at {@code path} (which must not exist; created as by {@link #write})
     * to be filled with rows already in key order: a streaming write whose memory is one page plus
     * 8 bytes per row (the key filter's hashes, kept until {@link Appender#finish}). Rows appended
     * in the same order give the same bytes as {@link #write} of those rows.
     *
     * @param allocator where page buffers are allocated; all are released by {@link Appender#close}
     * @throws IOException if the file exists already or cannot be created
     */
    public Appender open(Path path, BufferAllocator allocator) throws IOException {
        return open(path, allocator, null, -1, Set.of(), false);
    }

    /**
     * Like {@link #open(Path, BufferAllocator)}, telling {@code listener} (if not {@code null})
     * what the appender writes, as {@link #write(Path, VectorSchemaRoot, BitSet, BufferAllocator,
     * Listener)} does: each page as it is written, then the file's length and tail once {@link
     * Appender#finish} completed, or {@link Listener#failed} if the appender closes unfinished.
     */
    public Appender open(Path path, BufferAllocator allocator, @Nullable Listener listener)
            throws IOException {
        return open(path, allocator, listener, -1, Set.of(), false);
    }

    /**
     * Like {@link #open(Path, BufferAllocator, Listener)}, storing the string columns named in
     * {@code stringViews} as Arrow string views when this writer writes format version {@value
     * #FORMAT_VERSION} (ignored in older versions): every value appended to such a column must be
     * at most 12 bytes, as when every input of a merge stored the column as views ({@link
     * Generation#stringViewColumns}).
     *
     * @throws IllegalArgumentException if a name in {@code stringViews} is not a string column
     */
    public Appender open(
            Path path,
            BufferAllocator allocator,
            @Nullable Listener listener,
            Set<String> stringViews)
            throws IOException {
        for (String name : stringViews) {
            Field f = fileSchema.findField(name);
            if (f == null || !StringViews.isString(f)) {
                throw new IllegalArgumentException(
                        "'" + name + "' is not a string column of " + schema);
            }
        }
        return open(path, allocator, listener, -1, stringViews, false);
    }

    /**
     * Like {@link #open(Path, BufferAllocator, Listener, Set)}.
     *
     * @param rowCount how many rows will be appended, if known (the key filter is then filled as
     *     rows come, not from hashes kept until {@link Appender#finish}), else -1
     * @param keysSorted whether the caller appends keys in strictly increasing order by
     *     construction (sorted and de-duplicated by {@link #write}), so that the appender need not
     *     check them
     */
    private Appender open(
            Path path,
            BufferAllocator allocator,
            @Nullable Listener listener,
            int rowCount,
            Set<String> stringViews,
            boolean keysSorted)
            throws IOException {
        requireNonNull(path, "path");
        requireNonNull(allocator, "allocator");
        Set<String> views =
                formatVersion >= GenerationFormat.FORMAT_VERSION ? stringViews : Set.of();
        FileSystem fs = path.getFileSystem();
        FSDataOutputStream stream = fs.create(path, FileSystem.WriteMode.NO_OVERWRITE);
        Appender appender = null;
        try {
            appender =
                    new Appender(
                            path, fs, stream, allocator, listener, rowCount, views, keysSorted);
            return appender;
        } finally {
            if (appender == null) {
                abort(path, fs, stream);
            }
        }
    }

    private static void abort(Path path, FileSystem fs, FSDataOutputStream stream) {
        try {
            stream.close();
        } catch (IOException | RuntimeException e) {
            // the write failed already; that error is the one to report
        }
        try {
            fs.delete(path, false);
        } catch (IOException | RuntimeException e) {
            // best-effort: an orphan file is harmless, a cleanup removes it
        }
    }

    /** Returns the row indexes to write: by key, and of each key only the last row written. */
    private static int[] sortAndDeduplicate(byte[] keyBytes, int[] keyEnds, int n) {
        int[] order = new int[n];
        long[] prefixes = new long[n];
        int shared = sharedPrefixLength(keyBytes, keyEnds, n);
        // Keys of one length whose bytes after the shared ones fit in a prefix: equal prefixes
        // are equal keys (a BIGINT key's), and the whole keys need never be compared.
        boolean prefixIsKey = n > 0 && sameLength(keyEnds, n) && keyEnds[0] - shared <= Long.BYTES;
        for (int i = 0; i < n; i++) {
            order[i] = i;
            prefixes[i] = prefix(keyBytes, start(keyEnds, i) + shared, keyEnds[i]);
        }
        // A stable sort by key: for one key, rows stay in index order, the last written last.
        // Its scratch array, free once it returns, then collects the rows kept.
        int[] kept = new int[n];
        sortByKey(keyBytes, keyEnds, prefixes, prefixIsKey, order, new long[n], kept, 0, n);
        int count = 0;
        for (int i = 0; i < n; i++) {
            boolean lastOfKey =
                    i + 1 == n
                            || prefixes[i] != prefixes[i + 1]
                            || !prefixIsKey
                                    && compareKeys(keyBytes, keyEnds, order[i], order[i + 1]) != 0;
            if (lastOfKey) {
                kept[count++] = order[i];
            }
        }
        return count == n ? kept : Arrays.copyOf(kept, count);
    }

    /** Whether all {@code n} keys of a key block have the same length. */
    private static boolean sameLength(int[] keyEnds, int n) {
        for (int i = 1; i < n; i++) {
            if (keyEnds[i] - keyEnds[i - 1] != keyEnds[0]) {
                return false;
            }
        }
        return true;
    }

    /** How many leading bytes all {@code n} keys of a key block have in common. */
    private static int sharedPrefixLength(byte[] keyBytes, int[] keyEnds, int n) {
        if (n == 0) {
            return 0;
        }
        int shared = keyEnds[0];
        for (int i = 1; i < n && shared > 0; i++) {
            int from = keyEnds[i - 1];
            int length = keyEnds[i] - from;
            int mismatch =
                    Arrays.mismatch(
                            keyBytes, 0, shared, keyBytes, from, from + Math.min(shared, length));
            if (mismatch >= 0) {
                shared = mismatch;
            }
        }
        return shared;
    }

    /**
     * The up to 8 bytes {@code keyBytes[from, to)} as an unsigned big-endian number, zero-padded on
     * the right: of two keys with the same bytes before {@code from}, the one with the smaller
     * prefix sorts first; equal prefixes say nothing, the whole keys decide.
     */
    private static long prefix(byte[] keyBytes, int from, int to) {
        int end = Math.min(to, from + Long.BYTES);
        long prefix = 0;
        for (int i = from; i < end; i++) {
            prefix = (prefix << 8) | (keyBytes[i] & 0xFF);
        }
        return prefix << (8 * (Long.BYTES - (end - from)));
    }

    /**
     * Orders rows {@code a} and {@code b} by key, their key prefixes ({@link #prefix}) first, the
     * whole keys only where these are equal and do not hold the whole keys ({@code prefixIsKey}).
     */
    private static int compareKeys(
            byte[] keyBytes,
            int[] keyEnds,
            boolean prefixIsKey,
            int a,
            long prefixA,
            int b,
            long prefixB) {
        if (prefixA != prefixB) {
            return Long.compareUnsigned(prefixA, prefixB);
        }
        return prefixIsKey ? 0 : compareKeys(keyBytes, keyEnds, a, b);
    }

    /**
     * Sorts {@code order[from, to)} by the keys of the rows they name, stably, moving {@code
     * prefixes[from, to)} (each row's key prefix, {@link #prefix}) with them: a merge sort on
     * primitives (no boxing) that compares the prefixes held beside the indexes, so most compares
     * touch no key bytes, and that skips the merge of halves already in order, so rows written in
     * key order sort in linear time.
     */
    private static void sortByKey(
            byte[] keyBytes,
            int[] keyEnds,
            long[] prefixes,
            boolean prefixIsKey,
            int[] order,
            long[] prefixScratch,
            int[] scratch,
            int from,
            int to) {
        int length = to - from;
        if (length < 16) {
            for (int i = from + 1; i < to; i++) {
                int x = order[i];
                long px = prefixes[i];
                int j = i - 1;
                while (j >= from
                        && compareKeys(keyBytes, keyEnds, prefixIsKey, order[j], prefixes[j], x, px)
                                > 0) {
                    order[j + 1] = order[j];
                    prefixes[j + 1] = prefixes[j];
                    j--;
                }
                order[j + 1] = x;
                prefixes[j + 1] = px;
            }
            return;
        }
        int mid = (from + to) >>> 1;
        sortByKey(
                keyBytes, keyEnds, prefixes, prefixIsKey, order, prefixScratch, scratch, from, mid);
        sortByKey(keyBytes, keyEnds, prefixes, prefixIsKey, order, prefixScratch, scratch, mid, to);
        if (compareKeys(
                        keyBytes,
                        keyEnds,
                        prefixIsKey,
                        order[mid - 1],
                        prefixes[mid - 1],
                        order[mid],
                        prefixes[mid])
                <= 0) {
            return;
        }
        System.arraycopy(order, from, scratch, from, length);
        System.arraycopy(prefixes, from, prefixScratch, from, length);
        int i = from;
        int j = mid;
        for (int k = from; k < to; k++) {
            if (j >= to
                    || (i < mid
                            && compareKeys(
                                            keyBytes,
                                            keyEnds,
                                            prefixIsKey,
                                            scratch[i],
                                            prefixScratch[i],
                                            scratch[j],
                                            prefixScratch[j])
                                    <= 0)) {
                order[k] = scratch[i];
                prefixes[k] = prefixScratch[i++];
            } else {
                order[k] = scratch[j];
                prefixes[k] = prefixScratch[j++];
            }
        }
    }

    /**
     * A generation being written from rows in strictly increasing key order ({@link #open}): rows
     * are copied into a page of about {@link Builder#targetPageBytes}, written when full; {@link
     * #finish} writes the last page and the footer. Closing an appender that did not finish deletes
     * the partial file (best-effort). Not thread-safe.
     */
    @Internal
    public final class Appender implements AutoCloseable {
        private final Path path;
        private final FileSystem fs;
        private final FSDataOutputStream stream;
        private final ChecksummingChannel channel;
        @Nullable private final Listener listener;
        // ArrowFileWriter reads this map when it writes the footer in end(): it is filled in
        // finish(), once the pages are written and their checksums known.
        private final Map<String, String> footerMetadata = new HashMap<>();
        private final VectorSchemaRoot page;

        /** The file's schema: {@link #fileSchema} with the string view columns as views. */
        private final Schema storedSchema;

        /**
         * The page as it is stored: {@link #page} itself, or with each string view column's vector
         * (in {@link #views}, filled from the page's) in place of the page's.
         */
        private final VectorSchemaRoot storedPage;

        /** The string view columns' vectors of {@link #storedPage}, and their indexes in it. */
        private final ViewVarCharVector[] views;

        private final int[] viewColumns;
        private final PageFileWriter writer;
        private final PageEncoder encoder;
        private final FieldVector[] targets;
        private final TinyIntVector kinds;
        private final RowSizer sizer;
        private final List<Integer> pageRows = new ArrayList<>();
        private final List<Integer> pageCrcs = new ArrayList<>();
        private final List<byte[]> firstKeys = new ArrayList<>();

        /** The key filter, when the row count is known up front; else null and hashes are kept. */
        @Nullable private final BloomFilter knownFilter;

        private final int expectedRows;

        /** Whether the keys come in order by construction, so {@link #append} does not check. */
        private final boolean keysSorted;

        private long[] hashes;
        private int rows;
        private long tombstones;
        private int count;
        private long bytes;
        // The Arrow bytes (estimated) at which the page is cut: the target, or with a target of
        // stored bytes, the target divided by the ratio of stored to Arrow bytes of the pages
        // written so far, within [target, MAX_DECODED_PER_STORED_PAGE_BYTES x target].
        private long pageLimit = targetPageBytes;
        private long writtenEstimate;
        private long writtenStored;
        private byte[] minKey;
        // the previous row's key: lastKeyBytes[lastKeyFrom, lastKeyTo), the caller's array
        private byte[] lastKeyBytes;
        private int lastKeyFrom;
        private int lastKeyTo;
        private boolean finished;
        private boolean closed;

        private Appender(
                Path path,
                FileSystem fs,
                FSDataOutputStream stream,
                BufferAllocator allocator,
                @Nullable Listener listener,
                int rowCount,
                Set<String> stringViews,
                boolean keysSorted)
                throws IOException {
            this.path = path;
            this.keysSorted = keysSorted;
            this.fs = fs;
            this.stream = stream;
            this.listener = listener;
            this.channel = new ChecksummingChannel(stream);
            this.expectedRows = rowCount;
            this.knownFilter =
                    rowCount >= 0 ? BloomFilter.create(rowCount, falsePositiveRate) : null;
            this.hashes = rowCount >= 0 ? null : new long[256];
            this.page = VectorSchemaRoot.create(fileSchema, allocator);
            this.storedSchema = StringViews.stored(fileSchema, stringViews);
            this.views = new ViewVarCharVector[stringViews.size()];
            this.viewColumns = new int[stringViews.size()];
            PageEncoder created = null;
            boolean opened = false;
            VectorSchemaRoot stored = page;
            try {
                if (!stringViews.isEmpty()) {
                    List<FieldVector> vectors = new ArrayList<>(page.getFieldVectors());
                    int v = 0;
                    for (int c = 0; c < vectors.size(); c++) {
                        Field f = storedSchema.getFields().get(c);
                        if (StringViews.isView(f)) {
                            viewColumns[v] = c;
                            views[v] = new ViewVarCharVector(f, allocator);
                            vectors.set(c, views[v++]);
                        }
                    }
                    stored = new VectorSchemaRoot(vectors);
                }
                PageEncoder.BufferCompressor compressor;
                try {
                    compressor = compressors.create(compression);
                } catch (RuntimeException | LinkageError e) {
                    // e.g. NoClassDefFoundError: zstd-jni is not on the class path
                    throw new PageEncodingException(
                            path.toString(),
                            "cannot create the " + compression + " codec: " + e,
                            e);
                }
                created = new PageEncoder(allocator, compressor, compression.toString());
                this.encoder = created;
                this.writer = new PageFileWriter(stored, channel, footerMetadata);
                writer.start();
                opened = true;
            } finally {
                if (!opened) {
                    try {
                        if (created != null) {
                            created.close();
                        }
                    } finally {
                        closePage();
                    }
                }
            }
            this.storedPage = stored;
            List<FieldVector> vectors = page.getFieldVectors();
            this.targets = vectors.subList(0, vectors.size() - 1).toArray(new FieldVector[0]);
            this.kinds = (TinyIntVector) vectors.get(vectors.size() - 1);
            this.sizer = new RowSizer(targets);
        }

        /**
         * Appends row {@code row} of {@code columns} (vectors of this writer's columns, in schema
         * order; further vectors are ignored), a tombstone if {@code delete}, whose encoded key is
         * {@code key}; the key must follow the previous row's. The appender keeps references to
         * some keys: do not modify them.
         *
         * @throws IllegalArgumentException if {@code key} is not greater than the previous key
         * @throws IllegalStateException if the appender finished or closed
         * @throws IOException if a full page cannot be written
         */
        public void append(byte[] key, FieldVector[] columns, int row, boolean delete)
                throws IOException {
            append(key, 0, key.length, columns, row, delete);
        }

        /**
         * As {@link #append(byte[], FieldVector[], int, boolean)}, the key {@code keys[from, to)},
         * so that a caller holding many keys in one array need not copy each: the appender keeps
         * references to {@code keys}; do not modify it.
         *
         * @throws IllegalArgumentException if the key is not greater than the previous key
         */
        public void append(
                byte[] keys, int from, int to, FieldVector[] columns, int row, boolean delete)
                throws IOException {
            if (finished || closed) {
                throw new IllegalStateException("appending to a finished generation " + path);
            }
            if (!keysSorted
                    && lastKeyBytes != null
                    && Arrays.compareUnsigned(keys, from, to, lastKeyBytes, lastKeyFrom, lastKeyTo)
                            <= 0) {
                throw new IllegalArgumentException(
                        "rows must be appended in strictly increasing key order");
            }
            if (count > 0 && bytes >= pageLimit) {
                writePage();
            }
            if (count == 0) {
                if (pageRows.isEmpty()) {
                    allocatePage(columns, row);
                } else {
                    for (FieldVector v : page.getFieldVectors()) {
                        v.reset();
                    }
                }
                firstKeys.add(Arrays.copyOfRange(keys, from, to));
            }
            for (int c = 0; c < targets.length; c++) {
                targets[c].copyFromSafe(row, count, columns[c]);
            }
            RowKind kind = delete ? RowKind.DELETE : RowKind.UPSERT;
            if (delete) {
                tombstones++;
            }
            kinds.setSafe(count, kind.code());
            long hash = BloomFilter.hash(keys, from, to);
            if (knownFilter != null) {
                knownFilter.putHash(hash);
                rows++;
            } else {
                if (rows == hashes.length) {
                    hashes = Arrays.copyOf(hashes, rows * 2);
                }
                hashes[rows++] = hash;
            }
            bytes += sizer.bytes(columns, row);
            count++;
            if (minKey == null) {
                minKey = Arrays.copyOfRange(keys, from, to);
            }
            lastKeyBytes = keys;
            lastKeyFrom = from;
            lastKeyTo = to;
        }

        /**
         * Allocates the page's vectors once, for the rows a page holds if its rows are like {@code
         * row} of {@code columns} (at the most Arrow bytes a page may reach, and no more rows than
         * announced): filling vectors allocated empty grows each buffer by doubling, a copy each
         * time, on every generation's first page.
         */
        private void allocatePage(FieldVector[] columns, int row) {
            long limit =
                    storedPageBytes
                            ? targetPageBytes * MAX_DECODED_PER_STORED_PAGE_BYTES
                            : targetPageBytes;
            long rowsPerPage = limit / Math.max(1, sizer.bytes(columns, row)) + 1;
            if (expectedRows >= 0) {
                rowsPerPage = Math.min(rowsPerPage, expectedRows);
            }
            int capacity = (int) Math.max(1, Math.min(rowsPerPage, MAX_ALLOCATED_PAGE_ROWS));
            for (int c = 0; c < targets.length; c++) {
                FieldVector v = targets[c];
                if (v instanceof DensityAwareVector sized
                        && columns[c] instanceof VariableWidthFieldVector values) {
                    sized.setInitialCapacity(capacity, Math.max(1, values.getValueLength(row)));
                } else {
                    v.setInitialCapacity(capacity);
                }
                v.allocateNew();
            }
            kinds.setInitialCapacity(capacity);
            kinds.allocateNew();
        }

        private void writePage() throws IOException {
            page.setRowCount(count);
            for (int v = 0; v < views.length; v++) {
                StringViews.copy((VarCharVector) targets[viewColumns[v]], views[v], count);
            }
            storedPage.setRowCount(count);
            channel.resetChecksum();
            long start = channel.position();
            try (ArrowRecordBatch batch =
                    encoder.encode(storedPage, path.toString(), pageRows.size())) {
                writer.writePage(batch);
            }
            ArrowBlock block = writer.getRecordBlocks().get(pageRows.size());
            long length = block.getMetadataLength() + block.getBodyLength();
            if (block.getOffset() != start || channel.position() - start != length) {
                throw new IllegalStateException(
                        "page block "
                                + block
                                + " is not the "
                                + (channel.position() - start)
                                + " bytes written from "
                                + start);
            }
            if (listener != null) {
                listener.pageWritten(pageRows.size(), page, ByteRange.of(start, length));
            }
            pageRows.add(count);
            pageCrcs.add(channel.checksum());
            if (storedPageBytes) {
                writtenEstimate += bytes;
                writtenStored += length;
                double limit = (double) targetPageBytes * writtenEstimate / writtenStored;
                pageLimit =
                        (long)
                                Math.max(
                                        targetPageBytes,
                                        Math.min(
                                                limit,
                                                (double) targetPageBytes
                                                        * MAX_DECODED_PER_STORED_PAGE_BYTES));
            }
            count = 0;
            bytes = 0;
        }

        /**
         * Writes the last page and the footer, then flushes, syncs and closes the file.
         *
         * @return what was written
         * @throws IOException if the file cannot be written (it is then deleted by {@link #close})
         */
        public GenerationStats finish() throws IOException {
            if (finished || closed) {
                throw new IllegalStateException("generation " + path + " finished already");
            }
            if (count > 0) {
                writePage();
            }
            BloomFilter filter;
            if (knownFilter != null) {
                if (rows != expectedRows) {
                    throw new IllegalStateException(
                            rows + " rows appended where " + expectedRows + " were announced");
                }
                filter = knownFilter;
            } else {
                filter = BloomFilter.create(rows, falsePositiveRate);
                for (int i = 0; i < rows; i++) {
                    filter.putHash(hashes[i]);
                }
            }
            byte[] maxKey =
                    rows == 0
                            ? new byte[0]
                            : Arrays.copyOfRange(lastKeyBytes, lastKeyFrom, lastKeyTo);
            GenerationFormat.Index index =
                    new GenerationFormat.Index(
                            formatVersion,
                            keyCodec.keyColumns(),
                            GenerationFormat.footerFingerprint(
                                    storedSchema, keyCodec.keyColumns(), writer.getRecordBlocks()),
                            rows,
                            tombstones,
                            pageRows.stream().mapToInt(Integer::intValue).toArray(),
                            pageCrcs.stream().mapToInt(Integer::intValue).toArray(),
                            firstKeys.toArray(new byte[0][]),
                            maxKey,
                            filter);
            byte[] indexBytes = index.serialize();
            footerMetadata.put(GenerationFormat.META_VERSION, Integer.toString(formatVersion));
            footerMetadata.put(
                    GenerationFormat.META_INDEX_CRC,
                    Integer.toUnsignedString(GenerationFormat.crc32c(indexBytes)));
            if (formatVersion == GenerationFormat.FORMAT_VERSION_BASE64_INDEX) {
                footerMetadata.put(
                        GenerationFormat.META_INDEX,
                        Base64.getEncoder().encodeToString(indexBytes));
            } else {
                writer.index(indexBytes);
            }
            ByteArrayOutputStream tail = listener == null ? null : new ByteArrayOutputStream();
            channel.copyTo(tail);
            writer.end();
            stream.flush();
            stream.sync();
            stream.close();
            finished = true;
            if (listener != null) {
                listener.written(channel.position(), tail.toByteArray());
            }
            return new GenerationStats(
                    rows,
                    tombstones,
                    rows == 0 ? null : minKey.clone(),
                    rows == 0 ? null : maxKey.clone(),
                    channel.position(),
                    pageRows.size());
        }

        /**
         * Releases the page buffers; if {@link #finish} did not complete, also closes and deletes
         * the partial file (best-effort). Idempotent.
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                encoder.close();
            } finally {
                closePage();
            }
            if (!finished) {
                if (listener != null) {
                    listener.failed();
                }
                abort(path, fs, stream);
            }
        }

        private void closePage() {
            try {
                for (ViewVarCharVector v : views) {
                    if (v != null) {
                        v.close();
                    }
                }
            } finally {
                page.close();
            }
        }
    }

    /**
     * Told what a {@link #write} puts in its file, as it writes it: what lets a writer hand the
     * pages it has in memory to a cache (write-through) instead of anyone reading them back. Called
     * on the writing thread; must not throw.
     */
    @Internal
    public interface Listener {

        /**
         * Page {@code page} was written as the block at {@code block} of the file. {@code rows}
         * holds its rows (the file's columns, the row kind last) only until this returns: copy what
         * is kept; do not modify it.
         */
        void pageWritten(int page, VectorSchemaRoot rows, ByteRange block);

        /**
         * The file is complete, synced and closed: {@code fileLength} bytes, the last of which are
         * {@code tail} (everything after the last page: the end-of-stream marker, the key index,
         * the footer and the trailer), from which {@link Generation#ofTail} opens it.
         */
        void written(long fileLength, byte[] tail);

        /** The write failed: nothing of it is to be kept (no {@link #written} follows). */
        void failed();
    }

    /**
     * Arrow's file writer, fed record batches that {@link PageEncoder} made instead of its own
     * unloader's: the schema, blocks and footer are Arrow's. Its end writes Kiln's index between
     * the end-of-stream marker and the footer (format version 3), and the index's place in the
     * footer's metadata.
     */
    private static final class PageFileWriter extends ArrowFileWriter {
        private final Map<String, String> meta;
        @Nullable private byte[] index;

        PageFileWriter(
                VectorSchemaRoot page, ChecksummingChannel channel, Map<String, String> meta) {
            super(page, null, channel, meta);
            this.meta = meta;
        }

        void writePage(ArrowRecordBatch batch) throws IOException {
            writeRecordBatch(batch);
        }

        /** Sets the index that {@link #end} writes before the footer. */
        void index(byte[] indexBytes) {
            this.index = indexBytes;
        }

        /** Arrow's end (ArrowFileWriter.endInternal) with the index before the footer. */
        @Override
        protected void endInternal(WriteChannel out) throws IOException {
            if (index == null) {
                super.endInternal(out);
                return;
            }
            // The end-of-stream marker: a stream reader stops here, before the index.
            out.writeIntLittleEndian(MessageSerializer.IPC_CONTINUATION_TOKEN);
            out.writeIntLittleEndian(0);
            long indexOffset = out.getCurrentPosition();
            out.write(index);
            out.align(); // the footer starts 8-byte aligned, as Arrow's does
            meta.put(GenerationFormat.META_INDEX_OFFSET, Long.toString(indexOffset));
            meta.put(GenerationFormat.META_INDEX_LENGTH, Integer.toString(index.length));
            long footerStart = out.getCurrentPosition();
            out.write(
                    new ArrowFooter(
                            schema,
                            getDictionaryBlocks(),
                            getRecordBlocks(),
                            meta,
                            option.metadataVersion),
                    false);
            int footerLength = (int) (out.getCurrentPosition() - footerStart);
            out.writeIntLittleEndian(footerLength);
            out.write(GenerationFormat.MAGIC);
        }
    }

    /** Estimates the bytes a row adds to a page, from the row's values in the input vectors. */
    private static final class RowSizer {
        private final long fixedBytes;
        private final int[] variable;
        private final int[] largeVariable;
        private final int[] other;

        /** Classifies the columns by the vectors of a page, which have the input's types. */
        RowSizer(FieldVector[] vectors) {
            long fixed = 1; // the row-kind column
            List<Integer> var = new ArrayList<>();
            List<Integer> large = new ArrayList<>();
            List<Integer> rest = new ArrayList<>();
            for (int c = 0; c < vectors.length; c++) {
                ValueVector v = vectors[c];
                if (v instanceof BitVector) {
                    fixed += 1;
                } else if (v instanceof BaseFixedWidthVector) {
                    fixed += ((BaseFixedWidthVector) v).getTypeWidth();
                } else if (v instanceof BaseLargeVariableWidthVector) {
                    large.add(c);
                } else if (v instanceof VariableWidthFieldVector) {
                    var.add(c);
                } else {
                    rest.add(c);
                }
            }
            this.fixedBytes = fixed;
            this.variable = var.stream().mapToInt(Integer::intValue).toArray();
            this.largeVariable = large.stream().mapToInt(Integer::intValue).toArray();
            this.other = rest.stream().mapToInt(Integer::intValue).toArray();
        }

        long bytes(FieldVector[] vectors, int row) {
            long total = fixedBytes;
            for (int c : variable) {
                total += 4 + ((VariableWidthFieldVector) vectors[c]).getValueLength(row);
            }
            for (int c : largeVariable) {
                total += 8 + ((VariableWidthFieldVector) vectors[c]).getValueLength(row);
            }
            for (int c : other) {
                // other vectors: their average row size in the input
                total += vectors[c].getBufferSize() / Math.max(1, vectors[c].getValueCount());
            }
            return total;
        }
    }

    /**
     * Builds a {@link GenerationWriter}. Not thread-safe; each {@link #build()} returns an
     * independent writer.
     */
    @Internal
    public static final class Builder {
        private final Schema schema;
        private final List<String> keyColumns;
        private long targetPageBytes = DEFAULT_TARGET_PAGE_BYTES;
        private boolean storedPageBytes;
        private double falsePositiveRate = DEFAULT_FILTER_FALSE_POSITIVE_RATE;
        private PageCompression compression = PageCompression.NONE;
        private PageEncoder.CompressorFactory compressors = PageEncoder.CODECS;
        private int formatVersion = FORMAT_VERSION;

        private Builder(Schema schema, List<String> keyColumns) {
            this.schema = requireNonNull(schema, "schema");
            this.keyColumns = List.copyOf(requireNonNull(keyColumns, "keyColumns"));
            GenerationFormat.checkSchema(schema);
            KeyCodec.of(schema, this.keyColumns); // validates the key columns now
        }

        /**
         * Sets the size a page should reach before the next row starts a new page, in bytes of
         * Arrow buffers (estimated from the rows' values); a page holds at least one row. Replaces
         * a {@link #targetStoredPageBytes} set before.
         *
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder targetPageBytes(long bytes) {
            this.targetPageBytes = checkPositive("targetPageBytes", bytes);
            this.storedPageBytes = false;
            return this;
        }

        /**
         * Sets the size a page should reach on storage (compressed, with its header) before the
         * next row starts a new page; replaces a {@link #targetPageBytes} set before. The writer
         * cannot know a page's compressed size before it writes it: it cuts each page at the target
         * divided by the ratio of bytes on storage to Arrow bytes of the pages of the file written
         * so far (the first page at the target in Arrow bytes), and never above {@value
         * #MAX_DECODED_PER_STORED_PAGE_BYTES} times the target in Arrow bytes. A compressed page
         * then holds more rows (and takes more memory decoded) than one cut at the same {@link
         * #targetPageBytes}; an uncompressed page the same.
         *
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder targetStoredPageBytes(long bytes) {
            this.targetPageBytes = checkPositive("targetStoredPageBytes", bytes);
            this.storedPageBytes = true;
            return this;
        }

        private static long checkPositive(String option, long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException(option + " must be positive, but was " + bytes);
            }
            return bytes;
        }

        /**
         * Sets the false-positive rate the key filter is sized for.
         *
         * @throws IllegalArgumentException if {@code rate} is not in (0, 1)
         */
        public Builder filterFalsePositiveRate(double rate) {
            if (!(rate > 0 && rate < 1)) {
                throw new IllegalArgumentException(
                        "filterFalsePositiveRate must be in (0, 1), but was " + rate);
            }
            this.falsePositiveRate = rate;
            return this;
        }

        /**
         * Sets how page buffers are compressed (default {@link PageCompression#NONE}). With {@link
         * #targetPageBytes}, pages are cut at that many uncompressed Arrow bytes, so a cached
         * (decoded) page has the same size whatever the codec; with {@link #targetStoredPageBytes},
         * at that many bytes on storage.
         */
        public Builder compression(PageCompression compression) {
            this.compression = requireNonNull(compression, "compression");
            return this;
        }

        /** Replaces the codecs (tests: a wrapper that injects failures into the real one). */
        Builder compressors(PageEncoder.CompressorFactory compressors) {
            this.compressors = requireNonNull(compressors, "compressors");
            return this;
        }

        /**
         * Sets the generation format version written: {@value #FORMAT_VERSION} (the default: string
         * columns whose values all fit in 12 bytes stored as Arrow string views, chosen per
         * generation), {@value #FORMAT_VERSION_RAW_INDEX} (strings always {@code Utf8}, which Kiln
         * releases before version {@value #FORMAT_VERSION} read) or {@value
         * #FORMAT_VERSION_BASE64_INDEX} (also the index Base64 in the footer's metadata, about 0.4
         * B per row more, which Kiln releases before version {@value #FORMAT_VERSION_RAW_INDEX}
         * read). Readers read all three.
         *
         * @throws IllegalArgumentException naming {@code generationFormatVersion} if it is none
         */
        public Builder formatVersion(int version) {
            if (version != FORMAT_VERSION
                    && version != FORMAT_VERSION_RAW_INDEX
                    && version != FORMAT_VERSION_BASE64_INDEX) {
                throw new IllegalArgumentException(
                        "generationFormatVersion must be "
                                + FORMAT_VERSION_BASE64_INDEX
                                + ", "
                                + FORMAT_VERSION_RAW_INDEX
                                + " or "
                                + FORMAT_VERSION
                                + ", but was "
                                + version);
            }
            this.formatVersion = version;
            return this;
        }

        /** Returns a writer with this builder's settings. */
        public GenerationWriter build() {
            return new GenerationWriter(this);
        }
    }
}
