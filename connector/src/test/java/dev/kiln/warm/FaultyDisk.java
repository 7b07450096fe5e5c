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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Fault injection over the disk tier's real file writes ({@link DiskTier.CopyWriter#FILES}):
 *
 * <ul>
 *   <li>a full disk: the tier's folder holds at most {@link #capacity} bytes of real files; a copy
 *       that does not fit writes what fits, then fails with "No space left on device", as a write
 *       to a full file system does;
 *   <li>a lying disk: every {@link #corruptEvery}-th copy is written with one byte flipped, and the
 *       write reports success;
 *   <li>a held write: the next write waits, before it creates its file, until the test releases it.
 * </ul>
 */
final class FaultyDisk implements DiskTier.CopyWriter {

    /** The bytes the tier's folder may hold; {@code Long.MAX_VALUE} for a disk with room. */
    volatile long capacity = Long.MAX_VALUE;

    /** Flips a byte of every n-th copy written; 0 for none. */
    volatile int corruptEvery;

    final AtomicLong writes = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong corrupted = new AtomicLong();

    private volatile HeldReader.Hold hold;

    /** Holds the next write until {@link HeldReader.Hold#release()}. */
    HeldReader.Hold holdNextWrite() {
        HeldReader.Hold h = new HeldReader.Hold();
        hold = h;
        return h;
    }

    @Override
    public void write(Path file, byte[] bytes) throws IOException {
        HeldReader.Hold h = hold;
        if (h != null) {
            hold = null;
            h.reached.complete(null);
            h.released.join();
        }
        // One write at a time, so that the room a write sees is the room it has.
        synchronized (this) {
            long n = writes.incrementAndGet();
            long room = capacity - bytesIn(file.getParent());
            if (room < bytes.length) {
                refused.incrementAndGet();
                // What fits is written (a torn copy), then the file system says it is full.
                DiskTier.CopyWriter.FILES.write(
                        file, Arrays.copyOf(bytes, (int) Math.max(0, room)));
                throw new IOException("No space left on device");
            }
            int every = corruptEvery;
            if (every > 0 && n % every == 0) {
                corrupted.incrementAndGet();
                byte[] flipped = bytes.clone();
                flipped[flipped.length / 2] ^= 0x5A;
                DiskTier.CopyWriter.FILES.write(file, flipped);
                return;
            }
            DiskTier.CopyWriter.FILES.write(file, bytes);
        }
    }

    /** The bytes of the real files in {@code folder} (0 if it is gone). */
    static long bytesIn(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
