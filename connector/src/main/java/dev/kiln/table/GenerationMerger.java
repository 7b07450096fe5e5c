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

import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * Merges a run of generations of one bucket into one: the newest row per key, tombstones kept
 * unless the caller says the run starts at the bucket's oldest live generation (then nothing older
 * can hold a key a tombstone would hide, and tombstones go). Such a bottommost output is written by
 * {@link TableOptions#newBottommostCompactionWriter} (its key filter may be sized for another
 * rate), every other by {@link TableOptions#newCompactionWriter}.
 *
 * <p>A streaming k-way merge ({@link NewestRowMerge}, as the source reads a bucket): each surviving
 * row is copied from its input page into the output's page ({@link GenerationWriter#open}), written
 * when full. Memory: a page per input plus the output page and 8 bytes per output row (the key
 * filter's hashes). The output is a function of the inputs alone: the same bytes as writing the
 * surviving rows in one {@link GenerationWriter#write}. Blocks on storage I/O: call it from a
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

    /** Merges {@code run} as {@link #merge(int, List, boolean, Function)} does, telling nothing. */
    Compaction merge(int bucket, List<GenerationRef> run, boolean dropTombstones)
            throws IOException {
        return merge(bucket, run, dropTombstones, null);
    }

    /**
     * Merges {@code run} (oldest first, all of {@code bucket}) into a new generation.
     *
     * @param outputListener given the output's path, returns what to tell of its write ({@link
     *     GenerationWriter.Listener}; {@code null} for nothing), or is {@code null} itself
     * @return the compaction to commit; its output is {@code null} if no row survived
     * @throws IOException if a generation cannot be read or the output cannot be written (a partial
     *     output is deleted)
     */
    Compaction merge(
            int bucket,
            List<GenerationRef> run,
            boolean dropTombstones,
            @Nullable Function<Path, GenerationWriter.Listener> outputListener)
            throws IOException {
        List<String> inputs = run.stream().map(GenerationRef::path).toList();
        List<GenerationRef> newestFirst = new ArrayList<>(run);
        Collections.reverse(newestFirst);
        GenerationWriter.Appender out = null;
        String path = null;
        try (NewestRowMerge rows = new NewestRowMerge(table, newestFirst, io, allocator)) {
            while (rows.next()) {
                boolean delete = rows.deleted();
                if (!(dropTombstones && delete)) {
                    if (out == null) {
                        path = table.newGenerationPath(bucket);
                        Path resolved = table.resolve(path);
                        TableOptions options = table.options();
                        out =
                                (dropTombstones
                                                ? options.newBottommostCompactionWriter()
                                                : options.newCompactionWriter())
                                        .open(
                                                resolved,
                                                allocator,
                                                outputListener == null
                                                        ? null
                                                        : outputListener.apply(resolved),
                                                rows.stringViewColumns());
                    }
                    rows.appendTo(out);
                }
            }
            if (out == null) {
                return new Compaction(bucket, null, inputs);
            }
            GenerationStats stats = out.finish();
            return new Compaction(bucket, GenerationRef.of(path, bucket, stats), inputs);
        } finally {
            if (out != null) {
                out.close();
            }
        }
    }
}
