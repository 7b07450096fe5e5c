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

    /**
     * The Arrow footer of a generation, parsed, with its format version checked, and where its
     * index lies: in the file's body (format versions 3 and 4, {@link #indexInBody}) or in the
     * footer's metadata (version 2).
     */
    static final class Footer {
        final ArrowFooter arrow;
        final int version;
        final long indexOffset;
        final int indexLength;

        private Footer(ArrowFooter arrow, int version, long indexOffset, int indexLength) {
            this.arrow = arrow;
            this.version = version;
            this.indexOffset = indexOffset;
            this.indexLength = indexLength;
        }

        /** Whether the index is read from the body, at {@link #indexRange}. */
        boolean indexInBody() {
            return version >= GenerationFormat.FORMAT_VERSION_RAW_INDEX;
        }

        ByteRange indexRange() {
            return ByteRange.of(indexOffset, indexLength);
        }
    }

    /**
     * Parses the Arrow footer at {@code footerStart}, checks its format version and, for versions 3
     * and 4, that the index's range lies in the body before the footer.
     */
    static Footer footer(Path path, long footerStart, byte[] footerBytes)
            throws CorruptGenerationException {
        ArrowFooter footer;
        try {
            footer = new ArrowFooter(arrowFooter(footerBytes));
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
        if (version.equals(Integer.toString(GenerationFormat.FORMAT_VERSION_BASE64_INDEX))) {
            return new Footer(footer, GenerationFormat.FORMAT_VERSION_BASE64_INDEX, -1, 0);
        }
        int bodyIndexVersion;
        if (version.equals(Integer.toString(GenerationFormat.FORMAT_VERSION))) {
            bodyIndexVersion = GenerationFormat.FORMAT_VERSION;
        } else if (version.equals(Integer.toString(GenerationFormat.FORMAT_VERSION_RAW_INDEX))) {
            bodyIndexVersion = GenerationFormat.FORMAT_VERSION_RAW_INDEX;
        } else {
            throw new UnsupportedFormatVersionException(path, footerStart, version);
        }
        String offset = meta.get(GenerationFormat.META_INDEX_OFFSET);
        String length = meta.get(GenerationFormat.META_INDEX_LENGTH);
        if (offset == null || length == null) {
            throw new CorruptGenerationException(
                    path, footerStart, "the footer does not say where the key index is");
        }
        long indexOffset;
        long indexLength;
        try {
            indexOffset = Long.parseLong(offset);
            indexLength = Long.parseLong(length);
        } catch (NumberFormatException e) {
            throw new CorruptGenerationException(
                    path,
                    footerStart,
                    "invalid key index range '" + offset + "', '" + length + "' in the footer",
                    e);
        }
        // Compared with what lies before the footer, so nothing overflows.
        if (indexOffset < Generation.HEADER_BYTES
                || indexOffset > footerStart
                || indexLength <= 0
                || indexLength > footerStart - indexOffset
                || indexLength > ByteRange.MAX_LENGTH) {
            throw new CorruptGenerationException(
                    path,
                    footerStart,
                    "the key index (offset "
                            + indexOffset
                            + ", length "
                            + indexLength
                            + ") does not lie between the file's header and its footer");
        }
        return new Footer(footer, bodyIndexVersion, indexOffset, (int) indexLength);
    }

    private static org.apache.arrow.flatbuf.Footer arrowFooter(byte[] footerBytes) {
        return org.apache.arrow.flatbuf.Footer.getRootAsFooter(ByteBuffer.wrap(footerBytes));
    }

    /**
     * Checks the footer against its index and returns the generation. {@code indexBytes} are the
     * bytes at {@link Footer#indexRange} for format version 3, ignored (null) for version 2.
     */
    static Generation parse(
            RangeReader io,
            Path path,
            long fileLength,
            long footerStart,
            Footer parsed,
            byte[] indexBytes)
            throws CorruptGenerationException {
        ArrowFooter footer = parsed.arrow;
        Map<String, String> meta = footer.getMetaData();
        GenerationFormat.Index index;
        if (parsed.indexInBody()) {
            index = parseIndex(path, parsed.indexOffset, indexBytes, meta, parsed.version);
        } else {
            String encoded = meta.get(GenerationFormat.META_INDEX);
            if (encoded == null) {
                throw new CorruptGenerationException(
                        path, footerStart, "the footer has no key index");
            }
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(encoded);
            } catch (IllegalArgumentException e) {
                throw new CorruptGenerationException(
                        path, footerStart, "invalid key index: " + e, e);
            }
            index = parseIndex(path, footerStart, bytes, meta, parsed.version);
        }

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
            Schema pageSchema = StringViews.inMemory(fileSchema);
            if (pageSchema != fileSchema && index.version < GenerationFormat.FORMAT_VERSION) {
                throw new IllegalArgumentException(
                        "string views in a file of format version " + index.version);
            }
            List<Field> fields = pageSchema.getFields();
            Field kind = fields.isEmpty() ? null : fields.get(fields.size() - 1);
            if (kind == null || !kind.equals(GenerationFormat.kindField())) {
                throw new IllegalArgumentException(
                        "the last column is not " + GenerationFormat.kindField());
            }
            schema =
                    new Schema(
                            fields.subList(0, fields.size() - 1), pageSchema.getCustomMetadata());
            GenerationFormat.checkSchema(schema);
            codec = KeyCodec.of(schema, index.keyColumns);
        } catch (RuntimeException e) {
            throw new CorruptGenerationException(
                    path, footerStart, "invalid schema in the footer: " + e.getMessage(), e);
        }
        // The pages end before the index (versions 3 and 4) or the footer (version 2).
        long pagesEnd = parsed.indexInBody() ? parsed.indexOffset : footerStart;
        checkBlocks(path, footerStart, pagesEnd, footer, index, blocks);
        return new Generation(io, path, fileLength, schema, fileSchema, codec, index, blocks);
    }

    /** Checks {@code bytes} against the checksum in {@code meta} and parses them. */
    private static GenerationFormat.Index parseIndex(
            Path path, long offset, byte[] bytes, Map<String, String> meta, int version)
            throws CorruptGenerationException {
        String crc = meta.get(GenerationFormat.META_INDEX_CRC);
        if (crc == null) {
            throw new CorruptGenerationException(
                    path, offset, "the footer has no checksum of the key index");
        }
        try {
            int expected = Integer.parseUnsignedInt(crc);
            int actual = GenerationFormat.crc32c(bytes);
            if (expected != actual) {
                throw new CorruptGenerationException(
                        path,
                        offset,
                        "key index checksum mismatch (expected "
                                + Integer.toUnsignedString(expected)
                                + ", computed "
                                + Integer.toUnsignedString(actual)
                                + ")");
            }
            return GenerationFormat.Index.parse(bytes, version);
        } catch (CorruptGenerationException e) {
            throw e;
        } catch (Exception e) {
            throw new CorruptGenerationException(path, offset, "invalid key index: " + e, e);
        }
    }

    private static void checkBlocks(
            Path path,
            long footerStart,
            long pagesEnd,
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
                    || offset > pagesEnd
                    || metadataLength <= 8
                    || metadataLength > pagesEnd - offset
                    || bodyLength < 0
                    || bodyLength > pagesEnd - offset - metadataLength
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
                                + " and "
                                + (pagesEnd == footerStart ? "the footer" : "the key index"));
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
