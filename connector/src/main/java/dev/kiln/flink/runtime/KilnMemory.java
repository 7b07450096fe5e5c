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

package dev.kiln.flink.runtime;

import dev.kiln.format.BufferRounding;

import org.apache.flink.annotation.Internal;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The one Arrow root allocator of Kiln in a TaskManager (in the class loader that loaded Kiln):
 * every allocator Kiln's operators use there (the shared caches', the sink writers', the scan
 * readers') is its child, so {@link #allocatedBytes()} is all the off-heap memory Kiln holds there.
 * Kiln's Arrow memory is allocated through {@code arrow-memory-unsafe}, which the JVM's
 * direct-memory metrics and limit do not see: this is the only count of it.
 *
 * <p>The root is never closed; a child is closed by its owner (closing one that still holds memory
 * fails, as Arrow's allocators do). Thread-safe.
 */
@Internal
public final class KilnMemory {

    /** Rounds buffers to 4 KiB, not to powers of two: a page takes its size, not twice it. */
    private static final BufferAllocator ROOT =
            new RootAllocator(AllocationListener.NOOP, Long.MAX_VALUE, BufferRounding.INSTANCE);

    private KilnMemory() {}

    /**
     * Returns a new allocator of at most {@code limitBytes}, named {@code name}, counted in {@link
     * #allocatedBytes()}; the caller closes it.
     */
    public static BufferAllocator newAllocator(String name, long limitBytes) {
        return ROOT.newChildAllocator(name, 0, limitBytes);
    }

    /** Returns the bytes Kiln's allocators hold in this TaskManager now. */
    public static long allocatedBytes() {
        return ROOT.getAllocatedMemory();
    }
}
