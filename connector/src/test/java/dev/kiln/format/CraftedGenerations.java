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

import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.types.pojo.Schema;

import com.google.flatbuffers.FlatBufferBuilder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Rewrites a generation file's footer the way a writer bug or a hostile file would: the schema, the
 * record-batch blocks, the index and the page bytes can be changed, and {@link #reseal} makes every
 * checksum match the changes, so that only the reader's own checks stand between the file and a
 * wrong answer.
 */
final class CraftedGenerations {

    private CraftedGenerations() {}

    /** The parts of a generation file that a crafted file may change. */
    static final class Parts {
        byte[] body;
        Schema schema;
        final List<ArrowBlock> blocks;
        GenerationFormat.Index index;
        final Map<String, String> metadata;

        Parts(byte[] body, ArrowFooter footer) throws IOException {
            this.schema = footer.getSchema();
            this.blocks = new ArrayList<>(footer.getRecordBatches());
            this.metadata = new HashMap<>(footer.getMetaData());
            int version = Integer.parseInt(metadata.get(GenerationFormat.META_VERSION));
            if (version == GenerationFormat.FORMAT_VERSION_BASE64_INDEX) {
                this.body = body;
                this.index =
                        GenerationFormat.Index.parse(
                                Base64.getDecoder()
                                        .decode(metadata.get(GenerationFormat.META_INDEX)),
                                version);
            } else {
                // The body ends with the index (and padding): the parts keep what precedes it.
                int at = Integer.parseInt(metadata.get(GenerationFormat.META_INDEX_OFFSET));
                int length = Integer.parseInt(metadata.get(GenerationFormat.META_INDEX_LENGTH));
                this.body = Arrays.copyOf(body, at);
                this.index =
                        GenerationFormat.Index.parse(
                                Arrays.copyOfRange(body, at, at + length), version);
            }
        }

        /** Returns the bytes of page {@code p}'s block. */
        byte[] page(int p) {
            ArrowBlock b = blocks.get(p);
            int from = (int) b.getOffset();
            return Arrays.copyOfRange(
                    body, from, from + b.getMetadataLength() + (int) b.getBodyLength());
        }

        /**
         * Replaces page {@code p}'s block with {@code block} (an encapsulated message with the
         * continuation prefix), moving the later blocks, and records its checksum in the index.
         */
        void replacePage(int p, byte[] block) {
            ArrowBlock old = blocks.get(p);
            int from = (int) old.getOffset();
            int oldLength = old.getMetadataLength() + (int) old.getBodyLength();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(body, 0, from);
            out.write(block, 0, block.length);
            out.write(body, from + oldLength, body.length - from - oldLength);
            body = out.toByteArray();
            // A block of the same size keeps its metadata length (its prefix may be the damage).
            int metadataLength =
                    block.length == oldLength
                            ? old.getMetadataLength()
                            : 8
                                    + ByteBuffer.wrap(block, 4, 4)
                                            .order(ByteOrder.LITTLE_ENDIAN)
                                            .getInt();
            blocks.set(p, new ArrowBlock(from, metadataLength, block.length - metadataLength));
            long shift = block.length - oldLength;
            for (int q = p + 1; q < blocks.size(); q++) {
                ArrowBlock b = blocks.get(q);
                blocks.set(
                        q,
                        new ArrowBlock(
                                b.getOffset() + shift, b.getMetadataLength(), b.getBodyLength()));
            }
            index.pageCrcs[p] = GenerationFormat.crc32c(block);
        }

        /** Makes the index, its checksum and the footer's fingerprint agree with the parts. */
        void reseal() {
            index =
                    new GenerationFormat.Index(
                            index.version,
                            index.keyColumns,
                            GenerationFormat.footerFingerprint(schema, index.keyColumns, blocks),
                            index.rowCount,
                            index.tombstoneCount,
                            index.pageRows,
                            index.pageCrcs,
                            index.firstKeys,
                            index.maxKey,
                            index.filter);
            byte[] indexBytes = index.serialize();
            if (index.version == GenerationFormat.FORMAT_VERSION_BASE64_INDEX) {
                metadata.put(
                        GenerationFormat.META_INDEX,
                        Base64.getEncoder().encodeToString(indexBytes));
            }
            metadata.put(
                    GenerationFormat.META_INDEX_CRC,
                    Integer.toUnsignedString(GenerationFormat.crc32c(indexBytes)));
        }
    }

    /** Returns the parts of the generation file {@code file}. */
    static Parts parts(byte[] file) throws IOException {
        int footerLength =
                ByteBuffer.wrap(file, file.length - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int footerStart = file.length - 10 - footerLength;
        ArrowFooter footer =
                new ArrowFooter(
                        Footer.getRootAsFooter(
                                ByteBuffer.wrap(file, footerStart, footerLength).slice()));
        return new Parts(Arrays.copyOf(file, footerStart), footer);
    }

    /** Returns {@code file} with the changes {@code edit} makes to its parts. */
    static byte[] rewrite(byte[] file, Consumer<Parts> edit) throws IOException {
        Parts parts = parts(file);
        edit.accept(parts);
        return assemble(parts);
    }

    /** Returns the file made of {@code parts}. */
    static byte[] assemble(Parts parts) {
        byte[] index = new byte[0];
        if (!parts.metadata.containsKey(GenerationFormat.META_INDEX)) {
            // Format version 3: the index after the body, padded to 8 bytes, before the footer.
            byte[] bytes = parts.index.serialize();
            index = Arrays.copyOf(bytes, (bytes.length + 7) / 8 * 8);
            parts.metadata.put(
                    GenerationFormat.META_INDEX_OFFSET, Integer.toString(parts.body.length));
            parts.metadata.put(GenerationFormat.META_INDEX_LENGTH, Integer.toString(bytes.length));
        }
        FlatBufferBuilder builder = new FlatBufferBuilder();
        builder.finish(
                new ArrowFooter(parts.schema, List.of(), parts.blocks, parts.metadata)
                        .writeTo(builder));
        ByteBuffer footer = builder.dataBuffer();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(parts.body, 0, parts.body.length);
        out.write(index, 0, index.length);
        byte[] footerBytes = new byte[footer.remaining()];
        footer.get(footerBytes);
        out.write(footerBytes, 0, footerBytes.length);
        byte[] length =
                ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(footerBytes.length)
                        .array();
        out.write(length, 0, 4);
        out.write(GenerationFormat.MAGIC, 0, GenerationFormat.MAGIC.length);
        return out.toByteArray();
    }
}
