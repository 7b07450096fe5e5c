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

import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
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
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    private final Path path;
    private final Schema fileSchema;
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
}
