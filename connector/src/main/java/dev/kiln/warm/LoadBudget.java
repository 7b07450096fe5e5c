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

import dev.kiln.io.ByteRange;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The share of a {@link GenerationCache}'s page memory that loads in flight reserve from (a quarter
 * of {@code maximumPageBytes}): a load reserves an estimate of the Arrow memory its pages decode
 * into before it reads, and gives it back when it completes. One reservation always succeeds when
 * nothing else is reserved, so that one load at a time can proceed whatever its size.
 *
 * <p>A compressed block decodes into several times its size, by a ratio its bytes do not tell
 * before they are read: {@link #estimate} is the larger of the fixed {@link #decodedEstimate} and
 * the block's length times the highest ratio of Arrow bytes to block bytes any page decoded so far
 * showed ({@link #decoded}), so after one page of a kind has loaded, the next is estimated at least
 * at its size. Thread-safe.
 */
final class LoadBudget {

    private final long budgetBytes;
    private final AtomicLong reservedBytes = new AtomicLong();

    /** The highest Arrow bytes per block byte seen, in 1/{@value #RATIO_ONE}ths; grows only. */
    private final AtomicLong decodedPerBlockByte = new AtomicLong();

    private static final long RATIO_ONE = 1024;

    LoadBudget(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException(
                    "load budget must be positive, but was " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    long budgetBytes() {
        return budgetBytes;
    }

    /**
     * Reserves {@code bytes} for loads about to start.
     *
     * @return whether it was reserved; if so, the caller {@linkplain #unreserve gives it back}
     */
    boolean reserve(long bytes) {
        if (bytes == 0) {
            return true;
        }
        while (true) {
            long reserved = reservedBytes.get();
            if (reserved > 0 && reserved + bytes > budgetBytes) {
                return false;
            }
            if (reservedBytes.compareAndSet(reserved, reserved + bytes)) {
                return true;
            }
        }
    }

    void unreserve(long bytes) {
        if (bytes != 0) {
            reservedBytes.addAndGet(-bytes);
        }
    }

    /** Returns the bytes reserved now. */
    long reservedBytes() {
        return reservedBytes.get();
    }

    /**
     * Returns the bytes a load of {@code block} reserves: {@link #decodedEstimate}, or more if a
     * page decoded before took more Arrow bytes per block byte than that allows.
     */
    long estimate(ByteRange block) {
        long fixed = decodedEstimate(block);
        long ratio = decodedPerBlockByte.get();
        if (ratio == 0) {
            return fixed;
        }
        return Math.max(fixed, (block.length() * ratio + RATIO_ONE - 1) / RATIO_ONE);
    }

    /**
     * Records that a block of {@code blockBytes} decoded into {@code arrowBytes} of Arrow memory.
     */
    void decoded(long blockBytes, long arrowBytes) {
        if (blockBytes > 0 && arrowBytes > 0) {
            long ratio = (arrowBytes * RATIO_ONE + blockBytes - 1) / blockBytes;
            decodedPerBlockByte.accumulateAndGet(ratio, Math::max);
        }
    }

    /**
     * An estimate, on the high side for an uncompressed block, of the Arrow memory a page of this
     * block decodes into: its body rounded up to a power of two, plus the validity buffers Arrow
     * allocates for columns without nulls (no more than the block itself).
     */
    static long decodedEstimate(ByteRange block) {
        long length = Math.max(1, block.length());
        long roundedUp = Long.highestOneBit(length);
        return (roundedUp == length ? length : roundedUp << 1) + length;
    }
}
