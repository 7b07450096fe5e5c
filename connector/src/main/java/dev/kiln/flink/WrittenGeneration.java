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

package dev.kiln.flink;

import dev.kiln.table.GenerationRef;

import org.apache.flink.annotation.Internal;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link KilnSink}'s writer emits for each generation it flushed: the generation, the
 * writer's flush sequence number and the time of the flush. A bucket is written by one writer
 * subtask, whose sequence only grows, so among the generations of one bucket and checkpoint the
 * higher sequence is the newer one and must come later in the manifest (newer generations win per
 * key). Immutable.
 *
 * @param generation the flushed generation
 * @param flushSequence the writer's flush counter at the flush, increasing per writer subtask
 * @param flushedAtMillis when the file was written (epoch milliseconds), for the commit latency
 */
@Internal
public record WrittenGeneration(
        GenerationRef generation, long flushSequence, long flushedAtMillis) {

    public WrittenGeneration {
        requireNonNull(generation, "generation");
    }
}
