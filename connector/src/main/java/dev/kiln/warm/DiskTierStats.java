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

import org.apache.flink.annotation.Internal;

/**
 * A snapshot of the counters of a {@link GenerationCache}'s local-disk tier; all zero when the
 * cache has none.
 *
 * @param hits blocks answered from a copy on disk (each one a storage read saved)
 * @param copies blocks read from storage and copied to disk
 * @param bytes bytes of the copies held now (at most the tier's bound)
 * @param evictions copies evicted for room (least recently used first)
 * @param copyFailures blocks that could not be copied (disk full or failing): answered from the
 *     bytes read from storage
 * @param damagedCopies copies found missing, short or failing their checksum: dropped, and their
 *     block read from storage again
 * @param storageReads range reads the tier sent to storage
 */
@Internal
public record DiskTierStats(
        long hits,
        long copies,
        long bytes,
        long evictions,
        long copyFailures,
        long damagedCopies,
        long storageReads) {

    /** The counters of a cache without a disk tier. */
    public static final DiskTierStats NONE = new DiskTierStats(0, 0, 0, 0, 0, 0, 0);

    @Override
    public boolean equals(Object o) {
        return o instanceof DiskTierStats other
                && hits == other.hits
                && copies == other.copies
                && bytes == other.bytes
                && evictions == other.evictions
                && copyFailures == other.copyFailures
                && damagedCopies == other.damagedCopies
                && storageReads == other.storageReads;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(
                new long[] {
                    hits, copies, bytes, evictions, copyFailures, damagedCopies, storageReads
                });
    }

    @Override
    public String toString() {
        return "DiskTierStats{hits="
                + hits
                + ", copies="
                + copies
                + ", bytes="
                + bytes
                + ", evictions="
                + evictions
                + ", copyFailures="
                + copyFailures
                + ", damagedCopies="
                + damagedCopies
                + ", storageReads="
                + storageReads
                + "}";
    }
}
