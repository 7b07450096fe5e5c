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

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link PageEncoder}: the buffers it encodes are byte for byte those of Arrow's own unloader and
 * codecs (so every Arrow IPC reader reads them), and a codec that fails mid-page, on any buffer, or
 * cannot even be created, leaves no Arrow memory held and no file behind, whether the rows are
 * written at once (a flush, {@link GenerationWriter#write}) or streamed (a compaction, {@link
 * GenerationWriter#open}).
 */
class PageEncoderTest {

    @TempDir java.nio.file.Path dir;

    private final RootAllocator root = new RootAllocator();

    @AfterEach
    void closeAllocator() {
        root.close(); // throws if anything leaked
    }

    private static PageCompression compression(String name) {
        switch (name) {
            case "none":
                return PageCompression.NONE;
            case "lz4-frame":
                return PageCompression.LZ4_FRAME;
            default:
                return PageCompression.zstd(Integer.parseInt(name.substring("zstd-".length())));
        }
    }

    private static CompressionCodec arrowCodec(PageCompression compression) {
        switch (compression.codec()) {
            case NONE:
                return NoCompressionCodec.INSTANCE;
            case LZ4_FRAME:
                return CommonsCompressionFactory.INSTANCE.createCodec(
                        CompressionUtil.CodecType.LZ4_FRAME);
            default:
                return CommonsCompressionFactory.INSTANCE.createCodec(
                        CompressionUtil.CodecType.ZSTD, compression.level());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "zstd-1", "zstd-3", "zstd-9", "lz4-frame"})
    void encodesTheBytesArrowsUnloaderAndCodecWrite(String name) throws Exception {
        PageCompression compression = compression(name);
        // 3,000 rows of every type with NULL rows; an empty page; a page of one row (its buffers
        // do not shrink, so they are stored raw)
        for (long[] ids :
                new long[][] {LongStream.range(0, 3000).toArray(), new long[0], new long[] {7}}) {
            try (VectorSchemaRoot page = Memtables.allTypes(root, ids);
                    PageEncoder encoder =
                            new PageEncoder(
                                    root,
                                    PageEncoder.CODECS.create(compression),
                                    compression.toString())) {
                for (int round = 0; round < 2; round++) { // the second reuses context and output
                    try (ArrowRecordBatch ours = encoder.encode(page, "p", round);
                            ArrowRecordBatch arrows =
                                    new VectorUnloader(page, true, arrowCodec(compression), true)
                                            .getRecordBatch()) {
                        assertThat(ours.getLength()).isEqualTo(arrows.getLength());
                        assertThat(ours.getNodes().toString())
                                .isEqualTo(arrows.getNodes().toString());
                        assertThat(ours.getBodyCompression().getCodec())
                                .isEqualTo(arrows.getBodyCompression().getCodec());
                        assertThat(ours.getBuffersLayout().toString())
                                .isEqualTo(arrows.getBuffersLayout().toString());
                        List<ArrowBuf> a = ours.getBuffers();
                        List<ArrowBuf> b = arrows.getBuffers();
                        assertThat(a).hasSameSizeAs(b);
                        for (int i = 0; i < a.size(); i++) {
                            assertThat(bytes(a.get(i)))
                                    .as("buffer " + i)
                                    .isEqualTo(bytes(b.get(i)));
                        }
                    }
                }
            }
        }
    }

    private static byte[] bytes(ArrowBuf buf) {
        byte[] bytes = new byte[(int) buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }

    /** The real codec, failing with what {@code failure} gives on its {@code n}th buffer. */
    private static PageEncoder.CompressorFactory failingOn(
            int n, Supplier<? extends Throwable> failure, AtomicInteger calls) {
        return compression -> {
            PageEncoder.BufferCompressor real = PageEncoder.CODECS.create(compression);
            return new PageEncoder.BufferCompressor() {
                @Override
                public CompressionUtil.CodecType type() {
                    return real.type();
                }

                @Override
                public long maxCompressedLength(long length) {
                    return real.maxCompressedLength(length);
                }

                @Override
                public long compress(long src, long length, long dst, long capacity) {
                    if (calls.incrementAndGet() == n) {
                        Throwable t = failure.get();
                        if (t instanceof Error) {
                            throw (Error) t;
                        }
                        throw (RuntimeException) t;
                    }
                    return real.compress(src, length, dst, capacity);
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        };
    }

    private GenerationWriter writer(PageEncoder.CompressorFactory compressors) {
        return GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                .compression(PageCompression.ZSTD)
                .targetPageBytes(16 * 1024) // several pages
                .compressors(compressors)
                .build();
    }

    private static final List<Supplier<? extends Throwable>> FAILURES =
            List.of(
                    () -> new IllegalStateException("injected codec failure"),
                    () -> new NoClassDefFoundError("com/github/luben/zstd/Zstd"));

    @Test
    void aCodecFailingOnAnyBufferOfAFlushLeaksNothing() throws Exception {
        long[] ids = LongStream.range(0, 2000).toArray();
        // how many buffers the whole write compresses, with the real codec
        AtomicInteger total = new AtomicInteger();
        Path probe = new Path(dir.resolve("probe").toUri());
        try (VectorSchemaRoot rows = Memtables.allTypes(root, ids);
                BufferAllocator pages = root.newChildAllocator("pages", 0, Long.MAX_VALUE)) {
            writer(failingOn(-1, null, total)).write(probe, rows, new BitSet(), pages);
        }
        assertThat(total.get()).isGreaterThan(60); // 15 columns x 2-3 buffers x several pages
        for (Supplier<? extends Throwable> failure : FAILURES) {
            for (int n : new int[] {1, 2, 17, total.get() / 2, total.get()}) {
                Path path = new Path(dir.resolve("flush-" + n + "-" + failure.get()).toUri());
                try (VectorSchemaRoot rows = Memtables.allTypes(root, ids)) {
                    BufferAllocator pages = root.newChildAllocator("pages", 0, Long.MAX_VALUE);
                    GenerationWriter writer = writer(failingOn(n, failure, new AtomicInteger()));
                    assertThatThrownBy(() -> writer.write(path, rows, new BitSet(), pages))
                            .isInstanceOf(PageEncodingException.class)
                            .hasMessageContaining(path.toString())
                            .hasMessageContaining("zstd(3)")
                            .hasCauseInstanceOf(failure.get().getClass())
                            .satisfies(
                                    e ->
                                            assertThat(((PageEncodingException) e).path())
                                                    .isEqualTo(path.toString()));
                    assertThat(pages.getAllocatedMemory()).as("after failure " + n).isZero();
                    pages.close(); // would throw on a leak
                }
                assertThat(Files.exists(java.nio.file.Path.of(path.toUri()))).isFalse();
            }
        }
    }

    @Test
    void aCodecFailingOnAnyBufferOfAStreamedWriteLeaksNothing() throws Exception {
        long[] ids = LongStream.range(0, 2000).toArray();
        for (Supplier<? extends Throwable> failure : FAILURES) {
            for (int n : new int[] {1, 5, 40, 90}) {
                Path path = new Path(dir.resolve("merge-" + n + "-" + failure.get()).toUri());
                try (VectorSchemaRoot rows = Memtables.allTypes(root, ids)) {
                    FieldVector[] columns = rows.getFieldVectors().toArray(new FieldVector[0]);
                    BufferAllocator pages = root.newChildAllocator("pages", 0, Long.MAX_VALUE);
                    GenerationWriter writer = writer(failingOn(n, failure, new AtomicInteger()));
                    Throwable thrown = null;
                    try (GenerationWriter.Appender out = writer.open(path, pages)) {
                        for (int i = 0; i < ids.length; i++) {
                            out.append(writer.keyCodec().encode(rows, i), columns, i, false);
                        }
                        out.finish();
                    } catch (IOException e) {
                        thrown = e;
                    }
                    assertThat(thrown)
                            .as("failure on buffer " + n)
                            .isInstanceOf(PageEncodingException.class)
                            .hasMessageContaining(path.toString())
                            .hasCauseInstanceOf(failure.get().getClass());
                    assertThat(pages.getAllocatedMemory()).isZero();
                    pages.close();
                }
                assertThat(Files.exists(java.nio.file.Path.of(path.toUri()))).isFalse();
            }
        }
    }

    @Test
    void aCodecThatCannotBeCreatedFailsTheOpenNamingThePathAndLeaksNothing() throws Exception {
        Path path = new Path(dir.resolve("no-codec").toUri());
        BufferAllocator pages = root.newChildAllocator("pages", 0, Long.MAX_VALUE);
        GenerationWriter writer =
                writer(
                        compression -> {
                            throw new NoClassDefFoundError("com/github/luben/zstd/ZstdCompressCtx");
                        });
        assertThatThrownBy(() -> writer.open(path, pages))
                .isInstanceOf(PageEncodingException.class)
                .hasMessageContaining(path.toString())
                .hasCauseInstanceOf(NoClassDefFoundError.class);
        assertThat(pages.getAllocatedMemory()).isZero();
        pages.close();
        assertThat(Files.exists(java.nio.file.Path.of(path.toUri()))).isFalse();
    }
}
