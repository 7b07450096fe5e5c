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
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;
import dev.kiln.io.ShortReadException;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.BufferLayout;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;

import java.io.EOFException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * An open generation: its schema, key index, key filter and page locations, read from the file's
 * footer with at most two range reads. Pages are then read one range each (or several pages with
 * coalesced reads) and decoded from their bytes alone; a generation is never read whole.
 *
 * <p>An open generation holds no Arrow memory and no open stream, so it needs no closing and may be
 * cached and shared freely. It keeps the {@link RangeReader} it was opened with for reading pages.
 *
 * <p>Threading: thread-safe and immutable. Methods returning futures never block: I/O runs on the
 * range reader's executor, and decoding in the future-returning conveniences ({@link #loadPage},
 * {@link #lookup}, ...) runs on the thread that completes the read. Callers that want decoding on
 * their own executor use {@link #readPages} and {@link #decodePage}, which is pure CPU.
 *
 * <p>Errors: a file that cannot be trusted fails the future (or throws, for {@link #decodePage})
 * with {@link CorruptGenerationException} naming the path and offset; storage failures fail it with
 * the range reader's {@link java.io.IOException}. Futures fail with a {@link CompletionException}
 * whose cause is that exception when observed through {@code join()}.
 */
@Internal
public final class Generation {

    /**
     * Default number of bytes read from the end of the file when opening: 64 KiB, which holds the
     * footer of a generation of up to a few tens of thousands of rows in one read.
     */
    public static final int DEFAULT_TAIL_GUESS_BYTES = 64 * 1024;

    /** Trailer: int32 footer length, then the magic. */
    private static final int TRAILER_BYTES = 4 + 6;

    /** Leading magic padded to 8 bytes. */
    private static final int HEADER_BYTES = 8;

    private final RangeReader io;
    private final Path path;
    private final long fileLength;
    private final Schema schema;
    private final Schema fileSchema;
    private final KeyCodec keyCodec;
    private final GenerationFormat.Index index;
    private final List<ArrowBlock> blocks;

    private Generation(
            RangeReader io,
            Path path,
            long fileLength,
            Schema schema,
            Schema fileSchema,
            KeyCodec keyCodec,
            GenerationFormat.Index index,
            List<ArrowBlock> blocks) {
        this.io = io;
        this.path = path;
        this.fileLength = fileLength;
        this.schema = schema;
        this.fileSchema = fileSchema;
        this.keyCodec = keyCodec;
        this.index = index;
        this.blocks = blocks;
    }

    /**
     * Opens the generation at {@code path}: one length request, then at most two range reads.
     *
     * @see #open(RangeReader, Path, long, int)
     */
    public static CompletableFuture<Generation> open(RangeReader io, Path path) {
        requireNonNull(io, "io");
        requireNonNull(path, "path");
        return io.length(path).thenCompose(length -> open(io, path, length));
    }

    /**
     * Opens the generation at {@code path} of known length (as recorded by the writer's {@link
     * GenerationStats#fileBytes()}), reading {@value #DEFAULT_TAIL_GUESS_BYTES} bytes from its end.
     *
     * @see #open(RangeReader, Path, long, int)
     */
    public static CompletableFuture<Generation> open(RangeReader io, Path path, long fileLength) {
        return open(io, path, fileLength, DEFAULT_TAIL_GUESS_BYTES);
    }

    /**
     * Opens the generation at {@code path} of {@code fileLength} bytes: reads the last {@code
     * tailGuessBytes} bytes (or the whole file if shorter) and, only if the footer begins before
     * them, one more range with the rest of the footer. No other request is made.
     *
     * @throws IllegalArgumentException if {@code fileLength} is negative or {@code tailGuessBytes}
     *     is less than 16
     * @return a future of the open generation; it fails with {@link CorruptGenerationException} if
     *     the file is too short, lacks the trailing Arrow magic (the leading one is checked only
     *     when the tail read covers the whole file: a third read is not worth it, and page
     *     checksums catch a damaged start), has a bad footer or index (the index's checksum, the
     *     footer's schema and record-batch blocks against the fingerprint in the index, blocks
     *     within the file before the footer, a schema of types generations hold), or is shorter
     *     than {@code fileLength}; with {@link UnsupportedFormatVersionException} if its format
     *     version is not this reader's (only {@value GenerationFormat#FORMAT_VERSION} is read)
     */
    public static CompletableFuture<Generation> open(
            RangeReader io, Path path, long fileLength, int tailGuessBytes) {
        requireNonNull(io, "io");
        requireNonNull(path, "path");
        if (fileLength < 0) {
            throw new IllegalArgumentException(
                    "fileLength must not be negative, but was " + fileLength);
        }
        if (tailGuessBytes < 16) {
            throw new IllegalArgumentException(
                    "tailGuessBytes must be at least 16, but was " + tailGuessBytes);
        }
        if (fileLength < HEADER_BYTES + TRAILER_BYTES) {
            return CompletableFuture.failedFuture(
                    new CorruptGenerationException(
                            path,
                            0,
                            "file of "
                                    + fileLength
                                    + " bytes is too short to be an Arrow IPC file"));
        }
        long tailStart = Math.max(0, fileLength - tailGuessBytes);
        return read(io, path, ByteRange.of(tailStart, fileLength - tailStart))
                .thenCompose(
                        tail -> {
                            long footerStart = footerStart(path, fileLength, tailStart, tail);
                            int footerLength = (int) (fileLength - TRAILER_BYTES - footerStart);
                            if (footerStart >= tailStart) {
                                int from = (int) (footerStart - tailStart);
                                byte[] footer = Arrays.copyOfRange(tail, from, from + footerLength);
                                return CompletableFuture.completedFuture(footer);
                            }
                            ByteRange head = ByteRange.of(footerStart, tailStart - footerStart);
                            return read(io, path, head)
                                    .thenApply(
                                            bytes -> {
                                                byte[] footer = Arrays.copyOf(bytes, footerLength);
                                                System.arraycopy(
                                                        tail,
                                                        0,
                                                        footer,
                                                        bytes.length,
                                                        footerLength - bytes.length);
                                                return footer;
                                            });
                        })
                .thenApply(
                        footer -> {
                            long footerStart = fileLength - TRAILER_BYTES - footer.length;
                            try {
                                return parse(io, path, fileLength, footerStart, footer);
                            } catch (CorruptGenerationException e) {
                                throw new CompletionException(e);
                            }
                        });
    }

    /** Checks the trailer in {@code tail} and returns the footer's offset. */
    private static long footerStart(Path path, long fileLength, long tailStart, byte[] tail) {
        int magicAt = tail.length - GenerationFormat.MAGIC.length;
        if (!Arrays.equals(
                tail,
                magicAt,
                tail.length,
                GenerationFormat.MAGIC,
                0,
                GenerationFormat.MAGIC.length)) {
            throw corrupt(
                    path,
                    fileLength - GenerationFormat.MAGIC.length,
                    "no Arrow magic 'ARROW1' at the end of the file (truncated, or not an Arrow"
                            + " IPC file)");
        }
        if (tailStart == 0
                && !Arrays.equals(
                        tail,
                        0,
                        GenerationFormat.MAGIC.length,
                        GenerationFormat.MAGIC,
                        0,
                        GenerationFormat.MAGIC.length)) {
            throw corrupt(path, 0, "no Arrow magic 'ARROW1' at the start of the file");
        }
        int footerLength =
                ByteBuffer.wrap(tail, tail.length - TRAILER_BYTES, 4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt();
        long footerStart = fileLength - TRAILER_BYTES - (long) footerLength;
        if (footerLength <= 0 || footerStart < HEADER_BYTES) {
            throw corrupt(
                    path,
                    fileLength - TRAILER_BYTES,
                    "invalid footer length " + footerLength + " in a file of " + fileLength);
        }
        return footerStart;
    }

    private static Generation parse(
            RangeReader io, Path path, long fileLength, long footerStart, byte[] footerBytes)
            throws CorruptGenerationException {
        ArrowFooter footer;
        try {
            footer = new ArrowFooter(Footer.getRootAsFooter(ByteBuffer.wrap(footerBytes)));
        } catch (RuntimeException e) {
            throw new CorruptGenerationException(
                    path, footerStart, "cannot parse the Arrow footer: " + e, e);
        }
        Map<String, String> meta = footer.getMetaData();
        String version = meta == null ? null : meta.get(GenerationFormat.META_VERSION);
        if (version == null) {
            throw new CorruptGenerationException(
                    path,
                    footerStart,
                    "the footer has no "
                            + GenerationFormat.META_VERSION
                            + ": not a Kiln generation, or a damaged footer");
        }
        if (!version.equals(Integer.toString(GenerationFormat.FORMAT_VERSION))) {
            throw new UnsupportedFormatVersionException(path, footerStart, version);
        }
        GenerationFormat.Index index = parseIndex(path, footerStart, meta);

        Schema fileSchema;
        List<ArrowBlock> blocks;
        long fingerprint;
        try {
            fileSchema = footer.getSchema();
            blocks = List.copyOf(footer.getRecordBatches());
            fingerprint = GenerationFormat.footerFingerprint(fileSchema, index.keyColumns, blocks);
        } catch (RuntimeException e) {
            throw new CorruptGenerationException(
                    path, footerStart, "cannot read the footer's schema: " + e, e);
        }
        if (fingerprint != index.footerFingerprint) {
            throw new CorruptGenerationException(
                    path,
                    footerStart,
                    "the footer's schema and record batch blocks do not match the fingerprint in"
                            + " the checksummed index (a damaged footer)");
        }
        Schema schema;
        KeyCodec codec;
        try {
            List<Field> fields = fileSchema.getFields();
            Field kind = fields.isEmpty() ? null : fields.get(fields.size() - 1);
            if (kind == null || !kind.equals(GenerationFormat.kindField())) {
                throw new IllegalArgumentException(
                        "the last column is not " + GenerationFormat.kindField());
            }
            schema =
                    new Schema(
                            fields.subList(0, fields.size() - 1), fileSchema.getCustomMetadata());
            GenerationFormat.checkSchema(schema);
            codec = KeyCodec.of(schema, index.keyColumns);
        } catch (RuntimeException e) {
            throw new CorruptGenerationException(
                    path, footerStart, "invalid schema in the footer: " + e.getMessage(), e);
        }
        checkBlocks(path, footerStart, footer, index, blocks);
        return new Generation(io, path, fileLength, schema, fileSchema, codec, index, blocks);
    }

    private static GenerationFormat.Index parseIndex(
            Path path, long footerStart, Map<String, String> meta)
            throws CorruptGenerationException {
        String encoded = meta.get(GenerationFormat.META_INDEX);
        String crc = meta.get(GenerationFormat.META_INDEX_CRC);
        if (encoded == null || crc == null) {
            throw new CorruptGenerationException(path, footerStart, "the footer has no key index");
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(encoded);
            int expected = Integer.parseUnsignedInt(crc);
            int actual = GenerationFormat.crc32c(bytes);
            if (expected != actual) {
                throw new CorruptGenerationException(
                        path,
                        footerStart,
                        "key index checksum mismatch (expected "
                                + Integer.toUnsignedString(expected)
                                + ", computed "
                                + Integer.toUnsignedString(actual)
                                + ")");
            }
            return GenerationFormat.Index.parse(bytes);
        } catch (CorruptGenerationException e) {
            throw e;
        } catch (Exception e) {
            throw new CorruptGenerationException(path, footerStart, "invalid key index: " + e, e);
        }
    }

    private static void checkBlocks(
            Path path,
            long footerStart,
            ArrowFooter footer,
            GenerationFormat.Index index,
            List<ArrowBlock> blocks)
            throws CorruptGenerationException {
        if (!footer.getDictionaries().isEmpty()) {
            throw new CorruptGenerationException(
                    path, footerStart, "generations have no dictionary batches");
        }
        int pages = index.pageRows.length;
        if (blocks.size() != pages) {
            throw new CorruptGenerationException(
                    path,
                    footerStart,
                    "the footer lists " + blocks.size() + " record batches, the index " + pages);
        }
        long previousEnd = HEADER_BYTES;
        long rows = 0;
        for (int p = 0; p < pages; p++) {
            ArrowBlock b = blocks.get(p);
            // Every part is compared with what remains before the footer, so nothing overflows.
            long offset = b.getOffset();
            long metadataLength = b.getMetadataLength();
            long bodyLength = b.getBodyLength();
            if (offset < previousEnd
                    || offset > footerStart
                    || metadataLength <= 8
                    || metadataLength > footerStart - offset
                    || bodyLength < 0
                    || bodyLength > footerStart - offset - metadataLength
                    || metadataLength + bodyLength > ByteRange.MAX_LENGTH) {
                throw new CorruptGenerationException(
                        path,
                        footerStart,
                        "record batch block "
                                + p
                                + " (offset "
                                + offset
                                + ", metadata length "
                                + metadataLength
                                + ", body length "
                                + bodyLength
                                + ") does not lie between the previous block's end "
                                + previousEnd
                                + " and the footer");
            }
            if (p > 0 && KeyCodec.compare(index.firstKeys[p - 1], index.firstKeys[p]) >= 0) {
                throw new CorruptGenerationException(
                        path, footerStart, "the key index is not in key order at page " + p);
            }
            // Every row has a row kind of one byte in the body: a page cannot hold more rows than
            // its body has bytes, which bounds what decoding may allocate by the block's size.
            if (index.pageRows[p] <= 0 || index.pageRows[p] > bodyLength) {
                throw new CorruptGenerationException(
                        path,
                        footerStart,
                        "page "
                                + p
                                + " has "
                                + index.pageRows[p]
                                + " rows in the index, which a body of "
                                + bodyLength
                                + " bytes cannot hold");
            }
            previousEnd = offset + metadataLength + bodyLength;
            rows += index.pageRows[p];
        }
        if (rows != index.rowCount) {
            throw new CorruptGenerationException(
                    path,
                    footerStart,
                    "pages hold " + rows + " rows, the index says " + index.rowCount);
        }
    }

    // ------------------------------------------------------------------------------------------

    /** Returns the path this generation was opened from. */
    public Path path() {
        return path;
    }

    /** Returns the file's length in bytes. */
    public long fileLength() {
        return fileLength;
    }

    /** Returns the format version the file was written in. */
    public int formatVersion() {
        return GenerationFormat.FORMAT_VERSION;
    }

    /** Returns the schema of the rows (without the row-kind column). */
    public Schema schema() {
        return schema;
    }

    /** Returns the codec of the primary key, with which lookup keys must be encoded. */
    public KeyCodec keyCodec() {
        return keyCodec;
    }

    /** Returns the number of rows (distinct keys, tombstones included). */
    public long rowCount() {
        return index.rowCount;
    }

    /** Returns the number of tombstones. */
    public long tombstoneCount() {
        return index.tombstoneCount;
    }

    /** Returns the number of pages. */
    public int pageCount() {
        return blocks.size();
    }

    /** Returns the number of rows of page {@code page}. */
    public int pageRowCount(int page) {
        checkPage(page);
        return index.pageRows[page];
    }

    /** Returns the byte range of page {@code page} in the file: its whole Arrow block. */
    public ByteRange pageRange(int page) {
        checkPage(page);
        ArrowBlock b = blocks.get(page);
        return ByteRange.of(b.getOffset(), b.getMetadataLength() + b.getBodyLength());
    }

    /** Returns the smallest encoded key (a copy), or {@code null} if the generation is empty. */
    public byte[] minKey() {
        return blocks.isEmpty() ? null : index.firstKeys[0].clone();
    }

    /** Returns the largest encoded key (a copy), or {@code null} if the generation is empty. */
    public byte[] maxKey() {
        return blocks.isEmpty() ? null : index.maxKey.clone();
    }

    /**
     * Returns the only page that can hold encoded key {@code key}, or -1 if the key is outside the
     * generation's key range. Does not consult the key filter.
     */
    public int pageOf(byte[] key) {
        requireNonNull(key, "key");
        if (blocks.isEmpty()
                || KeyCodec.compare(key, index.firstKeys[0]) < 0
                || KeyCodec.compare(key, index.maxKey) > 0) {
            return -1;
        }
        int low = 0;
        int high = blocks.size() - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (KeyCodec.compare(index.firstKeys[mid], key) <= 0) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /**
     * Returns whether the generation may hold encoded key {@code key}: false if the key is outside
     * its key range or its key filter rules it out (then it is certainly absent), true otherwise
     * (present, or a false positive at about the configured rate).
     */
    public boolean mightContain(byte[] key) {
        return pageOf(key) >= 0 && index.filter.mightContain(key);
    }

    /**
     * Returns the page that may hold encoded key {@code key}, or -1 if {@link #mightContain} is
     * false: {@link #pageOf} and the key filter in one call.
     */
    public int candidatePage(byte[] key) {
        int page = pageOf(key);
        return page >= 0 && index.filter.mightContain(key) ? page : -1;
    }

    /** Reads the bytes of page {@code page} with one range read. */
    public CompletableFuture<byte[]> readPage(int page) {
        return read(io, path, pageRange(page));
    }

    /**
     * Reads the bytes of {@code pages} with one range read per range that {@code coalescer} merges
     * them into, all issued at once.
     *
     * @return a future of each page's bytes, in the order of {@code pages}
     */
    public CompletableFuture<List<byte[]>> readPages(int[] pages, RangeCoalescer coalescer) {
        requireNonNull(pages, "pages");
        requireNonNull(coalescer, "coalescer");
        List<ByteRange> ranges = new ArrayList<>(pages.length);
        for (int p : pages) {
            ranges.add(pageRange(p));
        }
        return coalescer
                .read(io, path, ranges)
                .exceptionally(
                        e -> {
                            Throwable cause = unwrap(e);
                            if (cause instanceof ShortReadException shortRead) {
                                throw corrupt(
                                        path,
                                        shortRead.endOffset(),
                                        "short read: " + cause.getMessage());
                            }
                            throw e instanceof CompletionException
                                    ? (CompletionException) e
                                    : new CompletionException(cause);
                        });
    }

    /**
     * Decodes page {@code page} from its block bytes (as read by {@link #readPage}), after checking
     * their length and CRC32C. Pure CPU; the returned page is owned by the caller.
     *
     * <p>Even bytes whose checksum matches (a writer bug, a hostile file) are not trusted: the
     * record batch's header is checked against the block, the index and the schema before any Arrow
     * memory is allocated (so allocation is bounded by the block's size), the decoded vectors are
     * validated, and every row must have a valid row kind and a non-null key. On any failure,
     * everything allocated is released before this method throws.
     *
     * @throws CorruptGenerationException if the bytes fail the checksum or cannot be decoded
     * @throws OutOfMemoryException (Arrow's, unchecked) if {@code allocator} cannot hold the page:
     *     a limit of the caller's allocator, not damage, so it is passed on as it is
     */
    public Page decodePage(int page, byte[] blockBytes, BufferAllocator allocator)
            throws CorruptGenerationException {
        requireNonNull(blockBytes, "blockBytes");
        requireNonNull(allocator, "allocator");
        ArrowBlock block = blocks.get(checkPage(page));
        long length = block.getMetadataLength() + block.getBodyLength();
        if (blockBytes.length != length) {
            throw new CorruptGenerationException(
                    path,
                    block.getOffset(),
                    "page " + page + " has " + length + " bytes, but got " + blockBytes.length);
        }
        int crc = GenerationFormat.crc32c(blockBytes);
        if (crc != index.pageCrcs[page]) {
            throw new CorruptGenerationException(
                    path,
                    block.getOffset(),
                    "checksum mismatch in page "
                            + page
                            + " (expected CRC32C "
                            + Integer.toUnsignedString(index.pageCrcs[page])
                            + ", computed "
                            + Integer.toUnsignedString(crc)
                            + ")");
        }
        RecordBatch batch = recordBatch(page, block, blockBytes);
        int rows = index.pageRows[page];
        int metadataLength = block.getMetadataLength();
        int bodyLength = (int) block.getBodyLength();
        // Every structural fact Arrow would trust (row count, nodes, buffer bounds) was checked
        // against the block above, so what Arrow allocates below is bounded by the block's size.
        VectorSchemaRoot root = null;
        ArrowBuf body = null;
        try {
            root = VectorSchemaRoot.create(fileSchema, allocator);
            body = allocator.buffer(bodyLength);
            body.setBytes(0, blockBytes, metadataLength, bodyLength);
            ArrowRecordBatch arrowBatch = MessageSerializer.deserializeRecordBatch(batch, body);
            body = null; // the batch holds the body now
            try (arrowBatch) {
                new VectorLoader(root).load(arrowBatch);
            }
            validate(root);
            checkRows(page, block, root, rows);
            Page decoded = new Page(page, root, keyCodec, length);
            root = null;
            return decoded;
        } catch (CorruptGenerationException | OutOfMemoryException e) {
            throw e;
        } catch (Exception e) {
            throw new CorruptGenerationException(
                    path, block.getOffset(), "cannot decode page " + page + ": " + e, e);
        } finally {
            if (body != null) {
                body.close();
            }
            if (root != null) {
                root.close();
            }
        }
    }

    /**
     * Validates every vector fully, as {@link ValueVectorUtility#validateFull} does, except the
     * values of decimals: Arrow 19 rejects a decimal whose precision equals its column's (its
     * {@code DecimalUtility.checkPrecisionAndScaleNoThrow} compares with {@code <}), so 999.99
     * would not pass in a DECIMAL(5, 2). Decimals get Arrow's structural checks and Kiln's own
     * value check instead.
     */
    private static void validate(VectorSchemaRoot root) {
        for (FieldVector vector : root.getFieldVectors()) {
            if (vector instanceof DecimalVector decimal) {
                ValueVectorUtility.validate(decimal);
                for (int i = 0; i < decimal.getValueCount(); i++) {
                    checkDecimal(decimal, decimal.getObject(i), i);
                }
            } else if (vector instanceof Decimal256Vector decimal) {
                ValueVectorUtility.validate(decimal);
                for (int i = 0; i < decimal.getValueCount(); i++) {
                    checkDecimal(decimal, decimal.getObject(i), i);
                }
            } else {
                ValueVectorUtility.validateFull(vector);
            }
        }
    }

    private static void checkDecimal(FieldVector vector, BigDecimal value, int row) {
        ArrowType.Decimal type = (ArrowType.Decimal) vector.getField().getType();
        if (value != null
                && (value.scale() != type.getScale() || value.precision() > type.getPrecision())) {
            throw new IllegalArgumentException(
                    "value "
                            + value
                            + " at row "
                            + row
                            + " does not fit column '"
                            + vector.getName()
                            + "' of "
                            + type);
        }
    }

    /**
     * Reads the record batch header of page {@code page} from its block bytes, on the heap, and
     * checks it against the block, the index and the schema before anything is allocated: the
     * metadata length prefix fits the block's metadata; the row count is the index's; one node per
     * column, each of that many rows with at most that many nulls; and every buffer lies within the
     * body and is long enough for the rows (so that Arrow neither reads past a buffer nor grows
     * one).
     */
    private RecordBatch recordBatch(int page, ArrowBlock block, byte[] blockBytes)
            throws CorruptGenerationException {
        long offset = block.getOffset();
        int metadataLength = block.getMetadataLength();
        long bodyLength = block.getBodyLength();
        int rows = index.pageRows[page];
        ByteBuffer bytes = ByteBuffer.wrap(blockBytes).order(ByteOrder.LITTLE_ENDIAN);
        int prefix = 4;
        int messageLength = bytes.getInt(0);
        if (messageLength == MessageSerializer.IPC_CONTINUATION_TOKEN) {
            prefix = 8;
            messageLength = bytes.getInt(4);
        }
        if (messageLength <= 0 || messageLength > metadataLength - prefix) {
            throw new CorruptGenerationException(
                    path,
                    offset,
                    "page "
                            + page
                            + " has a metadata length prefix of "
                            + messageLength
                            + " in a block with "
                            + metadataLength
                            + " bytes of metadata");
        }
        String problem;
        try {
            Message message =
                    Message.getRootAsMessage(
                            ByteBuffer.wrap(blockBytes, prefix, messageLength).slice());
            if (message.headerType() != MessageHeader.RecordBatch) {
                throw new CorruptGenerationException(
                        path, offset, "page " + page + " is not a record batch");
            }
            RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
            problem =
                    message.bodyLength() != bodyLength
                            ? "a body of "
                                    + message.bodyLength()
                                    + " bytes, its block "
                                    + bodyLength
                            : checkBatch(batch, rows, bodyLength);
            if (problem == null) {
                return batch;
            }
        } catch (CorruptGenerationException e) {
            throw e;
        } catch (RuntimeException e) {
            problem = "an unreadable header: " + e;
        }
        throw new CorruptGenerationException(
                path, offset, "page " + page + "'s record batch has " + problem);
    }

    /** Returns what is wrong with {@code batch}, or null. */
    private String checkBatch(RecordBatch batch, int rows, long bodyLength) {
        if (batch.length() != rows) {
            return batch.length() + " rows, the index says " + rows;
        }
        if (batch.compression() != null) {
            return "compressed buffers, which generations do not use";
        }
        if (batch.variadicBufferCountsLength() != 0) {
            return "variadic buffers, which generations do not use";
        }
        List<Field> fields = fileSchema.getFields();
        if (batch.nodesLength() != fields.size()) {
            return batch.nodesLength() + " field nodes for " + fields.size() + " columns";
        }
        int buffer = 0;
        for (int c = 0; c < fields.size(); c++) {
            FieldNode node = batch.nodes(c);
            if (node.length() != rows || node.nullCount() < 0 || node.nullCount() > rows) {
                return "a node of "
                        + node.length()
                        + " rows with "
                        + node.nullCount()
                        + " nulls for column '"
                        + fields.get(c).getName()
                        + "'";
            }
            List<BufferLayout> layouts =
                    TypeLayout.getTypeLayout(fields.get(c).getType()).getBufferLayouts();
            boolean variableWidth =
                    layouts.stream().anyMatch(l -> l.getType() == BufferLayout.BufferType.OFFSET);
            for (BufferLayout layout : layouts) {
                if (buffer >= batch.buffersLength()) {
                    return batch.buffersLength() + " buffers, fewer than its columns need";
                }
                Buffer b = batch.buffers(buffer++);
                long needed = neededBytes(layout, variableWidth, rows, node.nullCount() == 0);
                if (b.offset() < 0
                        || b.length() < needed
                        || b.offset() > bodyLength
                        || b.length() > bodyLength - b.offset()) {
                    return "buffer "
                            + (buffer - 1)
                            + " (offset "
                            + b.offset()
                            + ", length "
                            + b.length()
                            + ") outside its body of "
                            + bodyLength
                            + " bytes or too short for "
                            + rows
                            + " rows of column '"
                            + fields.get(c).getName()
                            + "'";
                }
            }
        }
        if (buffer != batch.buffersLength()) {
            return batch.buffersLength() + " buffers, its columns need " + buffer;
        }
        return null;
    }

    /** The fewest bytes a buffer of {@code layout} holds for {@code rows} rows. */
    private static long neededBytes(
            BufferLayout layout, boolean variableWidth, int rows, boolean noNulls) {
        long bits = layout.getTypeBitWidth();
        switch (layout.getType()) {
            case VALIDITY:
                return noNulls ? 0 : (rows + 7L) / 8;
            case OFFSET:
                return (rows + 1L) * bits / 8;
            case DATA:
                return variableWidth ? 0 : (rows * bits + 7) / 8;
            default:
                return 0;
        }
    }

    /** Checks what Arrow does not: a valid row kind in every row, and no null key. */
    private void checkRows(int page, ArrowBlock block, VectorSchemaRoot root, int rows)
            throws CorruptGenerationException {
        if (root.getRowCount() != rows) {
            throw new CorruptGenerationException(
                    path,
                    block.getOffset(),
                    "page "
                            + page
                            + " has "
                            + root.getRowCount()
                            + " rows, the index says "
                            + rows);
        }
        List<FieldVector> vectors = root.getFieldVectors();
        TinyIntVector kinds = (TinyIntVector) vectors.get(vectors.size() - 1);
        for (int r = 0; r < rows; r++) {
            byte kind = kinds.isNull(r) ? -1 : kinds.get(r);
            if (kind != RowKind.UPSERT.code() && kind != RowKind.DELETE.code()) {
                throw new CorruptGenerationException(
                        path,
                        block.getOffset(),
                        "page " + page + " row " + r + " has an invalid row kind");
            }
        }
        for (String key : keyCodec.keyColumns()) {
            if (root.getVector(key).getNullCount() != 0) {
                throw new CorruptGenerationException(
                        path,
                        block.getOffset(),
                        "page " + page + " has a null in key column '" + key + "'");
            }
        }
    }

    /** Reads (one range read) and decodes page {@code page}; the page is owned by the caller. */
    public CompletableFuture<Page> loadPage(int page, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator");
        return readPage(page).thenApply(bytes -> decode(page, bytes, allocator));
    }

    /**
     * Reads {@code pages} with coalesced range reads ({@link #readPages}) and decodes them; the
     * pages, in the order of {@code pages}, are owned by the caller. If any page fails, the pages
     * already decoded are closed and the future fails.
     */
    public CompletableFuture<List<Page>> loadPages(
            int[] pages, RangeCoalescer coalescer, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator");
        return readPages(pages, coalescer)
                .thenApply(
                        bytes -> {
                            List<Page> decoded = new ArrayList<>(pages.length);
                            try {
                                for (int i = 0; i < pages.length; i++) {
                                    decoded.add(decode(pages[i], bytes.get(i), allocator));
                                }
                                return decoded;
                            } catch (RuntimeException e) {
                                decoded.forEach(Page::close);
                                throw e;
                            }
                        });
    }

    /**
     * Looks encoded key {@code key} up: no read if the key range or the key filter rules the key
     * out, otherwise one range read of the key's page, which is decoded into {@code allocator} and
     * released before the future completes.
     */
    public CompletableFuture<LookupResult> lookup(byte[] key, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator");
        int page = pageOf(key);
        if (page < 0 || !index.filter.mightContain(key)) {
            return CompletableFuture.completedFuture(LookupResult.absent());
        }
        return loadPage(page, allocator)
                .thenApply(
                        p -> {
                            try (p) {
                                return p.lookup(key);
                            }
                        });
    }

    /**
     * Hands every page to {@code consumer} in key order, reading consecutive pages together in
     * ranges of up to {@code coalescer}'s range size limit, one range at a time. Each page is lent:
     * it is closed when {@code consumer} returns. The future fails (and no further page is read) if
     * a read, a decode or {@code consumer} fails.
     */
    public CompletableFuture<Void> scan(
            BufferAllocator allocator, RangeCoalescer coalescer, Consumer<Page> consumer) {
        requireNonNull(allocator, "allocator");
        requireNonNull(coalescer, "coalescer");
        requireNonNull(consumer, "consumer");
        List<int[]> chunks = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long currentBytes = 0;
        for (int p = 0; p < blocks.size(); p++) {
            long size = pageRange(p).length();
            if (!current.isEmpty() && currentBytes + size > coalescer.rangeSizeLimit()) {
                chunks.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                currentBytes = 0;
            }
            current.add(p);
            currentBytes += size;
        }
        if (!current.isEmpty()) {
            chunks.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        for (int[] chunk : chunks) {
            done =
                    done.thenCompose(ignored -> readPages(chunk, coalescer))
                            .thenAccept(
                                    bytes -> {
                                        for (int i = 0; i < chunk.length; i++) {
                                            try (Page page =
                                                    decode(chunk[i], bytes.get(i), allocator)) {
                                                consumer.accept(page);
                                            }
                                        }
                                    });
        }
        return done;
    }

    @Override
    public String toString() {
        return "Generation{" + path + ", rows=" + index.rowCount + ", pages=" + blocks.size() + "}";
    }

    // ------------------------------------------------------------------------------------------

    private Page decode(int page, byte[] bytes, BufferAllocator allocator) {
        try {
            return decodePage(page, bytes, allocator);
        } catch (CorruptGenerationException e) {
            throw new CompletionException(e);
        }
    }

    private int checkPage(int page) {
        if (page < 0 || page >= blocks.size()) {
            throw new IndexOutOfBoundsException(
                    "page " + page + " of a generation of " + blocks.size() + " pages");
        }
        return page;
    }

    /** One range read whose short or past-the-end result is reported as corruption. */
    private static CompletableFuture<byte[]> read(RangeReader io, Path path, ByteRange range) {
        return io.read(path, range)
                .handle(
                        (bytes, error) -> {
                            if (error != null) {
                                Throwable cause = unwrap(error);
                                if (cause instanceof EOFException) {
                                    throw corrupt(
                                            path,
                                            range.offset(),
                                            "the file ends before range "
                                                    + range
                                                    + " (truncated): "
                                                    + cause.getMessage());
                                }
                                throw error instanceof CompletionException
                                        ? (CompletionException) error
                                        : new CompletionException(cause);
                            }
                            if (bytes.length != range.length()) {
                                throw corrupt(
                                        path,
                                        range.offset(),
                                        "short read: range "
                                                + range
                                                + " returned "
                                                + bytes.length
                                                + " bytes");
                            }
                            return bytes;
                        });
    }

    private static CompletionException corrupt(Path path, long offset, String detail) {
        return new CompletionException(new CorruptGenerationException(path, offset, detail));
    }

    private static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
