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

import org.apache.flink.core.fs.Path;

import org.apache.arrow.flatbuf.BodyCompression;
import org.apache.arrow.flatbuf.BodyCompressionMethod;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BufferLayout;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;

import com.github.luben.zstd.Zstd;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Decodes the pages of one open generation: checks a page's bytes against the footer's block and
 * the index (length, CRC32C), checks the record batch's header against the block and the schema
 * before Arrow allocates anything (so allocation is bounded by the block's size), loads the
 * vectors, validates them fully and checks every row's kind and key. On any failure everything
 * allocated is released before it throws {@link CorruptGenerationException} naming the file and
 * offset. Immutable and thread-safe; the pages it returns are owned by the caller.
 */
final class PageDecoder {

    /** {@link Header#codec} of a page whose buffers are not compressed. */
    private static final byte NO_CODEC = -1;

    /** Each compressed buffer starts with its uncompressed length (int64, little-endian). */
    private static final long PREFIX_BYTES = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;

    /** Each row's view in a string view column's views buffer. */
    private static final long VIEW_BYTES = ViewVarCharVector.ELEMENT_SIZE;

    private final Path path;
    private final Schema fileSchema;

    /** {@link #fileSchema} with string views as {@code Utf8}: the decoded pages' schema. */
    private final Schema pageSchema;

    /** How many string columns the file stores as views ({@link StringViews}). */
    private final int viewColumns;

    private final KeyCodec keyCodec;
    private final GenerationFormat.Index index;
    private final List<ArrowBlock> blocks;

    PageDecoder(
            Path path,
            Schema fileSchema,
            KeyCodec keyCodec,
            GenerationFormat.Index index,
            List<ArrowBlock> blocks) {
        this.path = path;
        this.fileSchema = fileSchema;
        this.pageSchema = StringViews.inMemory(fileSchema);
        this.viewColumns = StringViews.viewColumns(fileSchema).size();
        this.keyCodec = keyCodec;
        this.index = index;
        this.blocks = blocks;
    }

    /**
     * Decodes page {@code page} (an index checked by the caller) from {@code blockBytes}, the bytes
     * of its block; see {@link Generation#decodePage}.
     */
    Page decode(int page, byte[] blockBytes, BufferAllocator allocator)
            throws CorruptGenerationException {
        requireNonNull(blockBytes, "blockBytes");
        requireNonNull(allocator, "allocator");
        ArrowBlock block = blocks.get(page);
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
        Header header = recordBatch(page, block, blockBytes);
        RecordBatch batch = header.batch;
        int rows = index.pageRows[page];
        int metadataLength = block.getMetadataLength();
        int bodyLength = (int) block.getBodyLength();
        // Every structural fact Arrow would trust (row count, nodes, buffer bounds, decompressed
        // sizes) was checked against the block above, so what is allocated below is bounded by
        // the block's size, or for compressed buffers by sizes checked against the row count.
        VectorSchemaRoot root = null;
        ArrowBuf body = null;
        try {
            root = VectorSchemaRoot.create(fileSchema, allocator);
            body = allocator.buffer(bodyLength);
            body.setBytes(0, blockBytes, metadataLength, bodyLength);
            long decodedBytes = length;
            if (header.codec == NO_CODEC) {
                ArrowRecordBatch arrowBatch = MessageSerializer.deserializeRecordBatch(batch, body);
                body = null; // the batch holds the body now
                try (arrowBatch) {
                    new VectorLoader(root).load(arrowBatch);
                }
            } else {
                decodedBytes =
                        metadataLength
                                + loadCompressed(
                                        page, block, header, blockBytes, body, root, allocator);
            }
            if (viewColumns > 0) {
                VectorSchemaRoot stored = root;
                root = VectorSchemaRoot.create(pageSchema, allocator); // if not, root is stored
                decodedBytes += fromViews(stored, root);
            }
            validate(root);
            checkRows(page, block, root, rows);
            Page decoded = new Page(page, root, keyCodec, decodedBytes);
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
     * Moves the columns of {@code stored} (closed on return) into {@code root}, of {@link
     * #pageSchema}: string views are copied as {@code Utf8} (checked: {@link StringViews#copy(
     * ViewVarCharVector, VarCharVector)}), other columns transferred. Returns the bytes this adds.
     */
    private static long fromViews(VectorSchemaRoot stored, VectorSchemaRoot root) {
        try (stored) {
            long added = 0;
            List<FieldVector> from = stored.getFieldVectors();
            List<FieldVector> to = root.getFieldVectors();
            for (int c = 0; c < from.size(); c++) {
                FieldVector source = from.get(c);
                if (source instanceof ViewVarCharVector viewVector) {
                    StringViews.copy(viewVector, (VarCharVector) to.get(c));
                    added += to.get(c).getBufferSize() - source.getBufferSize();
                } else {
                    source.makeTransferPair(to.get(c)).transfer();
                }
            }
            root.setRowCount(stored.getRowCount());
            return added;
        }
    }

    /**
     * Loads the compressed buffers of a page into {@code root}: each buffer is decompressed into
     * memory of {@code allocator} of exactly the size its prefix declares (checked before against
     * the row count; a string or binary column's data against its last offset, which is read from
     * its offsets just decompressed), and must decompress to exactly that size. Returns the bytes
     * of the decoded buffers.
     */
    private long loadCompressed(
            int page,
            ArrowBlock block,
            Header header,
            byte[] blockBytes,
            ArrowBuf body,
            VectorSchemaRoot root,
            BufferAllocator allocator)
            throws CorruptGenerationException, IOException {
        RecordBatch batch = header.batch;
        int rows = index.pageRows[page];
        int bodyStart = block.getMetadataLength();
        int count = batch.buffersLength();
        List<ArrowBuf> buffers = new ArrayList<>(count);
        long decoded = 0;
        long lastOffset = -1;
        try {
            for (int i = 0; i < count; i++) {
                Buffer b = batch.buffers(i);
                long declared = header.lengths[i];
                ArrowBuf out;
                if (header.raw[i]) {
                    // Copied, not sliced: a slice would keep the whole compressed body alive
                    // beside the decoded buffers, which the page's size does not count.
                    out = allocator.buffer(declared);
                    buffers.add(out);
                    out.setBytes(
                            0,
                            blockBytes,
                            Math.toIntExact(bodyStart + b.offset() + PREFIX_BYTES),
                            declared);
                } else {
                    if (header.variableData[i] && declared != lastOffset) {
                        throw new CorruptGenerationException(
                                path,
                                block.getOffset(),
                                "page "
                                        + page
                                        + " buffer "
                                        + i
                                        + " declares "
                                        + declared
                                        + " decompressed bytes, its offsets end at "
                                        + lastOffset);
                    }
                    out = allocator.buffer(declared);
                    buffers.add(out);
                    int from = Math.toIntExact(bodyStart + b.offset() + PREFIX_BYTES);
                    int compressed = Math.toIntExact(b.length() - PREFIX_BYTES);
                    String problem =
                            header.codec == CompressionType.ZSTD
                                    ? unzstd(
                                            body,
                                            b.offset() + PREFIX_BYTES,
                                            compressed,
                                            out,
                                            declared)
                                    : unlz4(blockBytes, from, compressed, out, declared);
                    if (problem != null) {
                        throw new CorruptGenerationException(
                                path,
                                block.getOffset(),
                                "page "
                                        + page
                                        + " buffer "
                                        + i
                                        + " does not decompress: "
                                        + problem);
                    }
                }
                out.writerIndex(declared);
                decoded += declared;
                if (header.offsetWidth[i] == 4) {
                    lastOffset = out.getInt((long) rows * 4);
                } else if (header.offsetWidth[i] == 8) {
                    lastOffset = out.getLong((long) rows * 8);
                }
            }
            List<ArrowFieldNode> nodes = new ArrayList<>(batch.nodesLength());
            for (int c = 0; c < batch.nodesLength(); c++) {
                FieldNode node = batch.nodes(c);
                nodes.add(new ArrowFieldNode(node.length(), node.nullCount()));
            }
            List<Long> variadicCounts = new ArrayList<>();
            for (int v = 0; v < batch.variadicBufferCountsLength(); v++) {
                variadicCounts.add(batch.variadicBufferCounts(v));
            }
            try (ArrowRecordBatch loaded =
                    new ArrowRecordBatch(
                            rows,
                            nodes,
                            buffers,
                            NoCompressionCodec.DEFAULT_BODY_COMPRESSION,
                            variadicCounts,
                            true)) {
                new VectorLoader(root).load(loaded);
            }
            return decoded;
        } finally {
            for (ArrowBuf buffer : buffers) {
                buffer.close();
            }
        }
    }

    /**
     * Decompresses a ZSTD frame into exactly {@code declared} bytes; returns the problem or null.
     */
    private static String unzstd(
            ArrowBuf body, long from, int length, ArrowBuf out, long declared) {
        if (declared == 0) {
            return null;
        }
        long n =
                Zstd.decompressUnsafe(
                        out.memoryAddress(), declared, body.memoryAddress() + from, length);
        if (Zstd.isError(n)) {
            return Zstd.getErrorName(n);
        }
        return n == declared ? null : n + " bytes, " + declared + " declared";
    }

    /**
     * Decompresses an LZ4 frame into exactly {@code declared} bytes, reading no further than one
     * byte past them; returns the problem or null.
     */
    private static String unlz4(byte[] bytes, int from, int length, ArrowBuf out, long declared)
            throws IOException {
        byte[] chunk = new byte[(int) Math.min(64 * 1024, declared + 1)];
        long total = 0;
        try (InputStream in =
                new FramedLZ4CompressorInputStream(new ByteArrayInputStream(bytes, from, length))) {
            int n;
            while ((n = in.read(chunk, 0, (int) Math.min(chunk.length, declared + 1 - total)))
                    > 0) {
                if (total + n > declared) {
                    return "more than the " + declared + " bytes declared";
                }
                out.setBytes(total, chunk, 0, n);
                total += n;
            }
        } catch (IOException | RuntimeException e) {
            return String.valueOf(e);
        }
        return total == declared ? null : total + " bytes, " + declared + " declared";
    }

    /**
     * Checks what a loaded page needs to be read safely beyond the buffer sizes checked in its
     * header: every string or binary column's offsets start at 0 or more, never decrease and end
     * within its data; every decimal fits its column (see {@link #checkDecimal}). This replaces
     * Arrow's {@link ValueVectorUtility#validateFull}, which also checks what construction and the
     * header checks guarantee (buffer counts and sizes, vector types) and validates UTF-8 value by
     * value; a page's bytes are covered by its CRC32C, and bytes that are not UTF-8 in a crafted
     * file read as replacement characters, never out of bounds.
     */
    private static void validate(VectorSchemaRoot root) {
        int rows = root.getRowCount();
        for (FieldVector vector : root.getFieldVectors()) {
            if (vector instanceof BaseVariableWidthVector variable) {
                checkOffsets(vector, variable.getOffsetBuffer(), 4, rows);
            } else if (vector instanceof BaseLargeVariableWidthVector variable) {
                checkOffsets(vector, variable.getOffsetBuffer(), 8, rows);
            } else if (vector instanceof DecimalVector decimal) {
                for (int i = 0; i < decimal.getValueCount(); i++) {
                    checkDecimal(decimal, decimal.getObject(i), i);
                }
            } else if (vector instanceof Decimal256Vector decimal) {
                for (int i = 0; i < decimal.getValueCount(); i++) {
                    checkDecimal(decimal, decimal.getObject(i), i);
                }
            }
        }
    }

    private static void checkOffsets(FieldVector vector, ArrowBuf offsets, int width, int rows) {
        if (rows == 0) {
            return;
        }
        long dataBytes = vector.getDataBuffer().capacity();
        ByteBuffer view =
                offsets.nioBuffer(0, Math.toIntExact((rows + 1L) * width))
                        .order(ByteOrder.LITTLE_ENDIAN);
        long previous = 0;
        for (int i = 0; i <= rows; i++) {
            long offset = width == 4 ? view.getInt(i * 4) : view.getLong(i * 8);
            if (offset < previous || offset > dataBytes) {
                throw new IllegalArgumentException(
                        "column '"
                                + vector.getName()
                                + "' has offset "
                                + offset
                                + " at row "
                                + i
                                + " (previous "
                                + previous
                                + ", data "
                                + dataBytes
                                + " bytes)");
            }
            previous = offset;
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
    private Header recordBatch(int page, ArrowBlock block, byte[] blockBytes)
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
            Header header = new Header(batch);
            problem =
                    message.bodyLength() != bodyLength
                            ? "a body of "
                                    + message.bodyLength()
                                    + " bytes, its block "
                                    + bodyLength
                            : checkBatch(header, rows, bodyLength, blockBytes, metadataLength);
            if (problem == null) {
                return header;
            }
        } catch (CorruptGenerationException e) {
            throw e;
        } catch (RuntimeException e) {
            problem = "an unreadable header: " + e;
        }
        throw new CorruptGenerationException(
                path, offset, "page " + page + "'s record batch has " + problem);
    }

    /**
     * Returns what is wrong with {@code header}'s batch, or null; fills in the header's codec and,
     * per buffer, its decoded length, whether it is stored raw, its offset width (string and binary
     * offsets) and whether it is string or binary data.
     */
    private String checkBatch(
            Header header, int rows, long bodyLength, byte[] blockBytes, int metadataLength) {
        RecordBatch batch = header.batch;
        if (batch.length() != rows) {
            return batch.length() + " rows, the index says " + rows;
        }
        BodyCompression compression = batch.compression();
        if (compression != null) {
            if (compression.method() != BodyCompressionMethod.BUFFER) {
                return "compression method " + compression.method() + ", which is not BUFFER";
            }
            if (compression.codec() != CompressionType.LZ4_FRAME
                    && compression.codec() != CompressionType.ZSTD) {
                return "compression codec "
                        + compression.codec()
                        + ", which this reader does not know (it reads LZ4_FRAME and ZSTD)";
            }
            header.codec = compression.codec();
        }
        if (batch.variadicBufferCountsLength() != viewColumns) {
            return batch.variadicBufferCountsLength()
                    + " variadic buffer counts for "
                    + viewColumns
                    + " string view columns";
        }
        for (int v = 0; v < viewColumns; v++) {
            if (batch.variadicBufferCounts(v) != 0) {
                return "variadic buffers (string views not inline), which generations do not use";
            }
        }
        List<Field> fields = fileSchema.getFields();
        if (batch.nodesLength() != fields.size()) {
            return batch.nodesLength() + " field nodes for " + fields.size() + " columns";
        }
        int expected = 0;
        for (Field field : fields) {
            expected += TypeLayout.getTypeBufferCount(field.getType());
        }
        if (batch.buffersLength() != expected) {
            return batch.buffersLength() + " buffers, its columns need " + expected;
        }
        header.allocate(expected);
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
                boolean inBody =
                        b.offset() >= 0
                                && b.length() >= 0
                                && b.offset() <= bodyLength
                                && b.length() <= bodyLength - b.offset();
                long decoded = b.length();
                if (inBody && header.codec != NO_CODEC) {
                    if (b.length() < PREFIX_BYTES) {
                        return "buffer "
                                + (buffer - 1)
                                + " of "
                                + b.length()
                                + " bytes, too short for its uncompressed length";
                    }
                    long prefix =
                            ByteBuffer.wrap(blockBytes)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .getLong(metadataLength + (int) b.offset());
                    boolean raw = prefix == CompressionUtil.NO_COMPRESSION_LENGTH;
                    decoded = raw ? b.length() - PREFIX_BYTES : prefix;
                    long most =
                            variableWidth && layout.getType() == BufferLayout.BufferType.DATA
                                    ? Integer.MAX_VALUE
                                    : exactBytes(layout, rows);
                    if (decoded < 0 || (!raw && decoded > most)) {
                        return "buffer "
                                + (buffer - 1)
                                + " declaring "
                                + prefix
                                + " decompressed bytes for "
                                + rows
                                + " rows of column '"
                                + fields.get(c).getName()
                                + "'";
                    }
                    header.raw[buffer - 1] = raw;
                }
                header.lengths[buffer - 1] = decoded;
                if (layout.getType() == BufferLayout.BufferType.OFFSET) {
                    header.offsetWidth[buffer - 1] = layout.getTypeBitWidth() / 8;
                }
                header.variableData[buffer - 1] =
                        variableWidth && layout.getType() == BufferLayout.BufferType.DATA;
                if (!inBody || decoded < needed) {
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

    /**
     * The bytes a fixed-size buffer of {@code layout} (validity, offsets, fixed-width data) holds
     * for {@code rows} rows when Arrow writes it: the most a compressed one may declare.
     */
    private static long exactBytes(BufferLayout layout, int rows) {
        long bits = layout.getTypeBitWidth();
        switch (layout.getType()) {
            case VALIDITY:
                return (rows + 7L) / 8;
            case OFFSET:
                return (rows + 1L) * bits / 8;
            case VIEWS:
                return rows * VIEW_BYTES;
            default:
                return (rows * bits + 7) / 8;
        }
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
            case VIEWS:
                return rows * VIEW_BYTES;
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

    /** A page's record batch header and what its checks found out about its buffers. */
    private static final class Header {
        final RecordBatch batch;
        byte codec = NO_CODEC;
        long[] lengths;
        boolean[] raw;
        int[] offsetWidth;
        boolean[] variableData;

        Header(RecordBatch batch) {
            this.batch = batch;
        }

        void allocate(int buffers) {
            lengths = new long[buffers];
            raw = new boolean[buffers];
            offsetWidth = new int[buffers];
            variableData = new boolean[buffers];
        }
    }
}
