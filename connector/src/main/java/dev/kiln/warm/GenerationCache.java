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
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationLookup;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

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
 */
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

    /** How long {@link #close()} waits for work in flight before it returns. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(GenerationCache.class);

    private static final int CACHED_READ_ATTEMPTS = 2;
    private static final ColdReadListener NO_COLD_READS = key -> {};
    private static final Runnable NOTHING = () -> {};
    private static final long UNKNOWN_LENGTH = -1;

    /** The share of {@code maximumPageBytes} that loads in flight reserve from: a quarter. */
    private static final int LOAD_SHARE_DIVISOR = 4;

    private final RangeReader io;
    private final BufferAllocator allocator;
    private final BufferAllocator pageAllocator;
    private final RangeCoalescer coalescer;
    private final long warmPageBudgetBytes;
    private final long loadBudgetBytes;
    private final long warmChunkBytes;
    private final boolean warmOnOpen;
    private final boolean singleFlight;
    private final Executor maintenance;

    private final SingleFlightCache<String, Generation> generations;
    private final SingleFlightCache<PageKey, SharedPage> pages;
    private final GenerationWarmer warmer;
    private final WarmGate warmGate;
    private final LongAdder uncachedPageReads = new LongAdder();
    private final LongAdder pagesRead = new LongAdder();
    private final LongAdder distinctPagesRead = new LongAdder();

    private final Map<String, PathState> paths = new ConcurrentHashMap<>();

    /** Holds per path ({@link #holdPaths}); guarded by itself. */
    private final Map<String, Integer> holds = new HashMap<>();

    private final AtomicLong reservedBytes = new AtomicLong();
    private final AtomicInteger loadsInFlight = new AtomicInteger();
    private final AtomicInteger livePages = new AtomicInteger();
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private volatile boolean closed;

    private GenerationCache(Builder builder) {
        this.io = builder.io;
        this.allocator = builder.allocator;
        this.coalescer = builder.coalescer;
        this.warmPageBudgetBytes = builder.warmPageBudgetBytes;
        this.warmOnOpen = builder.warmOnOpen;
        this.singleFlight = builder.singleFlight;
        this.maintenance = builder.maintenance;
        this.loadBudgetBytes = Math.max(1, builder.maximumPageBytes / LOAD_SHARE_DIVISOR);
        long cachedBytes = Math.max(1, builder.maximumPageBytes - loadBudgetBytes);
        // A warm chunk reserves at most a quarter of the load budget, so lookups keep room.
        this.warmChunkBytes =
                Math.max(1, Math.min(coalescer.rangeSizeLimit(), loadBudgetBytes / 8));
        this.pageAllocator =
                allocator.newChildAllocator("kiln-page-cache", 0, builder.maximumPageBytes);
        // Eviction runs inline (it only releases Arrow buffers), so close() and retainPaths()
        // have released every page they removed by the time they complete.
        this.generations =
                SingleFlightCache.<String, Generation>builder()
                        .maximumBytes(builder.maximumGenerationBytes)
                        .weigher((path, generation) -> footerBytes(generation))
                        .executor(Runnable::run)
                        // A generation is warm only while its footer is cached: an evicted one
                        // loses its mark, so the marks stay bounded by the cache even when no
                        // reader retires paths (a TaskManager that only writes).
                        .removalListener((path, generation, cause) -> onEvicted(path, cause))
                        .build();
        this.pages =
                SingleFlightCache.<PageKey, SharedPage>builder()
                        .maximumBytes(cachedBytes)
                        .weigher((key, page) -> (int) Math.min(Integer.MAX_VALUE, page.sizeBytes()))
                        .executor(Runnable::run)
                        .removalListener((key, page, cause) -> page.release())
                        .build();
        this.warmer = this::warmPages;
        this.warmGate = new WarmGate(warmer, builder.maxConcurrentWarms, builder.warmDeadline);
        warmGate.stillWarm(path -> generations.getIfPresent(path) != null);
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
        return openGeneration(path, UNKNOWN_LENGTH, state(path), false);
    }

    /**
     * Returns the open generation at {@code path}, whose file is {@code fileLength} bytes long (as
     * its manifest entry says), opening it (once) without a length request if it is not cached.
     */
    public CompletableFuture<Generation> open(Path path, long fileLength) {
        return openGeneration(path, checkLength(fileLength), state(path), false);
    }

    /**
     * Looks encoded key {@code key} up in the generation at {@code path}: no page read if the key
     * range or key filter rules it out, otherwise the key's page through the page cache.
     */
    public CompletableFuture<LookupResult> lookup(Path path, byte[] key) {
        requireNonNull(key, "key");
        if (!singleFlight) {
            return lookupAll(path, List.of(key)).thenApply(answers -> answers.get(0));
        }
        PathState state = state(path);
        return openGeneration(path, UNKNOWN_LENGTH, state, warmOnOpen)
                .thenCompose(
                        generation ->
                                generation.mightContain(key)
                                        ? readPage(
                                                generation,
                                                state,
                                                new PageKey(state.path, generation.pageOf(key)),
                                                page -> page.lookup(key),
                                                0)
                                        : CompletableFuture.completedFuture(LookupResult.absent()));
    }

    /**
     * Looks encoded {@code keys} up in the generation at {@code path}, loading the pages they need
     * and this call owns with coalesced range reads.
     *
     * @return the answers, in the order of {@code keys}
     */
    @Override
    public CompletableFuture<List<LookupResult>> lookupAll(Path path, List<byte[]> keys) {
        requireNonNull(keys, "keys");
        PathState state = state(path);
        return openGeneration(path, UNKNOWN_LENGTH, state, warmOnOpen)
                .thenCompose(generation -> lookupAll(generation, state, keys));
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
        PathState state = state(path);
        return openGeneration(
                        path,
                        checkLength(fileLength),
                        state,
                        warmOnOpen,
                        () -> keys.forEach(coldReads::coldRead))
                .thenCompose(generation -> lookupAll(generation, state, keys, coldReads));
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
        if (closed) {
            return null;
        }
        Generation generation = generations.getIfPresent(path);
        if (generation == null) {
            return null;
        }
        int page = generation.candidatePage(key);
        if (page < 0) {
            return LookupResult.absent();
        }
        SharedPage cached = pages.getIfPresent(new PageKey(path, page));
        return cached == null ? null : cached.lookup(key);
    }

    private CompletableFuture<List<LookupResult>> lookupAll(
            Generation generation, PathState state, List<byte[]> keys) {
        return lookupAll(generation, state, keys, NO_COLD_READS);
    }

    private CompletableFuture<List<LookupResult>> lookupAll(
            Generation generation, PathState state, List<byte[]> keys, ColdReadListener coldReads) {
        LookupResult[] results = new LookupResult[keys.size()];
        Map<Integer, List<Integer>> keysByPage = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            byte[] key = requireNonNull(keys.get(i), "keys must not contain null");
            if (generation.mightContain(key)) {
                keysByPage.computeIfAbsent(generation.pageOf(key), p -> new ArrayList<>()).add(i);
            } else {
                results[i] = LookupResult.absent();
            }
        }
        if (keysByPage.isEmpty()) {
            return CompletableFuture.completedFuture(Arrays.asList(results));
        }
        List<PageKey> pageKeys =
                keysByPage.keySet().stream()
                        .map(p -> new PageKey(state.path, p))
                        .collect(Collectors.toList());
        Function<PageKey, Function<Page, Boolean>> answers =
                key ->
                        p -> {
                            for (int i : keysByPage.get(key.page())) {
                                results[i] = p.lookup(keys.get(i));
                            }
                            return Boolean.TRUE;
                        };
        Function<PageKey, Runnable> cold =
                key ->
                        () -> {
                            for (int i : keysByPage.get(key.page())) {
                                coldReads.coldRead(keys.get(i));
                            }
                        };
        if (!singleFlight) {
            return readPagesPlain(generation, state, pageKeys, answers, cold)
                    .thenApply(done -> Arrays.asList(results));
        }
        long reservation = reservationFor(generation, pageKeys);
        if (!reserve(reservation)) {
            // No room for all of them in flight: page by page, each reserving for itself.
            List<CompletableFuture<Boolean>> reads = new ArrayList<>();
            for (PageKey key : pageKeys) {
                reads.add(readPage(generation, state, key, answers.apply(key), 0, cold.apply(key)));
            }
            return allOf(reads).thenApply(done -> Arrays.asList(results));
        }
        return pages.getOrLoadAll(pageKeys, owned -> loadPages(generation, state, owned))
                .handle(
                        (loaded, error) -> {
                            unreserve(reservation);
                            if (error != null) {
                                return uncacheable(error)
                                        ? readPrivately(generation, pageKeys, answers, cold)
                                                .thenApply(done -> Arrays.asList(results))
                                        : CompletableFuture.<List<LookupResult>>failedFuture(
                                                unwrap(error));
                            }
                            List<CompletableFuture<Boolean>> reads = new ArrayList<>();
                            for (CachedValue<PageKey, SharedPage> cached : loaded) {
                                if (cached.loaded()) {
                                    cold.apply(cached.key()).run();
                                }
                                Function<Page, Boolean> answer = answers.apply(cached.key());
                                if (cached.value().read(answer) == null) {
                                    reads.add(
                                            readPage(
                                                    generation,
                                                    state,
                                                    cached.key(),
                                                    answer,
                                                    1,
                                                    cold.apply(cached.key())));
                                }
                            }
                            return allOf(reads).thenApply(done -> Arrays.asList(results));
                        })
                .thenCompose(f -> f);
    }

    /**
     * Without single flight: answers from the cached pages, reads every other page itself (in
     * coalesced range reads) even if another lookup has it in flight, answers from what it read,
     * then offers those pages to the cache, releasing each one the cache already had.
     */
    private CompletableFuture<Void> readPagesPlain(
            Generation generation,
            PathState state,
            List<PageKey> pageKeys,
            Function<PageKey, Function<Page, Boolean>> answers,
            Function<PageKey, Runnable> cold) {
        Set<PageKey> missing = new LinkedHashSet<>();
        for (PageKey key : pageKeys) {
            SharedPage cached = pages.getIfPresent(key);
            if (cached == null || cached.read(answers.apply(key)) == null) {
                missing.add(key);
            }
        }
        if (missing.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long reservation = reservationFor(generation, List.copyOf(missing));
        if (!reserve(reservation)) {
            return readPrivately(generation, missing, answers, cold);
        }
        return loadPages(generation, state, missing)
                .handle(
                        (loaded, error) -> {
                            try {
                                if (error != null) {
                                    return uncacheable(error)
                                            ? readPrivately(generation, missing, answers, cold)
                                            : CompletableFuture.<Void>failedFuture(unwrap(error));
                                }
                                RuntimeException failed = null;
                                for (Map.Entry<PageKey, SharedPage> read : loaded.entrySet()) {
                                    try {
                                        cold.apply(read.getKey()).run();
                                        read.getValue().read(answers.apply(read.getKey()));
                                    } catch (RuntimeException e) {
                                        failed = failed == null ? e : failed;
                                    }
                                    offer(state, read.getKey(), read.getValue());
                                }
                                return failed == null
                                        ? CompletableFuture.<Void>completedFuture(null)
                                        : CompletableFuture.<Void>failedFuture(failed);
                            } finally {
                                unreserve(reservation);
                            }
                        })
                .thenCompose(f -> f);
    }

    /** Reads {@code keys}' pages privately, each a cold read, answering from each. */
    private CompletableFuture<Void> readPrivately(
            Generation generation,
            Collection<PageKey> keys,
            Function<PageKey, Function<Page, Boolean>> answers,
            Function<PageKey, Runnable> cold) {
        List<CompletableFuture<Boolean>> reads = new ArrayList<>();
        for (PageKey key : keys) {
            cold.apply(key).run();
            reads.add(readPrivately(generation, key.page(), answers.apply(key)));
        }
        return allOf(reads).thenApply(done -> null);
    }

    /**
     * Offers a page read without single flight to the cache, which keeps the first copy of a page
     * it is given; a copy it does not keep is released, and one of a path retired (or a cache
     * closed) meanwhile is removed again, which releases it.
     */
    private void offer(PathState state, PageKey key, SharedPage page) {
        if (!pages.putIfAbsent(key, page)) {
            page.release();
        } else if (state.retired || closed) {
            pages.invalidate(key);
        }
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
                            List<CompletableFuture<Void>> drained = new ArrayList<>();
                            for (PathState state : paths.values()) {
                                if (!keep.contains(state.path)) {
                                    paths.remove(state.path, state);
                                    state.retire();
                                    drained.add(state.drained);
                                }
                            }
                            // After the states are retired: a load registered later sees it.
                            generations.invalidateAll(path -> !keep.contains(path));
                            pages.invalidateAll(page -> !keep.contains(page.path()));
                            return allOf(drained);
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
        requireNonNull(held, "held");
        synchronized (holds) {
            for (Path path : held) {
                holds.merge(path.toString(), 1, Integer::sum);
            }
        }
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
        requireNonNull(held, "held");
        Set<Path> unheld = new HashSet<>();
        synchronized (holds) {
            for (Path path : held) {
                if (!holds.containsKey(path.toString())) {
                    throw new IllegalStateException("no hold on " + path + " to release");
                }
            }
            for (Path path : held) {
                String key = path.toString();
                if (holds.merge(key, -1, Integer::sum) == 0) {
                    holds.remove(key);
                    unheld.add(path);
                }
            }
        }
        if (unheld.isEmpty() || closed) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.supplyAsync(
                        () -> {
                            synchronized (holds) {
                                unheld.removeIf(path -> holds.containsKey(path.toString()));
                                return evictNow(unheld);
                            }
                        },
                        maintenance)
                .thenCompose(drained -> drained);
    }

    /** Returns how many holds ({@link #holdPaths}) {@code path} has now. */
    public int holdsOf(Path path) {
        synchronized (holds) {
            return holds.getOrDefault(path.toString(), 0);
        }
    }

    /** The synchronous part of {@link #evictPaths}. */
    private CompletableFuture<Void> evictNow(Set<Path> retired) {
        if (retired.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Set<String> drop = retired.stream().map(Path::toString).collect(Collectors.toSet());
        warmGate.forgetPaths(retired);
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        for (String path : drop) {
            PathState state = paths.get(path);
            if (state != null && paths.remove(path, state)) {
                state.retire();
                drained.add(state.drained);
            }
        }
        generations.invalidateAll(drop::contains);
        pages.invalidateAll(page -> drop.contains(page.path()));
        return allOf(drained);
    }

    private void onEvicted(String path, RemovalCause cause) {
        if (cause == RemovalCause.EVICTED) {
            warmGate.unmark(path);
        }
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
        return uncachedPageReads.sum();
    }

    /**
     * Returns how many pages were read from storage and decoded: loaded into the cache (by lookups
     * and warms) or read privately.
     */
    public long pagesRead() {
        return pagesRead.sum();
    }

    /**
     * Returns how many distinct pages (of a generation, counted until its path is retired) were
     * read from storage; {@link #pagesRead()} divided by this is the loads per distinct page, 1
     * when nothing is read twice (no duplicate loads, no eviction before a later read).
     */
    public long distinctPagesRead() {
        return distinctPagesRead.sum();
    }

    /**
     * Closes the cache: drops every cached generation and page, stops the warms in flight (as
     * {@link WarmGate#retainPaths} does for retired paths), and makes later calls fail with {@link
     * IllegalStateException}; loads in flight complete uncached. Idempotent.
     *
     * @return a future that completes when every page the cache decoded has been released (loads in
     *     flight have completed, lookups reading pages have finished) and the cache's child
     *     allocator is closed: the caller may close its allocator then. It fails with {@link
     *     IllegalStateException} if the child allocator reports a leak.
     */
    public CompletableFuture<Void> closeAsync() {
        if (!closed) {
            closed = true;
            warmGate.retainPaths(Set.of());
            generations.invalidateAll(path -> true);
            pages.invalidateAll(page -> true);
            settleClose();
        }
        return closedFuture.copy();
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
                    loadsInFlight.get(),
                    livePages.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("generation cache did not close cleanly", e.getCause());
        }
    }

    /** Returns the child allocator cached pages are decoded into, for tests. */
    BufferAllocator pageAllocator() {
        return pageAllocator;
    }

    // ------------------------------------------------------------------------------------------

    private PathState state(Path path) {
        return paths.computeIfAbsent(requireNonNull(path, "path").toString(), PathState::new);
    }

    /**
     * Opens through the generation cache; if {@code state} was retired meanwhile, opens privately
     * (uncached). Fires a warm of a generation this call opened if {@code warm}.
     */
    private CompletableFuture<Generation> openGeneration(
            Path path, long fileLength, PathState state, boolean warm) {
        return openGeneration(path, fileLength, state, warm, NOTHING);
    }

    /** Like the above, running {@code openedHere} if this call read the file (cached or not). */
    private CompletableFuture<Generation> openGeneration(
            Path path, long fileLength, PathState state, boolean warm, Runnable openedHere) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        return openCached(path, fileLength, state)
                .handle(
                        (opened, error) -> {
                            if (error == null) {
                                if (opened.loaded()) {
                                    openedHere.run();
                                    if (warm) {
                                        Generation g = opened.value();
                                        warmGate.warm(new GenerationFile(g.path(), g.fileLength()));
                                    }
                                }
                                return CompletableFuture.completedFuture(opened.value());
                            }
                            if (uncacheable(error)) {
                                openedHere.run();
                                return tracked(() -> openFile(path, fileLength));
                            }
                            return CompletableFuture.<Generation>failedFuture(unwrap(error));
                        })
                .thenCompose(f -> f);
    }

    private CompletableFuture<CachedValue<String, Generation>> openCached(
            Path path, long fileLength, PathState state) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        if (!singleFlight) {
            Generation cached = generations.getIfPresent(state.path);
            if (cached != null) {
                return CompletableFuture.completedFuture(
                        new CachedValue<>(state.path, cached, false));
            }
            return load(state, () -> openFile(path, fileLength))
                    .thenApply(
                            opened -> {
                                if (generations.putIfAbsent(state.path, opened)
                                        && (state.retired || closed)) {
                                    generations.invalidate(state.path);
                                }
                                return new CachedValue<>(state.path, opened, true);
                            });
        }
        return generations.getOrLoad(
                state.path, key -> load(state, () -> openFile(path, fileLength)));
    }

    private CompletableFuture<Generation> openFile(Path path, long fileLength) {
        return fileLength == UNKNOWN_LENGTH
                ? Generation.open(io, path)
                : Generation.open(io, path, fileLength);
    }

    private static long checkLength(long fileLength) {
        if (fileLength < 0) {
            throw new IllegalArgumentException(
                    "fileLength must not be negative, but was " + fileLength);
        }
        return fileLength;
    }

    /**
     * Reads one page through the page cache (reserving room for it first), or privately if it
     * cannot be cached.
     */
    private <T> CompletableFuture<T> readPage(
            Generation generation,
            PathState state,
            PageKey key,
            Function<Page, T> read,
            int attempt) {
        return readPage(generation, state, key, read, attempt, NOTHING);
    }

    /** Like the above, running {@code loadedHere} if this call read the page from storage. */
    private <T> CompletableFuture<T> readPage(
            Generation generation,
            PathState state,
            PageKey key,
            Function<Page, T> read,
            int attempt,
            Runnable loadedHere) {
        if (attempt >= CACHED_READ_ATTEMPTS) {
            loadedHere.run();
            return readPrivately(generation, key.page(), read);
        }
        long reservation = reservationFor(generation, List.of(key));
        if (!reserve(reservation)) {
            loadedHere.run();
            return readPrivately(generation, key.page(), read);
        }
        CompletableFuture<CachedValue<PageKey, SharedPage>> cached;
        try {
            cached = pages.getOrLoad(key, k -> load(state, () -> loadPage(generation, state, k)));
        } catch (RuntimeException e) {
            unreserve(reservation);
            throw e;
        }
        return cached.handle(
                        (value, error) -> {
                            unreserve(reservation);
                            if (error != null) {
                                if (uncacheable(error)) {
                                    loadedHere.run();
                                    return readPrivately(generation, key.page(), read);
                                }
                                return CompletableFuture.<T>failedFuture(unwrap(error));
                            }
                            if (value.loaded()) {
                                loadedHere.run();
                            }
                            T result = value.value().read(read);
                            return result != null
                                    ? CompletableFuture.completedFuture(result)
                                    : readPage(
                                            generation, state, key, read, attempt + 1, loadedHere);
                        })
                .thenCompose(f -> f);
    }

    /**
     * Reads and decodes one page into the caller's allocator, applies {@code read}, releases it.
     */
    private <T> CompletableFuture<T> readPrivately(
            Generation generation, int page, Function<Page, T> read) {
        uncachedPageReads.increment();
        return tracked(
                () ->
                        generation
                                .readPage(page)
                                .thenApply(
                                        bytes -> {
                                            Page decoded =
                                                    decode(generation, page, bytes, allocator);
                                            try {
                                                return read.apply(decoded);
                                            } finally {
                                                decoded.close();
                                                pageReleased();
                                            }
                                        }));
    }

    private CompletableFuture<SharedPage> loadPage(
            Generation generation, PathState state, PageKey key) {
        return generation
                .readPage(key.page())
                .thenApply(
                        bytes ->
                                share(decode(generation, key.page(), bytes, pageAllocator), state));
    }

    private CompletableFuture<Map<PageKey, SharedPage>> loadPages(
            Generation generation, PathState state, Set<PageKey> owned) {
        int[] pageNumbers = owned.stream().mapToInt(PageKey::page).sorted().toArray();
        return load(
                state,
                () ->
                        generation
                                .readPages(pageNumbers, coalescer)
                                .thenApply(
                                        bytes -> {
                                            Map<PageKey, SharedPage> byKey = new HashMap<>();
                                            try {
                                                for (int i = 0; i < pageNumbers.length; i++) {
                                                    Page page =
                                                            decode(
                                                                    generation,
                                                                    pageNumbers[i],
                                                                    bytes.get(i),
                                                                    pageAllocator);
                                                    byKey.put(
                                                            new PageKey(state.path, pageNumbers[i]),
                                                            share(page, state));
                                                }
                                                return byKey;
                                            } catch (RuntimeException e) {
                                                byKey.values().forEach(SharedPage::release);
                                                throw e;
                                            }
                                        }));
    }

    /**
     * Decodes a page into {@code target}, counting it as live until it is closed. A page that does
     * not fit in the page allocator is {@linkplain Uncacheable uncacheable}, not corrupt.
     */
    private Page decode(Generation generation, int page, byte[] bytes, BufferAllocator target) {
        Page decoded;
        try {
            decoded = generation.decodePage(page, bytes, target);
        } catch (CorruptGenerationException | RuntimeException e) {
            if (target == pageAllocator && causedBy(e, OutOfMemoryException.class)) {
                throw new Uncacheable(
                        "no room in the page cache for page " + page + " of " + generation.path());
            }
            throw e instanceof CompletionException c ? c : new CompletionException(e);
        }
        livePages.incrementAndGet();
        countRead(generation.path().toString(), page);
        return decoded;
    }

    private void countRead(String path, int page) {
        pagesRead.increment();
        PathState state = paths.get(path);
        if (state == null || state.firstRead(page)) {
            distinctPagesRead.increment();
        }
    }

    /** Shares a page decoded into the page allocator, counting it as {@code state}'s work. */
    private SharedPage share(Page page, PathState state) {
        state.begin();
        return new SharedPage(
                page,
                () -> {
                    state.end();
                    pageReleased();
                });
    }

    private void pageReleased() {
        livePages.decrementAndGet();
        settleClose();
    }

    /**
     * Runs a load for the page or generation cache, registered under {@code state}: refused (not
     * run) if the cache is closed or the path retired, so that nothing loaded after {@link #close}
     * or {@link #retainPaths} is cached. The caller has registered the load in its cache before
     * this runs, so a close or retirement after this check sees the load in flight.
     */
    private <T> CompletableFuture<T> load(PathState state, Supplier<CompletableFuture<T>> load) {
        state.begin();
        CompletableFuture<T> loading;
        if (state.retired) {
            loading =
                    CompletableFuture.failedFuture(
                            new Uncacheable("generation " + state.path + " was retired"));
        } else {
            loading = tracked(load);
        }
        loading.whenComplete((value, error) -> state.end());
        return loading;
    }

    /** Runs {@code work} counted as in flight, unless the cache is closed. */
    private <T> CompletableFuture<T> tracked(Supplier<CompletableFuture<T>> work) {
        loadsInFlight.incrementAndGet();
        CompletableFuture<T> running;
        if (closed) {
            running = CompletableFuture.failedFuture(closedException());
        } else {
            try {
                running = requireNonNull(work.get(), "load");
            } catch (RuntimeException e) {
                running = CompletableFuture.failedFuture(e);
            }
        }
        running.whenComplete(
                (value, error) -> {
                    loadsInFlight.decrementAndGet();
                    settleClose();
                });
        return running;
    }

    /** Completes the close once closed, with no load in flight and no decoded page left. */
    private void settleClose() {
        if (closed && loadsInFlight.get() == 0 && livePages.get() == 0 && !closedFuture.isDone()) {
            synchronized (closedFuture) {
                if (closedFuture.isDone()) {
                    return;
                }
                try {
                    pageAllocator.close();
                    closedFuture.complete(null);
                } catch (RuntimeException e) {
                    closedFuture.completeExceptionally(e);
                }
            }
        }
    }

    /** Estimates the Arrow memory of the pages of {@code keys} that are not cached. */
    private long reservationFor(Generation generation, List<PageKey> keys) {
        long bytes = 0;
        for (PageKey key : keys) {
            if (pages.getIfPresent(key) == null) {
                bytes += decodedEstimate(generation.pageRange(key.page()));
            }
        }
        return bytes;
    }

    /**
     * An estimate, on the high side, of the Arrow memory a page of this block decodes into: its
     * body rounded up to a power of two, plus the validity buffers Arrow allocates for columns
     * without nulls (no more than the block itself).
     */
    static long decodedEstimate(ByteRange block) {
        long length = Math.max(1, block.length());
        long roundedUp = Long.highestOneBit(length);
        return (roundedUp == length ? length : roundedUp << 1) + length;
    }

    /**
     * Reserves {@code bytes} of the load budget for loads about to start; always succeeds when
     * nothing else is reserved, so that one load at a time can proceed whatever its size.
     */
    private boolean reserve(long bytes) {
        if (bytes == 0) {
            return true;
        }
        while (true) {
            long reserved = reservedBytes.get();
            if (reserved > 0 && reserved + bytes > loadBudgetBytes) {
                return false;
            }
            if (reservedBytes.compareAndSet(reserved, reserved + bytes)) {
                return true;
            }
        }
    }

    private void unreserve(long bytes) {
        if (bytes != 0) {
            reservedBytes.addAndGet(-bytes);
        }
    }

    private CompletableFuture<Void> warmPages(GenerationFile file) {
        PathState state = state(file.path());
        CompletableFuture<Void> warming = new CompletableFuture<>();
        openCached(file.path(), file.length(), state)
                .whenComplete(
                        (opened, error) -> {
                            if (error != null) {
                                warming.completeExceptionally(unwrap(error));
                            } else {
                                new PageWarm(opened.value(), state, warming).run();
                            }
                        });
        return warming;
    }

    /**
     * Loads a generation's budgeted pages, one chunk (a coalesced read) at a time, each chunk
     * reserving its room first. Stops (completing normally) when a chunk finds no room, and stops
     * starting chunks once {@code warming} is completed by someone else (a gate's deadline). Loops
     * over chunks that complete at once, so the stack stays flat however many there are.
     */
    private final class PageWarm {
        private final Generation generation;
        private final PathState state;
        private final CompletableFuture<Void> warming;
        private final List<List<PageKey>> chunks = new ArrayList<>();
        private int next;

        PageWarm(Generation generation, PathState state, CompletableFuture<Void> warming) {
            this.generation = generation;
            this.state = state;
            this.warming = warming;
            List<PageKey> chunk = new ArrayList<>();
            long budget = 0;
            long chunkStart = 0;
            for (int p = 0; p < generation.pageCount(); p++) {
                ByteRange range = generation.pageRange(p);
                budget += range.length();
                if (budget > warmPageBudgetBytes) {
                    break;
                }
                if (!chunk.isEmpty() && range.end() - chunkStart > warmChunkBytes) {
                    chunks.add(chunk);
                    chunk = new ArrayList<>();
                }
                if (chunk.isEmpty()) {
                    chunkStart = range.offset();
                }
                chunk.add(new PageKey(state.path, p));
            }
            if (!chunk.isEmpty()) {
                chunks.add(chunk);
            }
        }

        void run() {
            while (!warming.isDone()) {
                if (next == chunks.size()) {
                    warming.complete(null);
                    return;
                }
                List<PageKey> chunk = chunks.get(next++);
                long reservation = reservationFor(generation, chunk);
                if (!reserve(reservation)) {
                    warming.complete(null);
                    return;
                }
                CompletableFuture<?> loaded;
                try {
                    loaded =
                            pages.getOrLoadAll(chunk, owned -> loadPages(generation, state, owned));
                } catch (RuntimeException e) {
                    unreserve(reservation);
                    warming.completeExceptionally(e);
                    return;
                }
                loaded.whenComplete((value, error) -> unreserve(reservation));
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
            } else if (uncacheable(error) && !state.retired && !closed) {
                // The page allocator is full: warm as far as it got.
                warming.complete(null);
            } else {
                warming.completeExceptionally(unwrap(error));
            }
        }
    }

    /** The bytes of a generation's footer (schema, key index, key filter): what an open holds. */
    private static int footerBytes(Generation generation) {
        long pageBytes = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            pageBytes += generation.pageRange(p).length();
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, generation.fileLength() - pageBytes));
    }

    private static <T> CompletableFuture<Void> allOf(List<CompletableFuture<T>> futures) {
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    }

    private static boolean uncacheable(Throwable error) {
        return unwrap(error) instanceof Uncacheable;
    }

    private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
    }

    private static IllegalStateException closedException() {
        return new IllegalStateException("generation cache is closed");
    }

    /**
     * The lifetime of one path in this cache, from its first use until {@link #retainPaths} retires
     * it: work captures it when it starts, and a load refuses to cache anything for a retired one.
     */
    private static final class PathState {
        final String path;

        /** Loads in flight plus decoded pages not yet released. */
        final AtomicInteger work = new AtomicInteger();

        final CompletableFuture<Void> drained = new CompletableFuture<>();
        volatile boolean retired;

        /** The pages read from storage so far; guarded by itself. */
        private final BitSet pagesRead = new BitSet();

        PathState(String path) {
            this.path = path;
        }

        void retire() {
            retired = true;
            if (work.get() == 0) {
                drained.complete(null);
            }
        }

        /** Records that {@code page} was read; returns whether it was its first read. */
        boolean firstRead(int page) {
            synchronized (pagesRead) {
                if (pagesRead.get(page)) {
                    return false;
                }
                pagesRead.set(page);
                return true;
            }
        }

        void begin() {
            work.incrementAndGet();
        }

        void end() {
            if (work.decrementAndGet() == 0 && retired) {
                drained.complete(null);
            }
        }
    }

    /**
     * A load that must not be cached (its generation was retired, or the page allocator is full):
     * the lookup that needed it reads privately instead, a warm stops. Not an error of the storage
     * or of the file, hence a {@link java.util.concurrent.CancellationException}.
     */
    static final class Uncacheable extends java.util.concurrent.CancellationException {
        Uncacheable(String message) {
            super(message);
        }
    }

    /**
     * Told which keys of a lookup needed a storage read that the lookup ran itself (see {@link
     * GenerationCache#lookupAll(Path, long, List, ColdReadListener)}). Must be thread-safe and
     * cheap: it runs on I/O threads, inside the lookup.
     */
    @FunctionalInterface
    public interface ColdReadListener {
        void coldRead(byte[] key);
    }

    /**
     * Builds a {@link GenerationCache}; validates each option as it is set, naming it. Not
     * thread-safe.
     */
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
        private Executor maintenance = ForkJoinPool.commonPool();

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

        /** Sets where {@link GenerationCache#retainPaths} runs (default the common pool). */
        public Builder maintenanceExecutor(Executor executor) {
            this.maintenance = requireNonNull(executor, "maintenanceExecutor");
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
