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
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reads a generation's trailer and footer: where the footer starts, the Arrow footer and schema,
 * Kiln's index (page rows, keys, checksums, key filter) and its agreement with the Arrow blocks,
 * checked before anything is trusted ({@link CorruptGenerationException} naming the file and offset
 * otherwise). Stateless.
 */
final class GenerationFooter {

    /**
     * The most rows a page may hold per byte of its body (compressed pages; see docs/format.md).
     */
    static final long MAX_ROWS_PER_BODY_BYTE = 64;

    private GenerationFooter() {}

    /** Checks the trailer in {@code tail} and returns the footer's offset. */
    static long footerStart(Path path, long fileLength, long tailStart, byte[] tail) {
        int magicAt = tail.length - GenerationFormat.MAGIC.length;
        if (!Arrays.equals(
                tail,
                magicAt,
                tail.length,
                GenerationFormat.MAGIC,
                0,
                GenerationFormat.MAGIC.length)) {
            throw Generation.corrupt(
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
            throw Generation.corrupt(path, 0, "no Arrow magic 'ARROW1' at the start of the file");
        }
        int footerLength =
                ByteBuffer.wrap(tail, tail.length - Generation.TRAILER_BYTES, 4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt();
        long footerStart = fileLength - Generation.TRAILER_BYTES - (long) footerLength;
        if (footerLength <= 0 || footerStart < Generation.HEADER_BYTES) {
            throw Generation.corrupt(
                    path,
                    fileLength - Generation.TRAILER_BYTES,
                    "invalid footer length " + footerLength + " in a file of " + fileLength);
        }
        return footerStart;
    }

    static Generation parse(
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
        long previousEnd = Generation.HEADER_BYTES;
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
            // Every row has a row kind of one byte in the body, and a key unique in the page: an
            // uncompressed page cannot hold more rows than its body has bytes (checked again
            // against its buffers when it is decoded), and a compressed one no more than
            // MAX_ROWS_PER_BODY_BYTE times that (unique keys do not compress that far). This
            // bounds what decoding may allocate in proportion to the block's size.
            if (index.pageRows[p] <= 0 || index.pageRows[p] > bodyLength * MAX_ROWS_PER_BODY_BYTE) {
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

}
