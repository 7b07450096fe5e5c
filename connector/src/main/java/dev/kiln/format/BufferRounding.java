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

import org.apache.flink.annotation.Internal;

import org.apache.arrow.memory.rounding.DefaultRoundingPolicy;
import org.apache.arrow.memory.rounding.RoundingPolicy;

/**
 * How Kiln's allocators round buffer requests: a request of at most {@value #SEGMENT_BYTES} bytes
 * to the next power of two (as Arrow's default does), a larger one up to a multiple of {@value
 * #SEGMENT_BYTES} bytes (a memory page), so a buffer never takes more than 4 KiB beyond its
 * request.
 *
 * <p>Why: Arrow's {@link DefaultRoundingPolicy} rounds every request below its chunk size (several
 * MiB) up to a power of two, and the allocator accounts (and, with the unsafe allocation manager,
 * allocates) the rounded size. A page's body is one buffer slightly larger than the page's target
 * size, so a page of the default 128 KiB target took 256 KiB: cached and staged pages held about
 * twice their bytes, and the cache's byte bound, which counts what the allocator accounts, held
 * half the pages it could. Vectors grow by doubling on their own, so this changes nothing for them.
 * Pass {@link #INSTANCE} to a {@link org.apache.arrow.memory.RootAllocator}; its child allocators
 * inherit it. Stateless, thread-safe.
 */
@Internal
public final class BufferRounding implements RoundingPolicy {

    /** The granularity of requests above it, and the size up to which requests double. */
    public static final long SEGMENT_BYTES = 4096;

    /** The policy. */
    public static final BufferRounding INSTANCE = new BufferRounding();

    private BufferRounding() {}

    @Override
    public long getRoundedSize(long requestSize) {
        if (requestSize <= 1) {
            return requestSize;
        }
        if (requestSize <= SEGMENT_BYTES) {
            long power = Long.highestOneBit(requestSize);
            return power == requestSize ? requestSize : power << 1;
        }
        return (requestSize + SEGMENT_BYTES - 1) & -SEGMENT_BYTES;
    }
}
