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

import dev.kiln.cache.CacheStats;
import dev.kiln.cache.CachedValue;
import dev.kiln.cache.RemovalCause;
import dev.kiln.cache.SingleFlightCache;
import dev.kiln.format.CorruptGenerationException;
import dev.kiln.format.Generation;
import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeReader;
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import javax.annotation.Nullable;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The open generations of a {@link GenerationCache} (schema, key index and key filter, from at most
 * two range reads), keyed by path in a {@link SingleFlightCache} weighed by footer bytes, so that
 * concurrent callers open a generation once. An open is the work of its path's {@link PathState}
 * and of the cache's {@link WorkInFlight}: refused ({@link Uncacheable}) for a retired path, failed
 * once the cache is closed. Eviction runs inline. Thread-safe.
 */
final class OpenGenerations {

    /** Reads that nobody counts. */
    static final LongConsumer NO_READS = reads -> {};

    /** The file length to pass when it is not known: the open asks the reader for it. */
    static final long UNKNOWN_LENGTH = -1;

    private final RangeReader io;
    @Nullable private final DiskTier disk;
    private final WorkInFlight work;
    private final SingleFlightCache<String, Generation> generations;

    /**
     * @param disk the disk tier generations read through, or {@code null} to read storage only
     * @param evictedForRoom told the path of each generation evicted for room (not invalidated)
     */
    OpenGenerations(
            RangeReader io,
            @Nullable DiskTier disk,
            WorkInFlight work,
            long maximumBytes,
            Consumer<String> evictedForRoom) {
        this.io = io;
        this.disk = disk;
        this.work = work;
        this.generations =
                SingleFlightCache.<String, Generation>builder()
                        .maximumBytes(maximumBytes)
                        .weigher((path, generation) -> footerBytes(generation))
                        .executor(Runnable::run)
                        .removalListener(
                                (path, generation, cause) -> {
                                    // Never served from a snapshot's slot again (Lookups).
                                    generation.markUncached();
                                    if (cause == RemovalCause.EVICTED) {
                                        evictedForRoom.accept(path);
                                    }
                                })
                        .build();
    }

    /**
     * Returns the open generation at {@code path} from the cache, opening it (once, however many
     * callers ask) as {@code state}'s work if it is absent.
     */
    CompletableFuture<CachedValue<String, Generation>> open(
            Path path, long fileLength, PathState state) {
        return open(path, fileLength, state, NO_READS);
    }

    /**
     * Like {@link #open(Path, long, PathState)}, telling {@code reads} how many storage requests
     * the open made if this call made it (not if it joined another's or found it cached).
     */
    CompletableFuture<CachedValue<String, Generation>> open(
            Path path, long fileLength, PathState state, LongConsumer reads) {
        return generations.getOrLoad(state.path, key -> load(path, fileLength, state, reads));
    }

    /** Opens the generation at {@code path} as {@code state}'s work, without the cache. */
    CompletableFuture<Generation> load(Path path, long fileLength, PathState state) {
        return load(path, fileLength, state, NO_READS);
    }

    private CompletableFuture<Generation> load(
            Path path, long fileLength, PathState state, LongConsumer reads) {
        return state.load(() -> work.track(() -> openFile(path, fileLength, reads)));
    }

    /**
     * Puts {@code written}, opened from what its writer handed over, in the cache as {@code
     * state}'s, unless the path is open already (then the cached one stays). Fails ({@link
     * Uncacheable}) if the path was retired, and once the cache is closed.
     */
    CompletableFuture<CachedValue<String, Generation>> adopt(PathState state, Generation written) {
        return generations.getOrLoad(
                state.path,
                key ->
                        state.load(
                                () ->
                                        work.track(
                                                () -> CompletableFuture.completedFuture(written))));
    }

    /**
     * Opens the generation at {@code path} of {@code fileLength} bytes from its {@code tail} as its
     * writer wrote it, without a read; its pages are then read as an open one's are.
     */
    Generation ofTail(Path path, long fileLength, byte[] tail) throws CorruptGenerationException {
        return Generation.ofTail(
                disk == null ? io : disk.reader(fileLength), path, fileLength, tail);
    }

    /** Opens the generation at {@code path} privately (uncached), counted as work in flight. */
    CompletableFuture<Generation> openPrivately(Path path, long fileLength) {
        return work.track(() -> openFile(path, fileLength));
    }

    /**
     * Offers a generation opened without single flight to the cache, which keeps the first copy it
     * is given; one of a path retired (or a cache closed) meanwhile is removed again.
     */
    void offer(PathState state, Generation opened) {
        if (generations.putIfAbsent(state.path, opened) && (state.retired || work.closed())) {
            generations.invalidate(state.path);
        }
    }

    /** Returns the cached generation at {@code path}, or {@code null}. */
    Generation getIfPresent(String path) {
        return generations.getIfPresent(path);
    }

    void invalidateAll(Predicate<String> paths) {
        generations.invalidateAll(paths);
    }

    CacheStats stats() {
        return generations.stats();
    }

    long estimatedSize() {
        return generations.estimatedSize();
    }

    private CompletableFuture<Generation> openFile(Path path, long fileLength) {
        return openFile(path, fileLength, NO_READS);
    }

    /** Opens the file, telling {@code reads} the requests it made once it is open. */
    private CompletableFuture<Generation> openFile(Path path, long fileLength, LongConsumer reads) {
        if (reads == NO_READS) {
            return openFile(io, path, fileLength);
        }
        Counting counting = new Counting(io);
        return openFile(counting, path, fileLength)
                .whenComplete((opened, error) -> reads.accept(counting.stop()));
    }

    private CompletableFuture<Generation> openFile(RangeReader io, Path path, long fileLength) {
        if (disk == null) {
            return fileLength == UNKNOWN_LENGTH
                    ? Generation.open(io, path)
                    : Generation.open(io, path, fileLength);
        }
        // Through the disk tier, which must know the file's length to bound its last block.
        return fileLength == UNKNOWN_LENGTH
                ? io.length(path)
                        .thenCompose(length -> Generation.open(disk.reader(length), path, length))
                : Generation.open(disk.reader(fileLength), path, fileLength);
    }

    /**
     * Counts the requests made through it until {@link #stop()}: an open's reads. A generation
     * keeps the reader it was opened with for its page reads, which then pass through uncounted.
     */
    private static final class Counting implements RangeReader {
        private final RangeReader delegate;
        private final AtomicLong requests = new AtomicLong();
        private volatile boolean counting = true;

        Counting(RangeReader delegate) {
            this.delegate = delegate;
        }

        long stop() {
            counting = false;
            return requests.get();
        }

        @Override
        public CompletableFuture<byte[]> read(Path path, ByteRange range) {
            if (counting) {
                requests.incrementAndGet();
            }
            return delegate.read(path, range);
        }

        @Override
        public CompletableFuture<Long> length(Path path) {
            if (counting) {
                requests.incrementAndGet();
            }
            return delegate.length(path);
        }
    }

    /** The bytes of a generation's footer (schema, key index, key filter): what an open holds. */
    static int footerBytes(Generation generation) {
        long pageBytes = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            pageBytes += generation.pageRange(p).length();
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, generation.fileLength() - pageBytes));
    }
}
