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

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseVariableWidthViewVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowBodyCompression;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

import com.github.luben.zstd.ZstdCompressCtx;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a page's vectors into the record batch Arrow IPC writes, compressing each buffer as Arrow's
 * {@code VectorUnloader} with a compression codec does (the same bytes: an 8-byte little-endian
 * uncompressed length, then the compressed bytes; {@code -1} and the raw bytes where compressing
 * does not pay; {@code 0} alone for an empty buffer), but:
 *
 * <ul>
 *   <li>one compression context serves every buffer of every page (ZSTD's context is allocated and
 *       its tables cleared once, not per buffer);
 *   <li>buffers are compressed from the page's memory straight into one output buffer reused from
 *       page to page, not into a new buffer each;
 *   <li>a codec failure releases everything the encoding allocated or retained and is raised as
 *       {@link PageEncodingException} naming the file (Arrow's unloader leaks the buffers of the
 *       page it was encoding when its codec throws).
 * </ul>
 *
 * <p>Not thread-safe: one per generation being written. {@link #close} releases the output buffer
 * and the codec's context.
 */
final class PageEncoder implements AutoCloseable {

    /** Compresses one buffer's bytes; package-private so that tests can inject failures. */
    interface BufferCompressor extends AutoCloseable {

        /** Returns the codec, as Arrow IPC's body compression names it. */
        CompressionUtil.CodecType type();

        /** Returns the most bytes {@link #compress} writes for {@code length} input bytes. */
        long maxCompressedLength(long length);

        /**
         * Compresses {@code length} bytes at {@code src} into the {@code capacity} bytes at {@code
         * dst} and returns how many it wrote; throws if it cannot.
         */
        long compress(long src, long length, long dst, long capacity);

        /** Releases the codec's native state. */
        @Override
        void close();
    }

    /** Makes the compressor of a writer's codec; package-private for fault injection. */
    interface CompressorFactory {
        BufferCompressor create(PageCompression compression);
    }

    /** The real codecs: ZSTD through zstd-jni, LZ4 frame through commons-compress. */
    static final CompressorFactory CODECS =
            compression -> {
                switch (compression.codec()) {
                    case ZSTD:
                        return new Zstd(compression.level());
                    case LZ4_FRAME:
                        return new Lz4Frame();
                    default:
                        return null;
                }
            };

    private static final long LENGTH_BYTES = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;

    private final BufferAllocator allocator;
    private final BufferCompressor compressor;
    private final ArrowBodyCompression bodyCompression;
    private final String description;
    private ArrowBuf output;

    /**
     * @param compressor the codec, or {@code null} to write buffers uncompressed; closed by {@link
     *     #close}
     * @param description the codec as the error names it
     */
    PageEncoder(BufferAllocator allocator, BufferCompressor compressor, String description) {
        this.allocator = allocator;
        this.compressor = compressor;
        this.description = description;
        this.bodyCompression =
                compressor == null
                        ? NoCompressionCodec.DEFAULT_BODY_COMPRESSION
                        : new ArrowBodyCompression(
                                compressor.type().getType(),
                                NoCompressionCodec.DEFAULT_BODY_COMPRESSION.getMethod());
    }

    /**
     * Returns the record batch of {@code page}'s rows (its row count set): the caller writes it and
     * closes it, which releases its hold on the page's or this encoder's buffers.
     *
     * @throws PageEncodingException naming {@code path} if the codec fails; nothing is then held
     */
    ArrowRecordBatch encode(VectorSchemaRoot page, String path, int pageIndex)
            throws PageEncodingException {
        List<ArrowFieldNode> nodes = new ArrayList<>();
        List<ArrowBuf> buffers = new ArrayList<>();
        boolean done = false;
        try {
            if (compressor == null) {
                for (FieldVector v : page.getFieldVectors()) {
                    nodes.add(new ArrowFieldNode(v.getValueCount(), v.getNullCount()));
                    for (ArrowBuf buf : v.getFieldBuffers()) {
                        buf.getReferenceManager().retain();
                        buffers.add(buf);
                    }
                }
            } else {
                compressInto(page, nodes, buffers);
            }
            ArrowRecordBatch batch =
                    new ArrowRecordBatch(
                            page.getRowCount(),
                            nodes,
                            buffers,
                            bodyCompression,
                            variadicBufferCounts(page),
                            true,
                            false);
            done = true;
            return batch;
        } catch (RuntimeException | LinkageError e) {
            throw new PageEncodingException(
                    path, "cannot encode page " + pageIndex + " with " + description + ": " + e, e);
        } finally {
            if (!done) {
                for (ArrowBuf buf : buffers) {
                    buf.getReferenceManager().release();
                }
            }
        }
    }

    /** One count per string view column, as Arrow IPC requires: 0, the views are inline. */
    private static List<Long> variadicBufferCounts(VectorSchemaRoot page) {
        List<Long> counts = new ArrayList<>();
        for (FieldVector v : page.getFieldVectors()) {
            if (v instanceof BaseVariableWidthViewVector views) {
                counts.add((long) views.getDataBuffers().size());
            }
        }
        return counts;
    }

    private void compressInto(
            VectorSchemaRoot page, List<ArrowFieldNode> nodes, List<ArrowBuf> buffers) {
        List<ArrowBuf> sources = new ArrayList<>();
        long capacity = 0;
        for (FieldVector v : page.getFieldVectors()) {
            if (!v.getChildrenFromFields().isEmpty()) {
                throw new IllegalStateException("nested column " + v.getField() + " in a page");
            }
            nodes.add(new ArrowFieldNode(v.getValueCount(), v.getNullCount()));
            for (ArrowBuf buf : v.getFieldBuffers()) {
                sources.add(buf);
                capacity += LENGTH_BYTES + bound(buf.writerIndex());
            }
        }
        if (output == null || output.capacity() < capacity) {
            if (output != null) {
                output.close();
                output = null;
            }
            output = allocator.buffer(capacity);
        }
        long at = 0;
        for (ArrowBuf src : sources) {
            long length = src.writerIndex();
            long written;
            if (length == 0) {
                output.setLong(at, 0L);
                written = LENGTH_BYTES;
            } else {
                long bound = bound(length);
                long compressed =
                        compressor.compress(
                                src.memoryAddress(),
                                length,
                                output.memoryAddress() + at + LENGTH_BYTES,
                                bound);
                if (compressed < 0 || compressed > bound) {
                    throw new IllegalStateException(
                            description
                                    + " wrote "
                                    + compressed
                                    + " bytes where at most "
                                    + bound
                                    + " fit");
                }
                if (compressed > length) {
                    // as Arrow: a buffer that does not shrink is stored raw, its length -1
                    output.setLong(at, -1L);
                    MemoryUtil.copyMemory(
                            src.memoryAddress(),
                            output.memoryAddress() + at + LENGTH_BYTES,
                            length);
                    written = LENGTH_BYTES + length;
                } else {
                    output.setLong(at, littleEndian(length));
                    written = LENGTH_BYTES + compressed;
                }
            }
            ArrowBuf slice = output.slice(at, written);
            output.getReferenceManager().retain();
            buffers.add(slice);
            at += written;
        }
    }

    private long bound(long length) {
        return length == 0 ? 0 : compressor.maxCompressedLength(length);
    }

    private static long littleEndian(long value) {
        return MemoryUtil.LITTLE_ENDIAN ? value : Long.reverseBytes(value);
    }

    @Override
    public void close() {
        try {
            if (output != null) {
                output.close();
                output = null;
            }
        } finally {
            if (compressor != null) {
                compressor.close();
            }
        }
    }

    /** ZSTD with one context for every buffer: the same frames as {@code Zstd.compress}. */
    static final class Zstd implements BufferCompressor {
        private final ZstdCompressCtx context;

        Zstd(int level) {
            this.context = new ZstdCompressCtx();
            context.setLevel(level);
        }

        @Override
        public CompressionUtil.CodecType type() {
            return CompressionUtil.CodecType.ZSTD;
        }

        @Override
        public long maxCompressedLength(long length) {
            return com.github.luben.zstd.Zstd.compressBound(length);
        }

        @Override
        public long compress(long src, long length, long dst, long capacity) {
            return context.compressDirectByteBuffer(
                    MemoryUtil.directBuffer(dst, Math.toIntExact(capacity)),
                    0,
                    Math.toIntExact(capacity),
                    MemoryUtil.directBuffer(src, Math.toIntExact(length)),
                    0,
                    Math.toIntExact(length));
        }

        @Override
        public void close() {
            context.close();
        }
    }

    /** LZ4 frame through commons-compress, as Arrow's codec writes it (pure Java, slow). */
    static final class Lz4Frame implements BufferCompressor {

        @Override
        public CompressionUtil.CodecType type() {
            return CompressionUtil.CodecType.LZ4_FRAME;
        }

        @Override
        public long maxCompressedLength(long length) {
            // blocks that do not shrink are stored raw: the bytes, a 4-byte size per 4 MiB block,
            // the frame's header, end mark and checksum; generously rounded up
            return length + length / 255 + 1024;
        }

        @Override
        public long compress(long src, long length, long dst, long capacity) {
            byte[] in = new byte[Math.toIntExact(length)];
            MemoryUtil.directBuffer(src, in.length).get(in);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(in.length / 2 + 64);
            try (OutputStream out = new FramedLZ4CompressorOutputStream(bytes)) {
                out.write(in);
            } catch (IOException e) {
                throw new IllegalStateException("LZ4 frame compression failed", e);
            }
            byte[] out = bytes.toByteArray();
            if (out.length > capacity) {
                throw new IllegalStateException(
                        "LZ4 frame of " + out.length + " bytes exceeds its bound " + capacity);
            }
            MemoryUtil.directBuffer(dst, out.length).put(out);
            return out.length;
        }

        @Override
        public void close() {}
    }
}
