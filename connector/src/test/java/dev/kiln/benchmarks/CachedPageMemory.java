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

package dev.kiln.benchmarks;

import dev.kiln.format.BufferRounding;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.PageCompression;
import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeReader;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.Handover;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The Arrow memory a cached page really takes, against its bytes: writes one generation of the sink
 * benchmark's rows (id BIGINT, v BIGINT, s STRING; default 128 KiB pages) and puts its pages in a
 * {@link GenerationCache} twice per allocator rounding (Arrow's default, Kiln's {@link
 * BufferRounding}): handed over by the writer (write-through, staged) and warmed from the file.
 * Prints, per page, the allocator's accounted memory ({@code getAllocatedMemory}, what the cache's
 * byte bound counts) beside the page's decoded body and its block in the file. Exact counts, no
 * timing: {@code java ... dev.kiln.benchmarks.CachedPageMemory [rows] [none|zstd]}.
 */
public final class CachedPageMemory {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field("v", FieldType.nullable(new ArrowType.Int(64, true)), null),
                            new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    private CachedPageMemory() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        PageCompression compression =
                args.length > 1 && args[1].equals("zstd")
                        ? PageCompression.ZSTD
                        : PageCompression.NONE;
        java.nio.file.Path dir = Files.createTempDirectory("kiln-page-memory");
        ExecutorService ioPool = Executors.newFixedThreadPool(2);
        try {
            for (boolean kilnRounding : new boolean[] {false, true}) {
                measure(dir, rows, compression, kilnRounding, ioPool);
            }
        } finally {
            ioPool.shutdownNow();
            ioPool.awaitTermination(10, TimeUnit.SECONDS);
            GenerationFixture.deleteRecursively(dir);
        }
    }

    private static void measure(
            java.nio.file.Path dir,
            int rows,
            PageCompression compression,
            boolean kilnRounding,
            ExecutorService ioPool)
            throws Exception {
        try (BufferAllocator root =
                        kilnRounding
                                ? new RootAllocator(
                                        AllocationListener.NOOP,
                                        Long.MAX_VALUE,
                                        BufferRounding.INSTANCE)
                                : new RootAllocator();
                BufferAllocator writerMemory = new RootAllocator();
                GenerationCache cache =
                        GenerationCache.builder(RangeReader.onFileSystem(ioPool), root)
                                .maximumPageBytes(1L << 30)
                                .warmPageBudgetBytes(1L << 30)
                                .warmOnOpen(false)
                                .build()) {
            String name = (kilnRounding ? "kiln" : "default") + "-" + compression;
            Path path = new Path(dir.resolve(name + ".arrow").toUri());
            Path readBack = new Path(dir.resolve(name + "-read.arrow").toUri());
            Handover handover = cache.handover(path);
            long[] sizes = new long[3]; // pages, decoded body bytes, block bytes
            GenerationWriter.Listener counting =
                    new GenerationWriter.Listener() {
                        @Override
                        public void pageWritten(int page, VectorSchemaRoot pageRows, ByteRange b) {
                            try (ArrowRecordBatch batch =
                                    new VectorUnloader(pageRows).getRecordBatch()) {
                                sizes[0]++;
                                sizes[1] += batch.computeBodyLength();
                                sizes[2] += b.length();
                            }
                            handover.pageWritten(page, pageRows, b);
                        }

                        @Override
                        public void written(long fileLength, byte[] tail) {
                            handover.written(fileLength, tail);
                        }

                        @Override
                        public void failed() {
                            handover.failed();
                        }
                    };
            write(path, rows, compression, writerMemory, counting);
            long staged = cache.writeThroughBytes();
            write(readBack, rows, compression, writerMemory, null);
            long length = readBack.getFileSystem().getFileStatus(readBack).getLen();
            long before = root.getAllocatedMemory();
            cache.warmGate().warm(new GenerationFile(readBack, length)).get(1, TimeUnit.MINUTES);
            long warmed = root.getAllocatedMemory() - before;
            long pages = sizes[0];
            System.out.printf(
                    "rounding=%s compression=%s rows=%d pages=%d: per page %d B decoded body,"
                            + " %d B block; Arrow memory per page: staged (write-through) %d B"
                            + " (%.2f x body), warmed from the file %d B (%.2f x body);"
                            + " cachedPageBytes %d%n",
                    kilnRounding ? "kiln" : "arrow-default",
                    compression,
                    rows,
                    pages,
                    sizes[1] / pages,
                    sizes[2] / pages,
                    staged / pages,
                    (double) staged / sizes[1],
                    warmed / pages,
                    (double) warmed / sizes[1],
                    cache.cachedPageBytes());
        }
    }

    private static void write(
            Path path,
            int rows,
            PageCompression compression,
            BufferAllocator allocator,
            GenerationWriter.Listener listener)
            throws Exception {
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(SCHEMA, allocator)) {
            BigIntVector id = (BigIntVector) memtable.getVector("id");
            BigIntVector v = (BigIntVector) memtable.getVector("v");
            VarCharVector s = (VarCharVector) memtable.getVector("s");
            for (int i = 0; i < rows; i++) {
                id.setSafe(i, i);
                v.setSafe(i, i * 31L);
                s.setSafe(i, ("s" + ((i * 31L) & 1023)).getBytes(StandardCharsets.UTF_8));
            }
            memtable.setRowCount(rows);
            GenerationWriter.builder(SCHEMA, List.of("id"))
                    .compression(compression)
                    .build()
                    .write(path, memtable, new BitSet(), allocator, listener);
        }
    }
}
