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

import dev.kiln.cache.CachedValue;
import dev.kiln.format.Generation;
import dev.kiln.io.ByteRange;
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

import static dev.kiln.warm.Uncacheable.isCause;
import static dev.kiln.warm.Uncacheable.unwrap;

/**
 * The default {@link GenerationWarmer} of a {@link GenerationCache} ({@link
 * GenerationCache#warmer()}): opens the generation, then loads its pages into the page cache from
 * the first, in key order, while their block bytes fit in the warm budget, one chunk (one coalesced
 * read) at a time, each chunk reserving its room first. It stops, completing normally, when a chunk
 * finds no room or the page allocator is full; and stops starting chunks once its future is
 * completed by someone else (a {@link WarmGate}'s deadline or retirement). With a disk tier, it
 * first copies the file from its start to the disk tier, within the disk budget, in large reads;
 * the page phase then reads the disk. With write-through, a warm of a file whose writer handed it
 * over in this process ({@link WriteThrough}) first puts that in the cache, and then loads only the
 * pages that were not handed over, planned from the footer handed over (it does not open the file
 * again). It tells {@code reads} the storage requests it makes (the open's and its chunks' range
 * reads; not its copy to the disk tier). Thread-safe; each warm loops over chunks that complete at
 * once, so the stack stays flat however many there are.
 */
final class PageWarmer implements GenerationWarmer {

    /** Where the warmer counts the storage requests it makes, by cause. */
    @FunctionalInterface
    interface Reads {
        /** Reads that nobody counts. */
        Reads NONE = (cause, reads) -> {};

        void count(WarmReadCause cause, long reads);

        /** Returns a counter of {@code cause}'s reads. */
        default LongConsumer of(WarmReadCause cause) {
            return reads -> count(cause, reads);
        }
    }

    /** How the warmer opens a generation: as the cache's lookups do. */
    @FunctionalInterface
    interface Opener {
        /** Opens as lookups do, telling {@code reads} the storage requests if this call opened. */
        CompletableFuture<CachedValue<String, Generation>> open(
                Path path, long fileLength, PathState state, LongConsumer reads);
    }

    private final PathStates paths;
    private final Opener opener;
    private final PageTier pages;
    private final WorkInFlight work;
    private final long budgetBytes;
    private final long chunkBytes;
    @Nullable private final DiskTier disk;
    private final long diskBudgetBytes;
    private final long diskChunkBytes;
    @Nullable private final WriteThrough writeThrough;
    private final Reads reads;

    /**
     * @param budgetBytes the block bytes of pages to load per generation; 0 loads none
     * @param chunkBytes the span of file one chunk of pages covers at most (a chunk has at least
     *     one page)
     * @param disk the disk tier a warm then copies the file to, or {@code null}
     * @param diskBudgetBytes the bytes of file, from its start, a warm copies to the disk tier
     * @param diskChunkBytes the bytes of file one step of that copy reads
     */
    PageWarmer(
            PathStates paths,
            Opener opener,
            PageTier pages,
            WorkInFlight work,
            long budgetBytes,
            long chunkBytes,
            @Nullable DiskTier disk,
            long diskBudgetBytes,
            long diskChunkBytes,
            @Nullable WriteThrough writeThrough,
            Reads reads) {
        this.paths = paths;
        this.opener = opener;
        this.pages = pages;
        this.work = work;
        this.budgetBytes = budgetBytes;
        this.chunkBytes = chunkBytes;
        this.disk = disk;
        this.diskBudgetBytes = diskBudgetBytes;
        this.diskChunkBytes = Math.max(1, diskChunkBytes);
        this.writeThrough = writeThrough;
        this.reads = reads;
    }

    @Override
    public CompletableFuture<Void> warm(GenerationFile file) {
        PathState state = paths.state(file.path());
        CompletableFuture<Void> warming = new CompletableFuture<>();
        WriteThrough.Staged staged = writeThrough == null ? null : writeThrough.take(file);
        WriteThrough.Held held =
                staged != null || writeThrough == null ? null : writeThrough.takeHeld(file);
        if (held != null) {
            // Warmed ahead of its commit, its footer since dropped by the open-generation tier:
            // the footer held for this warm goes back in, and that is all. Not the pages the page
            // tier evicted since (for room, as it may after the commit): had the footer stayed,
            // this request would have found the generation warm and loaded nothing either.
            writeThrough
                    .adopt(held, state)
                    .whenComplete(
                            (adopted, error) -> {
                                if (error != null) {
                                    warming.completeExceptionally(unwrap(error));
                                } else {
                                    warming.complete(null);
                                }
                            });
        } else if (staged == null) {
            warm(file, state, warming, 0);
        } else {
            // What the writer handed over first; then as any warm, which finds it cached and
            // reads only what was not handed over. Not the pages handed over: if the cache
            // evicted some of them already, loading them again would not keep them. Nor the
            // footer: the warm holds it, so it plans the rest from it instead of opening the file
            // again (which would read it back if the open-generation tier dropped it on adoption).
            warmPagesOnceAdopted(
                    writeThrough.adopt(staged, state).thenApply(adopted -> staged.generation),
                    state,
                    warming,
                    staged.pages.size(),
                    WarmReadCause.PAST_STAGED_PAGES);
        }
        return warming;
    }

    /**
     * Once {@code adopted} (what a writer handed over, put in the cache) completes, loads the pages
     * of its generation from {@code fromPage} on, counting their reads as {@code cause}'s.
     */
    private void warmPagesOnceAdopted(
            CompletableFuture<Generation> adopted,
            PathState state,
            CompletableFuture<Void> warming,
            int fromPage,
            WarmReadCause cause) {
        adopted.whenComplete(
                (generation, error) -> {
                    if (error != null) {
                        warming.completeExceptionally(unwrap(error));
                    } else if (!warming.isDone()) {
                        warmPages(generation, state, warming, fromPage, reads.of(cause));
                    }
                });
    }

    /**
     * Opens, then loads pages from {@code fromPage} on, completing {@code warming}; stops once it
     * is completed.
     */
    private void warm(
            GenerationFile file, PathState state, CompletableFuture<Void> warming, int fromPage) {
        LongConsumer counted = reads.of(WarmReadCause.NOT_HANDED_OVER);
        opener.open(file.path(), file.length(), state, counted)
                .whenComplete(
                        (opened, error) -> {
                            if (error != null) {
                                warming.completeExceptionally(unwrap(error));
                            } else {
                                warmPages(opened.value(), state, warming, fromPage, counted);
                            }
                        });
    }

    /**
     * Loads the pages of the open {@code generation} from {@code fromPage} on (with a disk tier,
     * after its copy there), completing {@code warming}; stops once it is completed.
     */
    private void warmPages(
            Generation generation,
            PathState state,
            CompletableFuture<Void> warming,
            int fromPage,
            LongConsumer reads) {
        PageWarm pages = new PageWarm(generation, state, warming, fromPage, reads);
        if (disk == null || diskBudgetBytes <= 0) {
            pages.run();
        } else {
            // The disk first, in large reads; the pages then load from it.
            new DiskCopy(generation, state, warming, pages::run).run();
        }
    }

    /**
     * Plans the pages of {@code generation} a warm loads: from the first, while the sum of their
     * block bytes fits in {@code budgetBytes}, in chunks of consecutive pages whose file span is at
     * most {@code chunkBytes} (or one page, if that alone is larger).
     */
    static List<List<PageKey>> chunks(
            Generation generation, String path, long budgetBytes, long chunkBytes) {
        return chunks(generation, path, budgetBytes, chunkBytes, 0);
    }

    /**
     * Like the above, leaving out the pages before {@code fromPage} (which count in the budget).
     */
    static List<List<PageKey>> chunks(
            Generation generation, String path, long budgetBytes, long chunkBytes, int fromPage) {
        List<List<PageKey>> chunks = new ArrayList<>();
        List<PageKey> chunk = new ArrayList<>();
        long budget = 0;
        long chunkStart = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            ByteRange range = generation.pageRange(p);
            budget += range.length();
            if (budget > budgetBytes) {
                break;
            }
            if (p < fromPage) {
                continue;
            }
            if (!chunk.isEmpty() && range.end() - chunkStart > chunkBytes) {
                chunks.add(chunk);
                chunk = new ArrayList<>();
            }
            if (chunk.isEmpty()) {
                chunkStart = range.offset();
            }
            chunk.add(new PageKey(path, p));
        }
        if (!chunk.isEmpty()) {
            chunks.add(chunk);
        }
        return chunks;
    }

    /**
     * Copies a generation's file, from its start, to the disk tier within its budget, one step of
     * {@code diskChunkBytes} after the other, then runs the page phase (whose loads then read the
     * disk): what the page cache cannot hold, later lookups read from disk. Blocks copied already
     * cost nothing.
     */
    private final class DiskCopy {
        private final Generation generation;
        private final PathState state;
        private final CompletableFuture<Void> warming;
        private final Runnable then;
        private final long limit;
        private long offset;

        DiskCopy(
                Generation generation,
                PathState state,
                CompletableFuture<Void> warming,
                Runnable then) {
            this.generation = generation;
            this.state = state;
            this.warming = warming;
            this.then = then;
            this.limit = Math.min(generation.fileLength(), diskBudgetBytes);
        }

        void run() {
            while (!warming.isDone()) {
                if (state.retired || work.closed()) {
                    warming.complete(null);
                    return;
                }
                if (offset >= limit) {
                    then.run();
                    return;
                }
                long length = Math.min(diskChunkBytes, limit - offset);
                CompletableFuture<Void> copied;
                try {
                    copied =
                            disk.copy(
                                    generation.path(),
                                    generation.fileLength(),
                                    ByteRange.of(offset, length));
                } catch (RuntimeException e) {
                    warming.completeExceptionally(e);
                    return;
                }
                offset += length;
                if (!copied.isDone() || copied.isCompletedExceptionally()) {
                    copied.whenComplete(
                            (value, error) -> {
                                if (error != null) {
                                    warming.completeExceptionally(unwrap(error));
                                } else {
                                    run();
                                }
                            });
                    return;
                }
            }
        }
    }

    /** One warm of one generation: its chunks, loaded one after the other. */
    private final class PageWarm {
        private final Generation generation;
        private final PathState state;
        private final CompletableFuture<Void> warming;
        private final List<List<PageKey>> chunks;
        private final LongConsumer reads;
        private int next;

        PageWarm(
                Generation generation,
                PathState state,
                CompletableFuture<Void> warming,
                int fromPage,
                LongConsumer reads) {
            this.reads = reads;
            this.generation = generation;
            this.state = state;
            this.warming = warming;
            this.chunks = chunks(generation, state.path, budgetBytes, chunkBytes, fromPage);
        }

        void run() {
            while (!warming.isDone()) {
                if (next == chunks.size()) {
                    warming.complete(null);
                    return;
                }
                List<PageKey> chunk = chunks.get(next++);
                long reservation = pages.reservationFor(generation, chunk);
                if (!pages.reserve(reservation)) {
                    warming.complete(null);
                    return;
                }
                CompletableFuture<?> loaded;
                try {
                    loaded = pages.loadAll(generation, state, chunk, reads);
                } catch (RuntimeException e) {
                    pages.unreserve(reservation);
                    warming.completeExceptionally(e);
                    return;
                }
                loaded.whenComplete((value, error) -> pages.unreserve(reservation));
                if (!loaded.isDone()) {
                    loaded.whenComplete((value, error) -> resume(error));
                    return;
                }
                if (loaded.isCompletedExceptionally()) {
                    loaded.whenComplete((value, error) -> resume(error));
                    return;
                }
            }
        }

        private void resume(Throwable error) {
            if (error == null) {
                run();
            } else if (isCause(error) && !state.retired && !work.closed()) {
                // The page allocator is full: warm as far as it got.
                warming.complete(null);
            } else {
                warming.completeExceptionally(unwrap(error));
            }
        }
    }
}
