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
import dev.kiln.cache.SingleFlightCache;
import dev.kiln.format.CorruptGenerationException;
import dev.kiln.format.Generation;
import dev.kiln.format.LookupResult;
import dev.kiln.format.RowReader;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.GenerationSlot;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import static dev.kiln.warm.OpenGenerations.UNKNOWN_LENGTH;
import static java.util.Objects.requireNonNull;

/**
 * The generations of a table as one subtask serves them: open generations (schema, key index and
 * key filter, from at most two range reads) and decoded pages, each in a {@link SingleFlightCache},
 * so that concurrent lookups open a generation once and load a page once. The pages one {@link
 * #lookupAll} (or one warm) misses in a file are fetched together, with one range read per range
 * the {@link RangeCoalescer} merges them into.
 *
 * <p>Memory: pages are decoded into a child allocator of the caller's allocator whose limit is
 * {@code maximumPageBytes}, so the Arrow memory of cached pages and of pages being loaded into the
 * cache never exceeds it. Three quarters of it hold cached pages, weighed by the Arrow memory they
 * occupy; loads in flight reserve their estimated size in the last quarter first. A lookup whose
 * page cannot be cached (no room to reserve, the allocator full, or its generation retired while it
 * ran) reads the page privately: decoded into the caller's allocator and released before its future
 * completes. Open generations are heap objects, bounded by {@code maximumGenerationBytes}.
 *
 * <p>Disk: with {@link Builder#diskTier}, every read of a generation (open, pages, warms) goes
 * through a local-disk tier of checksummed block copies under the page cache, bounded in bytes and
 * evicted by Caffeine, single flight per block; a damaged copy or a failing disk falls back to
 * storage, never failing a lookup. Retirement and close delete the copies ({@link #diskStats()}).
 *
 * <p>Warming: {@link #warmer()} is the default {@link GenerationWarmer}: it opens the generation
 * and loads its pages, in key order, within a byte budget, a chunk at a time; it stops loading when
 * its future is completed by someone else (a {@link WarmGate}'s deadline). {@link #warmGate()} runs
 * it best-effort (joined per path, bounded, with a deadline); with warm-on-open enabled, a lookup
 * that opens a cold generation fires one warm of it through that gate.
 *
 * <p>Lifecycle: {@link #retainPaths} and {@link #close} win over work in flight: a page or
 * generation of a retired path (or of a closed cache) loaded after the call is not cached, and the
 * path is not marked warm again. Both return (or offer) a future that completes when the work in
 * flight has settled.
 *
 * <p>Ownership: the caller owns the {@link RangeReader} and the {@link BufferAllocator} pages are
 * decoded into, and closes the allocator after {@link #close()} (or after {@link #closeAsync()}
 * completes). The cache owns the pages it holds: a page is released when it leaves the cache and no
 * lookup is reading it.
 *
 * <p>Threading: thread-safe. No method blocks but {@link #close()}; futures complete on the range
 * reader's threads (or the calling thread when the answer is cached). Lookups that lose a page to
 * eviction between its load and their read retry once through the cache, then read the page
 * privately.
 *
 * <p>Errors: futures fail with the format layer's {@link CorruptGenerationException} (naming path
 * and offset) or the reader's {@link java.io.IOException}, wrapped in {@link CompletionException}
 * when joined. Nothing of a failed open or page load is cached; the next call tries again. Warming
 * never fails a caller (see {@link WarmGate}).
 *
 * <p>Parts (package-private, one concept each): {@link Lookups} (the read path, warm-on-open
 * included), {@link OpenGenerations} (the open-generation tier), {@link PageTier} (the page tier)
 * with its {@link LoadBudget}, {@link KeyBatch} (one lookup's keys by page), {@link PlainReads}
 * (the mode without single flight), {@link PageWarmer} (the default warmer), {@link PathStates}
 * (path lifetimes and their retirement), {@link Holds} (readers' holds), {@link WorkInFlight} (work
 * in flight and the close) and {@link ReadCounters}. This class wires them and owns the API.
 */
@Internal
public final class GenerationCache implements GenerationLookup, AutoCloseable {

    /** Default {@link Builder#maximumPageBytes}: 256 MiB of decoded pages. */
    public static final long DEFAULT_MAXIMUM_PAGE_BYTES = 256L << 20;

    /** Default {@link Builder#maximumGenerationBytes}: 32 MiB of footers (key index, filter). */
    public static final long DEFAULT_MAXIMUM_GENERATION_BYTES = 32L << 20;

    /** Default {@link Builder#warmPageBudgetBytes}: 64 MiB of pages per generation warmed. */
    public static final long DEFAULT_WARM_PAGE_BUDGET_BYTES = 64L << 20;

    /** Default {@link Builder#maxConcurrentWarms}. */
    public static final int DEFAULT_MAX_CONCURRENT_WARMS = 2;

    /** Default {@link Builder#warmDeadline}. */
    public static final Duration DEFAULT_WARM_DEADLINE = Duration.ofSeconds(30);

    /** Default {@link Builder#writeThroughTimeToLive}: one minute. */
    public static final Duration DEFAULT_WRITE_THROUGH_TIME_TO_LIVE = Duration.ofMinutes(1);

    /** Default {@link Builder#diskBlockBytes}: 256 KiB. */
    public static final int DEFAULT_DISK_BLOCK_BYTES = DiskTier.DEFAULT_BLOCK_BYTES;

    /** The most file one step of a warm's copy to the disk tier reads: 8 MiB. */
    private static final long DISK_WARM_CHUNK_BYTES = 8L << 20;

    /** How long {@link #close()} waits for work in flight before it returns. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(GenerationCache.class);

    private static final ColdReadListener NO_COLD_READS = Lookups.NO_COLD_READS;

    /** The share of {@code maximumPageBytes} that loads in flight reserve from: a quarter. */
    private static final int LOAD_SHARE_DIVISOR = 4;

    /**
     * The share of the cached pages' bound that staged pages may borrow past the loads' quarter: a
     * half, so that a compaction output larger than the quarter is handed over whole.
     */
    private static final int LENDABLE_SHARE_DIVISOR = 2;

    private final Executor maintenance;
    @Nullable private final DiskTier disk;

    private final PathStates paths = new PathStates();
    private final Holds holds = new Holds();
    private final ReadCounters counters = new ReadCounters();
    private final WorkInFlight work;
    private final OpenGenerations generations;
    private final PageTier pages;
    private final Lookups lookups;
    private final WriteThrough writeThrough;
    private final GenerationWarmer warmer;
    private final WarmGate warmGate;

    private GenerationCache(Builder builder) {
        this.maintenance = builder.maintenance;
        LoadBudget budget =
                new LoadBudget(Math.max(1, builder.maximumPageBytes / LOAD_SHARE_DIVISOR));
        long cachedBytes = Math.max(1, builder.maximumPageBytes - budget.budgetBytes());
        // A warm chunk reserves at most a quarter of the load budget, so lookups keep room.
        long warmChunkBytes =
                Math.max(1, Math.min(builder.coalescer.rangeSizeLimit(), budget.budgetBytes() / 8));
        BufferAllocator pageAllocator =
                builder.allocator.newChildAllocator("kiln-page-cache", 0, builder.maximumPageBytes);
        this.work = new WorkInFlight(pageAllocator::close);
        this.disk =
                builder.maximumDiskBytes > 0
                        ? DiskTier.open(
                                builder.io,
                                builder.diskDirectory,
                                builder.maximumDiskBytes,
                                builder.diskBlockBytes,
                                builder.diskExecutor,
                                builder.diskWriter)
                        : null;
        // Eviction runs inline (it only releases Arrow buffers), so close() and retainPaths()
        // have released every page they removed by the time they complete.
        // A generation is warm only while its footer is cached: an evicted one loses its mark, so
        // the marks stay bounded by the cache even when no reader retires paths (a TaskManager
        // that only writes).
        this.generations =
                new OpenGenerations(
                        builder.io,
                        disk,
                        work,
                        builder.maximumGenerationBytes,
                        this::unmarkEvicted);
        this.pages =
                new PageTier(
                        builder.allocator,
                        pageAllocator,
                        builder.coalescer,
                        cachedBytes,
                        cachedBytes / LENDABLE_SHARE_DIVISOR,
                        budget,
                        counters,
                        work,
                        paths);
        this.lookups =
                new Lookups(
                        paths,
                        generations,
                        pages,
                        new PlainReads(generations, pages),
                        work,
                        builder.singleFlight,
                        builder.warmOnOpen,
                        this::warmOpened);
        // Staged pages reserve in the loads' quarter: they are pages on their way into the cache.
        this.writeThrough =
                new WriteThrough(
                        generations,
                        pages,
                        work,
                        builder.writeThrough ? budget.budgetBytes() : 0,
                        builder.warmPageBudgetBytes,
                        builder.writeThroughTimeToLive.toNanos(),
                        builder.maximumGenerationBytes,
                        System::nanoTime);
        this.warmer =
                new PageWarmer(
                        paths,
                        lookups::openCached,
                        pages,
                        work,
                        builder.warmPageBudgetBytes,
                        warmChunkBytes,
                        disk,
                        builder.maximumDiskBytes / 2,
                        Math.min(builder.coalescer.rangeSizeLimit(), DISK_WARM_CHUNK_BYTES),
                        writeThrough,
                        counters::warmReads);
        this.warmGate = new WarmGate(warmer, builder.maxConcurrentWarms, builder.warmDeadline);
        warmGate.stillWarm(path -> generations.getIfPresent(path) != null);
        warmGate.foundWarm(writeThrough::releaseHeld);
    }

    /**
     * Returns a builder of a cache that reads generations through {@code io} and decodes pages into
     * {@code allocator}; both stay owned by the caller.
     */
    public static Builder builder(RangeReader io, BufferAllocator allocator) {
        return new Builder(io, allocator);
    }

    /** Returns the open generation at {@code path}, opening it (once) if it is not cached. */
    public CompletableFuture<Generation> open(Path path) {
        return lookups.open(path, UNKNOWN_LENGTH);
    }

    /**
     * Returns the open generation at {@code path}, whose file is {@code fileLength} bytes long (as
     * its manifest entry says), opening it (once) without a length request if it is not cached.
     */
    public CompletableFuture<Generation> open(Path path, long fileLength) {
        return lookups.open(path, checkLength(fileLength));
    }

    /**
     * Looks encoded key {@code key} up in the generation at {@code path}: no page read if the key
     * range or key filter rules it out, otherwise the key's page through the page cache.
     */
    public CompletableFuture<LookupResult> lookup(Path path, byte[] key) {
        return lookups.lookup(path, key);
    }

    /**
     * Looks encoded {@code keys} up in the generation at {@code path}, loading the pages they need
     * and this call owns with coalesced range reads.
     *
     * @return the answers, in the order of {@code keys}
     */
    @Override
    public CompletableFuture<List<LookupResult>> lookupAll(Path path, List<byte[]> keys) {
        return lookups.lookupAll(path, UNKNOWN_LENGTH, keys, NO_COLD_READS);
    }

    /** Like {@link #lookupAll(Path, List)}, opening a cold generation without a length request. */
    @Override
    public CompletableFuture<List<LookupResult>> lookupAll(
            Path path, long fileLength, List<byte[]> keys) {
        return lookupAll(path, fileLength, keys, NO_COLD_READS);
    }

    /**
     * Like {@link #lookupAll(Path, long, List)}, telling {@code coldReads} of every key of {@code
     * keys} whose answer needed a storage read that this call ran itself: the generation's open, or
     * its key's page (not a load another caller had in flight, which this call joined). The
     * listener is called before the returned future completes, on any thread, possibly more than
     * once per key; keys are the very instances of {@code keys}.
     */
    public CompletableFuture<List<LookupResult>> lookupAll(
            Path path, long fileLength, List<byte[]> keys, ColdReadListener coldReads) {
        requireNonNull(keys, "keys");
        requireNonNull(coldReads, "coldReads");
        return lookups.lookupAll(path, checkLength(fileLength), keys, coldReads);
    }

    /**
     * Answers {@code key} in the generation at {@code path} (as {@link Path#toString()} renders it)
     * if its open generation and, unless its key filter rules the key out, the key's page are
     * cached; otherwise (or once the cache is closed) returns {@code null}. No I/O, no load, no
     * wait; the page is read under a reference, so eviction meanwhile cannot free it. Not counted
     * in {@link #pageStats()} (the caller counts its answers).
     */
    @Override
    @Nullable
    public LookupResult lookupIfCached(String path, byte[] key) {
        return lookups.lookupIfCached(path, key);
    }

    /**
     * Like {@link #lookupIfCached(String, byte[])}, reading a found row with {@code reader} while
     * the page is held (see {@link RowReader} for what it may keep): returns {@code null} (not
     * cached), {@link LookupResult#absent()}, {@link LookupResult#deleted()}, or what {@code
     * reader} returned. A cached page answers without the key filter (its search is exact).
     */
    @Override
    @Nullable
    public <T> Object lookupIfCached(String path, byte[] key, RowReader<T> reader) {
        return lookups.lookupIfCached(path, key, reader);
    }

    /**
     * Like {@link #lookupIfCached(String, byte[], RowReader)}, keeping the open generation in the
     * snapshot's {@code slot}: found there, it is read without a cache lookup while it is cached
     * (the cache's removal marks it {@linkplain Generation#uncached() uncached}, and a marked one
     * is never served from a slot); the cache's policy is told of one in {@value
     * Lookups#TOUCH_EVERY} such hits.
     */
    @Override
    @Nullable
    public <T> Object lookupIfCached(
            String path, GenerationSlot slot, byte[] key, RowReader<T> reader) {
        return lookups.lookupIfCached(path, slot, key, reader);
    }

    /**
     * Returns a handover of the generation a writer in this process is about to write at {@code
     * path}: pass it to the writer ({@link dev.kiln.format.GenerationWriter#write(Path,
     * org.apache.arrow.vector.VectorSchemaRoot, java.util.BitSet, BufferAllocator,
     * dev.kiln.format.GenerationWriter.Listener)}) and name its {@link Handover#checksum()} in the
     * {@link GenerationFile} of the warm: that warm then takes the footer and the pages handed over
     * instead of reading them (write-through). What is handed over is staged in the page memory
     * (within the loads' quarter of {@code maximumPageBytes}, and the warm budget per file) until
     * that warm, for at most the builder's {@code writeThroughTimeToLive}; lookups never see it.
     * With write-through off (builder), the handover stages the footer only.
     */
    public Handover handover(Path path) {
        return writeThrough.handover(requireNonNull(path, "path"));
    }

    /**
     * Returns the storage requests the default warmer made: its opens' and its page loads' range
     * reads (with a disk tier, reads of the disk tier; its copies to the disk tier are not
     * counted). A warm that took everything from a write-through handover makes none.
     */
    public long warmStorageReads() {
        return counters.warmStorageReads();
    }

    /** Returns the storage requests the default warmer made for {@code cause}. */
    public long warmStorageReads(WarmReadCause cause) {
        return counters.warmStorageReads(requireNonNull(cause, "cause"));
    }

    /**
     * Warms {@code file}, handed over by a writer in this process ({@link #handover}, naming its
     * checksum), ahead of its commit, as {@link #warmGate()}{@code .warm(file)} does, and holds its
     * footer until the commit's warm (the next request of the gate naming the path and a checksum):
     * if the open-generation tier drops the footer meanwhile (which unmarks the path in the gate),
     * that warm puts it back without a read. For a file committed after a later checkpoint than the
     * coming one (a compaction round's output): held footers of such files are bounded by {@code
     * maximumGenerationBytes} (the oldest is let go first) and by {@code writeThroughTimeToLive};
     * retirement and close let them go.
     */
    public CompletableFuture<WarmOutcome> warmAheadOfCommit(GenerationFile file) {
        writeThrough.holdForCommit(requireNonNull(file, "file"), false);
        return warmGate.warm(file);
    }

    /**
     * Like {@link #warmAheadOfCommit}, for a file committed at the coming checkpoint (a flush's,
     * whose commit's warm follows within moments): its footer is held within a bound of its own, a
     * quarter of {@code maximumGenerationBytes}, so that these footers never push out those of
     * files waiting a checkpoint longer.
     */
    public CompletableFuture<WarmOutcome> warmAheadOfNextCommit(GenerationFile file) {
        writeThrough.holdForCommit(requireNonNull(file, "file"), true);
        return warmGate.warm(file);
    }

    /**
     * Returns the footer bytes held for their commit ({@link #warmAheadOfCommit}, {@link
     * #warmAheadOfNextCommit}).
     */
    public long heldForCommitBytes() {
        return writeThrough.heldBytes();
    }

    /** Returns the Arrow memory staged by write-through handovers waiting for their warm. */
    public long writeThroughBytes() {
        return writeThrough.reservedBytes();
    }

    /** Returns the files staged by write-through handovers waiting for their warm, for tests. */
    int writeThroughFiles() {
        return writeThrough.stagedFiles();
    }

    /** Returns the default warmer: open, then load pages in key order within the budget. */
    public GenerationWarmer warmer() {
        return warmer;
    }

    /** Returns the gate that runs {@link #warmer()} best-effort; warm-on-open goes through it. */
    public WarmGate warmGate() {
        return warmGate;
    }

    /**
     * Evicts everything of the generations not in {@code live}: open handles, pages and warm state,
     * and wins over work in flight for them: what a lookup or warm that started before this call
     * loads for a retired generation afterwards is not cached (a lookup still gets its answer), and
     * a warm of it does not mark it warm again. Work that starts after this call treats the path as
     * new.
     *
     * <p>Runs on the maintenance executor. The future completes once the retired generations are
     * removed, every load of them that was in flight has completed, and every page of them has been
     * released (pages that lookups were reading, when those reads finished): all their Arrow memory
     * is free then.
     */
    public CompletableFuture<Void> retainPaths(Set<Path> live) {
        Set<String> keep = live.stream().map(Path::toString).collect(Collectors.toSet());
        return CompletableFuture.supplyAsync(
                        () -> {
                            warmGate.retainPaths(live);
                            CompletableFuture<Void> drained = paths.retireAllBut(keep);
                            // After the states are retired: a load registered later sees it.
                            generations.invalidateAll(path -> !keep.contains(path));
                            pages.invalidateAll(path -> !keep.contains(path));
                            writeThrough.invalidateAll(path -> !keep.contains(path));
                            if (disk != null) {
                                disk.invalidateAll(path -> !keep.contains(path));
                            }
                            return drained;
                        },
                        maintenance)
                .thenCompose(drained -> drained);
    }

    /**
     * Evicts everything of the generations in {@code retired}, and nothing else, as {@link
     * #retainPaths} evicts the generations it does not keep (winning over work in flight for them
     * alike). Unlike {@code retainPaths}, it leaves alone what others sharing the cache hold:
     * generations warmed for a commit not yet published, other readers' generations. The future
     * completes as {@code retainPaths}'s does. It does not consult {@link #holdPaths holds}.
     */
    public CompletableFuture<Void> evictPaths(Set<Path> retired) {
        requireNonNull(retired, "retired");
        return CompletableFuture.supplyAsync(() -> evictNow(retired), maintenance)
                .thenCompose(drained -> drained);
    }

    /**
     * Takes one hold on each of {@code held} for a reader of this cache (a snapshot that names
     * them): while a path has a hold, {@link #releasePaths} of other holders does not evict it.
     * Readers sharing the cache hold the paths of their current snapshots, so one reader's move to
     * a newer version does not evict what a lagging reader still reads. Thread-safe; holds are
     * counted per path, not per holder.
     */
    public void holdPaths(Set<Path> held) {
        holds.hold(held);
    }

    /**
     * Gives up one hold on each of {@code held} (taken by {@link #holdPaths}) and evicts, as {@link
     * #evictPaths} does, those of them no holder holds any more: on the maintenance executor,
     * unless held again by then (a hold taken before the eviction runs keeps the path; one taken
     * after it finds the path gone and loads it again). The future completes once those evictions
     * have settled as {@code evictPaths}'s do.
     *
     * @throws IllegalStateException if a path of {@code held} has no hold (nothing is released)
     */
    public CompletableFuture<Void> releasePaths(Set<Path> held) {
        Set<Path> unheld = holds.release(held);
        if (unheld.isEmpty() || work.closed()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.supplyAsync(
                        () -> holds.evictUnheld(unheld, this::evictNow), maintenance)
                .thenCompose(drained -> drained);
    }

    /** Returns how many holds ({@link #holdPaths}) {@code path} has now. */
    public int holdsOf(Path path) {
        return holds.holdsOf(path);
    }

    /** The synchronous part of {@link #evictPaths}. */
    private CompletableFuture<Void> evictNow(Set<Path> retired) {
        if (retired.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Set<String> drop = retired.stream().map(Path::toString).collect(Collectors.toSet());
        warmGate.forgetPaths(retired);
        CompletableFuture<Void> drained = paths.retire(drop);
        generations.invalidateAll(drop::contains);
        pages.invalidateAll(drop::contains);
        writeThrough.invalidateAll(drop::contains);
        if (disk != null) {
            disk.invalidateAll(drop::contains);
        }
        return drained;
    }

    /** Returns the counters of the open-generation cache. */
    public CacheStats generationStats() {
        return generations.stats();
    }

    /** Returns the counters of the page cache. */
    public CacheStats pageStats() {
        return pages.stats();
    }

    /** Returns the Arrow memory of the decoded pages the cache holds, in bytes. */
    public long cachedPageBytes() {
        return pages.weightedSizeBytes();
    }

    /** Returns the counters of the local-disk tier ({@link DiskTierStats#NONE} without one). */
    public DiskTierStats diskStats() {
        return disk == null ? DiskTierStats.NONE : disk.stats();
    }

    /** Returns whether the cache reads through a local-disk tier. */
    public boolean hasDiskTier() {
        return disk != null;
    }

    /** Returns the disk tier, or {@code null}, for tests. */
    @Nullable
    DiskTier diskTier() {
        return disk;
    }

    /** Returns the number of pages the cache holds. */
    public long cachedPages() {
        return pages.estimatedSize();
    }

    /** Returns the number of open generations the cache holds. */
    public long cachedGenerations() {
        return generations.estimatedSize();
    }

    /**
     * Returns how many page reads bypassed the cache: the page was evicted between its load and its
     * read twice in a row, or there was no room to load it into the cache, or its generation was
     * retired meanwhile (a sign, but for the last, that {@code maximumPageBytes} is too small).
     */
    public long uncachedPageReads() {
        return counters.uncachedPageReads();
    }

    /**
     * Returns how many pages were read from storage and decoded: loaded into the cache (by lookups
     * and warms) or read privately.
     */
    public long pagesRead() {
        return counters.pagesRead();
    }

    /**
     * Returns how many distinct pages (of a generation, counted until its path is retired) were
     * read from storage; {@link #pagesRead()} divided by this is the loads per distinct page, 1
     * when nothing is read twice (no duplicate loads, no eviction before a later read).
     */
    public long distinctPagesRead() {
        return counters.distinctPagesRead();
    }

    /**
     * Closes the cache: drops every cached generation and page, {@linkplain WarmGate#close closes}
     * its warm gate (stopping the warms in flight as {@link WarmGate#retainPaths} does for retired
     * paths, and the gate's timer), and makes later calls fail with {@link IllegalStateException};
     * loads in flight complete uncached. Idempotent.
     *
     * @return a future that completes when every page the cache decoded has been released (loads in
     *     flight have completed, lookups reading pages have finished) and the cache's child
     *     allocator is closed: the caller may close its allocator then. It fails with {@link
     *     IllegalStateException} if the child allocator reports a leak.
     */
    public CompletableFuture<Void> closeAsync() {
        if (work.close()) {
            // Stops the warms in flight, as retirement does, and the gate's timer.
            warmGate.close();
            generations.invalidateAll(path -> true);
            pages.invalidateAll(path -> true);
            writeThrough.invalidateAll(path -> true);
            if (disk != null) {
                disk.close();
            }
            work.settle();
        }
        return work.closeFuture();
    }

    /**
     * {@link #closeAsync() Closes} the cache and waits up to 30 seconds for the work in flight to
     * settle; if it has not by then, logs a warning and returns (the caller's allocator will then
     * report the pages still in use when it is closed).
     *
     * @throws IllegalStateException if the cache's child allocator reports a leak
     */
    @Override
    public void close() {
        try {
            closeAsync().get(CLOSE_WAIT.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.warn(
                    "Generation cache closed with work in flight after {}: {} loads, {} pages.",
                    CLOSE_WAIT,
                    work.loadsInFlight(),
                    work.livePages());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("generation cache did not close cleanly", e.getCause());
        }
    }

    /** Returns the child allocator cached pages are decoded into, for tests. */
    BufferAllocator pageAllocator() {
        return pages.pageAllocator();
    }

    // ------------------------------------------------------------------------------------------

    private void warmOpened(GenerationFile file) {
        warmGate.warm(file);
    }

    private void unmarkEvicted(String path) {
        warmGate.unmark(path);
    }

    private static long checkLength(long fileLength) {
        if (fileLength < 0) {
            throw new IllegalArgumentException(
                    "fileLength must not be negative, but was " + fileLength);
        }
        return fileLength;
    }

    /**
     * Told which keys of a lookup needed a storage read that the lookup ran itself (see {@link
     * GenerationCache#lookupAll(Path, long, List, ColdReadListener)}). Must be thread-safe and
     * cheap: it runs on I/O threads, inside the lookup.
     */
    @FunctionalInterface
    @Internal
    public interface ColdReadListener {
        void coldRead(byte[] key);
    }

    /**
     * Builds a {@link GenerationCache}; validates each option as it is set, naming it. Not
     * thread-safe.
     */
    @Internal
    public static final class Builder {
        private final RangeReader io;
        private final BufferAllocator allocator;
        private RangeCoalescer coalescer = RangeCoalescer.defaults();
        private long maximumPageBytes = DEFAULT_MAXIMUM_PAGE_BYTES;
        private long maximumGenerationBytes = DEFAULT_MAXIMUM_GENERATION_BYTES;
        private long warmPageBudgetBytes = DEFAULT_WARM_PAGE_BUDGET_BYTES;
        private int maxConcurrentWarms = DEFAULT_MAX_CONCURRENT_WARMS;
        private Duration warmDeadline = DEFAULT_WARM_DEADLINE;
        private boolean warmOnOpen = true;
        private boolean singleFlight = true;
        private boolean writeThrough = true;
        private Duration writeThroughTimeToLive = DEFAULT_WRITE_THROUGH_TIME_TO_LIVE;
        private Executor maintenance = ForkJoinPool.commonPool();
        private java.nio.file.Path diskDirectory;
        private long maximumDiskBytes;
        private int diskBlockBytes = DEFAULT_DISK_BLOCK_BYTES;
        private Executor diskExecutor;
        private DiskTier.CopyWriter diskWriter = DiskTier.CopyWriter.FILES;

        private Builder(RangeReader io, BufferAllocator allocator) {
            this.io = requireNonNull(io, "io");
            this.allocator = requireNonNull(allocator, "allocator");
        }

        /** Sets how page misses of one file are merged into range reads. */
        public Builder coalescer(RangeCoalescer coalescer) {
            this.coalescer = requireNonNull(coalescer, "coalescer");
            return this;
        }

        /**
         * Bounds the Arrow memory of cached pages plus pages being loaded into the cache (the limit
         * of the cache's child allocator): three quarters for cached pages, one for loads in
         * flight; must be positive. Pages lookups read privately are not covered.
         */
        public Builder maximumPageBytes(long bytes) {
            this.maximumPageBytes = positive("maximumPageBytes", bytes);
            return this;
        }

        /** Bounds the bytes of open generations (footers) held; must be positive. */
        public Builder maximumGenerationBytes(long bytes) {
            this.maximumGenerationBytes = positive("maximumGenerationBytes", bytes);
            return this;
        }

        /**
         * Sets how many bytes of pages, from the first page in key order, the default warmer loads
         * per generation; 0 warms only the footer (key index and filter).
         */
        public Builder warmPageBudgetBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException(
                        "warmPageBudgetBytes must not be negative, but was " + bytes);
            }
            this.warmPageBudgetBytes = bytes;
            return this;
        }

        /** Sets how many warmer invocations may run at once; must be positive. */
        public Builder maxConcurrentWarms(int warms) {
            this.maxConcurrentWarms = (int) positive("maxConcurrentWarms", warms);
            return this;
        }

        /**
         * Sets how long a warm request waits at most (from its call) and how long a warm may run
         * (from its start) before the gate stops it; must be positive. See {@link WarmGate}.
         */
        public Builder warmDeadline(Duration deadline) {
            requireNonNull(deadline, "warmDeadline");
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException(
                        "warmDeadline must be positive, but was " + deadline);
            }
            this.warmDeadline = deadline;
            return this;
        }

        /** Sets whether a lookup that opens a cold generation fires a warm of it (default on). */
        public Builder warmOnOpen(boolean enabled) {
            this.warmOnOpen = enabled;
            return this;
        }

        /**
         * Sets whether concurrent lookups share one load of a page or generation (default on). Off
         * is a baseline for comparison, a plain cache: a lookup reads every page it misses itself,
         * even one another lookup has in flight, and offers it to the cache afterwards (a copy the
         * cache already holds is released); {@link #pageStats()} then counts those offers, and
         * {@link #pagesRead()} the reads. Warms still load through single flight.
         */
        public Builder singleFlight(boolean enabled) {
            this.singleFlight = enabled;
            return this;
        }

        /**
         * Sets whether {@link GenerationCache#handover handovers} stage the pages writers hand over
         * (default on); off, they stage the footer only, and warms read the pages.
         */
        public Builder writeThrough(boolean enabled) {
            this.writeThrough = enabled;
            return this;
        }

        /**
         * Sets how long what a writer handed over waits for its warm at most (default one minute);
         * must be positive. Past it, the next handover or warm drops it.
         */
        public Builder writeThroughTimeToLive(Duration timeToLive) {
            requireNonNull(timeToLive, "writeThroughTimeToLive");
            if (timeToLive.isNegative() || timeToLive.isZero()) {
                throw new IllegalArgumentException(
                        "writeThroughTimeToLive must be positive, but was " + timeToLive);
            }
            this.writeThroughTimeToLive = timeToLive;
            return this;
        }

        /** Sets where {@link GenerationCache#retainPaths} runs (default the common pool). */
        public Builder maintenanceExecutor(Executor executor) {
            this.maintenance = requireNonNull(executor, "maintenanceExecutor");
            return this;
        }

        /**
         * Puts a local-disk tier under the page cache: copies of blocks of generation files, at
         * most {@code maximumBytes} of them, evicted least-recently-used, in a folder of its own
         * under {@code directory}/{@value DiskTier#ROOT_NAME} (deleted when the cache closes; the
         * folders of processes that ended are deleted when it opens). Disk reads and writes run on
         * {@code executor}. {@code maximumBytes} 0 (the default) means no tier; if the folder
         * cannot be made the cache logs a warning and reads storage only.
         */
        public Builder diskTier(
                java.nio.file.Path directory, long maximumBytes, Executor executor) {
            if (maximumBytes < 0) {
                throw new IllegalArgumentException(
                        "maximumDiskBytes must not be negative, but was " + maximumBytes);
            }
            this.diskDirectory = requireNonNull(directory, "diskDirectory");
            this.maximumDiskBytes = maximumBytes;
            this.diskExecutor = requireNonNull(executor, "diskExecutor");
            return this;
        }

        /** Sets the size of the blocks the disk tier copies (default 256 KiB); positive. */
        public Builder diskBlockBytes(int bytes) {
            this.diskBlockBytes = (int) positive("diskBlockBytes", bytes);
            return this;
        }

        /** Sets how the disk tier writes its copies: the seam of tests that inject disk faults. */
        Builder diskWriter(DiskTier.CopyWriter writer) {
            this.diskWriter = requireNonNull(writer, "diskWriter");
            return this;
        }

        /** Returns a new cache. */
        public GenerationCache build() {
            return new GenerationCache(this);
        }

        private static long positive(String option, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(option + " must be positive, but was " + value);
            }
            return value;
        }
    }
}
