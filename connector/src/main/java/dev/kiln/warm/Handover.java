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

package dev.kiln.warm;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationWriter;
import dev.kiln.io.ByteRange;
import dev.kiln.warm.WriteThrough.StagedPage;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.vector.VectorSchemaRoot;

import java.util.ArrayList;
import java.util.List;

/**
 * What a writer hands over to a {@link GenerationCache} of the generation it writes at one path
 * ({@link GenerationCache#handover}): pass it to {@link GenerationWriter#write(
 * org.apache.flink.core.fs.Path, VectorSchemaRoot, java.util.BitSet,
 * org.apache.arrow.memory.BufferAllocator, GenerationWriter.Listener)}. It copies each page into
 * the cache's memory as it is written (from the first, while they fit the cache's write-through
 * bound and warm budget) and, once the file is written, stages the footer and those pages until a
 * warm of that file, naming {@link #checksum()}, takes them; a failed write releases them.
 *
 * <p>Best effort: it never throws, and what it cannot hold the warm reads from storage. One
 * handover per write; not thread-safe (the writing thread uses it).
 */
@Internal
public final class Handover implements GenerationWriter.Listener {

    private final WriteThrough owner;
    private final Path path;
    private final long pageBudgetBytes;
    private final List<StagedPage> copied = new ArrayList<>();
    private long blockBytes;
    private boolean full;
    private boolean done;
    private long checksum = GenerationFile.NO_CHECKSUM;

    Handover(WriteThrough owner, Path path, long pageBudgetBytes) {
        this.owner = owner;
        this.path = path;
        this.pageBudgetBytes = pageBudgetBytes;
    }

    @Override
    public void pageWritten(int page, VectorSchemaRoot rows, ByteRange block) {
        if (full || done || page != copied.size()) {
            full = true;
            return;
        }
        blockBytes += block.length();
        if (blockBytes > pageBudgetBytes) {
            full = true;
            return;
        }
        StagedPage copy = owner.copy(rows);
        if (copy == null) {
            full = true;
        } else {
            copied.add(copy);
        }
    }

    @Override
    public void written(long fileLength, byte[] tail) {
        if (done) {
            return;
        }
        done = true;
        long sum = Generation.tailChecksum(fileLength, tail);
        // A checksum of 0 means "none": such a file is never staged (one in 2^64).
        if (sum == GenerationFile.NO_CHECKSUM) {
            owner.release(copied);
        } else {
            checksum = sum;
            owner.stage(path, fileLength, tail, List.copyOf(copied), sum);
        }
        copied.clear();
    }

    @Override
    public void failed() {
        if (!done) {
            done = true;
            owner.release(copied);
            copied.clear();
        }
    }

    /**
     * Returns the checksum of the file written ({@link Generation#tailChecksum}), which a warm
     * names in its {@link GenerationFile} to take what was handed over; {@link
     * GenerationFile#NO_CHECKSUM} until the write completed.
     */
    public long checksum() {
        return checksum;
    }

    /** Returns how many pages were copied and are waiting for the write to complete. */
    int copiedPages() {
        return copied.size();
    }
}
