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

package dev.kiln.table;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.Page;
import dev.kiln.format.RowKind;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Merges a run of generations of one bucket into one: the newest row per key, tombstones kept
 * unless the caller says the run starts at the bucket's oldest live generation (then nothing older
 * can hold a key a tombstone would hide, and tombstones go).
 *
 * <p>The run's rows are held in Arrow memory while merging (about twice their decoded size), which
 * the compaction policy bounds by the size of what it merges. Blocks on storage I/O: call it from a
 * thread that may block. Not thread-safe; one merge at a time per instance.
 */
final class GenerationMerger {

    private final KilnTable table;
    private final RangeReader io;
    private final BufferAllocator allocator;

    GenerationMerger(KilnTable table, RangeReader io, BufferAllocator allocator) {
        this.table = table;
        this.io = io;
        this.allocator = allocator;
    }

    /**
     * Merges {@code run} (oldest first, all of {@code bucket}) into a new generation.
     *
     * @return the compaction to commit; its output is {@code null} if no row survived
     * @throws IOException if a generation cannot be read or the output cannot be written
     */
    Compaction merge(int bucket, List<GenerationRef> run, boolean dropTombstones)
            throws IOException {
        TableOptions options = table.options();
        KeyCodec codec = options.keyCodec();
        try (VectorSchemaRoot all = VectorSchemaRoot.create(options.schema(), allocator)) {
            BitSet deletes = new BitSet();
            int[] rows = {0};
            for (GenerationRef ref : run) {
                Generation generation =
                        join(Generation.open(io, table.resolve(ref.path()), ref.sizeBytes()));
                join(
                        generation.scan(
                                allocator,
                                RangeCoalescer.defaults(),
                                page -> rows[0] = append(page, all, deletes, rows[0])));
            }
            all.setRowCount(rows[0]);
            Map<ByteBuffer, Integer> newest = new HashMap<>();
            for (int i = 0; i < rows[0]; i++) {
                newest.put(ByteBuffer.wrap(codec.encode(all, i)), i);
            }
            BitSet kept = new BitSet();
            for (int i : newest.values()) {
                if (!(dropTombstones && deletes.get(i))) {
                    kept.set(i);
                }
            }
            List<String> inputs = run.stream().map(GenerationRef::path).toList();
            if (kept.isEmpty()) {
                return new Compaction(bucket, null, inputs);
            }
            try (VectorSchemaRoot merged = VectorSchemaRoot.create(options.schema(), allocator)) {
                BitSet mergedDeletes = new BitSet();
                int out = 0;
                for (int i = kept.nextSetBit(0); i >= 0; i = kept.nextSetBit(i + 1)) {
                    copyRow(all, i, merged, out);
                    mergedDeletes.set(out, deletes.get(i));
                    out++;
                }
                merged.setRowCount(out);
                String path = table.newGenerationPath(bucket);
                GenerationWriter writer = options.newWriter();
                GenerationStats stats =
                        writer.write(table.resolve(path), merged, mergedDeletes, allocator);
                return new Compaction(bucket, GenerationRef.of(path, bucket, stats), inputs);
            }
        }
    }

    private static int append(Page page, VectorSchemaRoot all, BitSet deletes, int at) {
        for (int r = 0; r < page.rowCount(); r++) {
            copyRow(page.root(), r, all, at);
            deletes.set(at, page.kind(r) == RowKind.DELETE);
            at++;
        }
        return at;
    }

    /** Copies the user columns (the target's) of row {@code from} of {@code source}. */
    private static void copyRow(
            VectorSchemaRoot source, int from, VectorSchemaRoot target, int to) {
        List<FieldVector> targets = target.getFieldVectors();
        List<FieldVector> sources = source.getFieldVectors();
        for (int c = 0; c < targets.size(); c++) {
            targets.get(c).copyFromSafe(from, to, sources.get(c));
        }
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> future) throws IOException {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }
}
