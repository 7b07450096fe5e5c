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

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BufferRounding}: small requests double as Arrow's default does, larger ones take at most 4
 * KiB more than asked, and an allocator built with it accounts (so bounds) what it rounds to, the
 * memory really allocated.
 */
class BufferRoundingTest {

    private static final BufferRounding ROUNDING = BufferRounding.INSTANCE;

    @Test
    void smallRequestsRoundToPowersOfTwo() {
        assertThat(ROUNDING.getRoundedSize(0)).isZero();
        assertThat(ROUNDING.getRoundedSize(1)).isEqualTo(1);
        assertThat(ROUNDING.getRoundedSize(3)).isEqualTo(4);
        assertThat(ROUNDING.getRoundedSize(513)).isEqualTo(1024);
        assertThat(ROUNDING.getRoundedSize(4096)).isEqualTo(4096);
    }

    @Test
    void largerRequestsRoundToMultiplesOf4KiB() {
        assertThat(ROUNDING.getRoundedSize(4097)).isEqualTo(8192);
        assertThat(ROUNDING.getRoundedSize(8192)).isEqualTo(8192);
        assertThat(ROUNDING.getRoundedSize((128 << 10) + 1)).isEqualTo((128 << 10) + 4096);
        long huge = (1L << 40) + 5;
        assertThat(ROUNDING.getRoundedSize(huge)).isEqualTo((1L << 40) + 4096);
        for (long size = 1; size < 100_000; size += 97) {
            long rounded = ROUNDING.getRoundedSize(size);
            assertThat(rounded).isGreaterThanOrEqualTo(size);
            assertThat(rounded - size).isLessThan(Math.max(size, 4096));
        }
    }

    /**
     * A page body just above 128 KiB: 256 KiB with Arrow's default rounding, 132 KiB with Kiln's.
     */
    @Test
    void anAllocatorAccountsThePageBodyAtItsSizeNotTwice() {
        long body = (128 << 10) + 1000;
        try (BufferAllocator arrows = new RootAllocator();
                BufferAllocator kilns =
                        new RootAllocator(AllocationListener.NOOP, Long.MAX_VALUE, ROUNDING);
                BufferAllocator child = kilns.newChildAllocator("page", 0, Long.MAX_VALUE);
                ArrowBuf a = arrows.buffer(body);
                ArrowBuf k = child.buffer(body)) {
            assertThat(arrows.getAllocatedMemory()).isEqualTo(256 << 10);
            assertThat(child.getAllocatedMemory()).isEqualTo((128 << 10) + 4096);
            assertThat(k.capacity()).isGreaterThanOrEqualTo(body);
        }
    }
}
