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

package dev.kiln.flink.sink;

import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;

import org.apache.flink.annotation.Internal;

import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link KilnSink}'s writer emits: a generation it flushed, or a compaction of generations
 * of a bucket it owns (its output, which may be absent when no row survived, and the inputs it
 * replaces). A flush carries the writer's flush sequence number and the time of the flush. A bucket
 * is written by one writer subtask, whose sequence only grows, so among the generations of one
 * bucket and checkpoint the higher sequence is the newer one and must come later in the manifest
 * (newer generations win per key). A compaction's output takes the place of its newest input
 * instead (see {@link Compaction}), so its sequence does not order it. Immutable.
 *
 * @param generation the flushed generation, or the compaction's output ({@code null} only for a
 *     compaction without output)
 * @param flushSequence the writer's flush counter at the flush, increasing per writer subtask
 * @param flushedAtMillis when the file was written (epoch milliseconds), for the commit latency
 * @param compaction the compaction this is the output of, or {@code null} for a flush
 * @param checksum the written file's checksum if its writer handed it over to its TaskManager's
 *     cache (write-through), which the warm step names to take it; else {@code
 *     GenerationFile.NO_CHECKSUM} (0)
 */
@Internal
public record WrittenGeneration(
        GenerationRef generation,
        long flushSequence,
        long flushedAtMillis,
        Compaction compaction,
        long checksum) {

    public WrittenGeneration {
        if (compaction == null) {
            requireNonNull(generation, "generation");
        } else if (!Objects.equals(generation, compaction.output())) {
            throw new IllegalArgumentException(
                    "a compaction's generation is its output " + compaction.output());
        }
    }

    /** A flushed generation or a compaction, not handed over. */
    public WrittenGeneration(
            GenerationRef generation,
            long flushSequence,
            long flushedAtMillis,
            Compaction compaction) {
        this(generation, flushSequence, flushedAtMillis, compaction, 0);
    }

    /** A flushed generation, not handed over. */
    public WrittenGeneration(GenerationRef generation, long flushSequence, long flushedAtMillis) {
        this(generation, flushSequence, flushedAtMillis, null);
    }

    /** The output of {@code compaction}, written at {@code writtenAtMillis}, not handed over. */
    static WrittenGeneration compacted(Compaction compaction, long sequence, long writtenAtMillis) {
        return compacted(compaction, sequence, writtenAtMillis, 0);
    }

    /**
     * The output of {@code compaction}, written at {@code writtenAtMillis} and handed over to the
     * cache with write-through {@code checksum} (0: not handed over).
     */
    static WrittenGeneration compacted(
            Compaction compaction, long sequence, long writtenAtMillis, long checksum) {
        return new WrittenGeneration(
                compaction.output(), sequence, writtenAtMillis, compaction, checksum);
    }

    /** Returns the bucket of the generation, or of the compaction. */
    public int bucket() {
        return compaction != null ? compaction.bucket() : generation.bucket();
    }

    /** Returns whether this is a compaction rather than a flush. */
    public boolean isCompaction() {
        return compaction != null;
    }

    /**
     * Returns the path that keys this in the warm step: the generation's, or for a compaction
     * without output its first input's.
     */
    String keyPath() {
        return generation != null ? generation.path() : compaction.inputs().get(0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WrittenGeneration other
                && Objects.equals(generation, other.generation)
                && flushSequence == other.flushSequence
                && flushedAtMillis == other.flushedAtMillis
                && Objects.equals(compaction, other.compaction)
                && checksum == other.checksum;
    }

    @Override
    public int hashCode() {
        int h = Objects.hashCode(generation);
        h = 31 * h + Long.hashCode(flushSequence);
        h = 31 * h + Long.hashCode(flushedAtMillis);
        h = 31 * h + Objects.hashCode(compaction);
        h = 31 * h + Long.hashCode(checksum);
        return h;
    }

    @Override
    public String toString() {
        return "WrittenGeneration[generation="
                + generation
                + ", flushSequence="
                + flushSequence
                + ", flushedAtMillis="
                + flushedAtMillis
                + ", compaction="
                + compaction
                + ", checksum="
                + Long.toHexString(checksum)
                + "]";
    }
}
