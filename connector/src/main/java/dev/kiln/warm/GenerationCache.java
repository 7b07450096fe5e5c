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
import dev.kiln.cache.SingleFlightCache;
import dev.kiln.format.Generation;
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationLookup;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The generations of a table as one subtask serves them: open generations (schema, key index and
 * key filter, from at most two range reads) and decoded pages, each in a {@link SingleFlightCache},
 * so that concurrent lookups open a generation once and load a page once. The pages one {@link
 * #lookupAll} (or one warm) misses in a file are fetched together, with one range read per range
 * the {@link RangeCoalescer} merges them into.
 *
 * <p>Warming: {@link #warmer()} is the default {@link GenerationWarmer}: it opens the generation
 * and loads its pages, in key order, within a byte budget. {@link #warmGate()} runs it best-effort
 * (joined per path, bounded, with a deadline); with warm-on-open enabled, a lookup that opens a
 * cold generation fires one warm of it through that gate.
 *
 * <p>Ownership: the caller owns the {@link RangeReader} and the {@link BufferAllocator} pages are
 * decoded into, and closes the allocator after {@link #close()}. The cache owns the pages it holds:
 * a page is released when it leaves the cache and no lookup is reading it.
 *
 * <p>Threading: thread-safe. No method blocks; futures complete on the range reader's threads (or
 * the calling thread when the answer is cached). Lookups that lose a page to eviction between its
 * load and their read retry once through the cache, then read the page privately.
 *
 * <p>Errors: futures fail with the format layer's {@link
 * dev.kiln.format.CorruptGenerationException} (naming path and offset) or the reader's {@link
 * java.io.IOException}, wrapped in {@link java.util.concurrent.CompletionException} when joined.
 * Nothing of a failed open or page load is cached; the next call tries again. Warming never fails a
 * caller (see {@link WarmGate}).
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

    private static final int CACHED_READ_ATTEMPTS = 2;
    private static final ColdReadListener NO_COLD_READS = key -> {};
    private static final long UNKNOWN_LENGTH = -1;

    private final RangeReader io;
    private final BufferAllocator allocator;
    private final RangeCoalescer coalescer;
    private final long warmPageBudgetBytes;
    private final boolean warmOnOpen;
    private final Executor maintenance;

    private final SingleFlightCache<String, Generation> generations;
    private final SingleFlightCache<PageKey, SharedPage> pages;
    private final GenerationWarmer warmer;
    private final WarmGate warmGate;
    private final LongAdder uncachedPageReads = new LongAdder();
    private volatile boolean closed;

    private GenerationCache(Builder builder) {
        this.io = builder.io;
        this.allocator = builder.allocator;
        this.coalescer = builder.coalescer;
        this.warmPageBudgetBytes = builder.warmPageBudgetBytes;
        this.warmOnOpen = builder.warmOnOpen;
        this.maintenance = builder.maintenance;
        // Eviction runs inline (it only releases Arrow buffers), so close() and retainPaths()
        // have released every page they removed by the time they complete.
        this.generations =
                SingleFlightCache.<String, Generation>builder()
                        .maximumBytes(builder.maximumGenerationBytes)
                        .weigher((path, generation) -> footerBytes(generation))
                        .executor(Runnable::run)
                        .build();
        this.pages =
                SingleFlightCache.<PageKey, SharedPage>builder()
                        .maximumBytes(builder.maximumPageBytes)
                        .weigher((key, page) -> (int) Math.min(Integer.MAX_VALUE, page.sizeBytes()))
                        .executor(Runnable::run)
                        .removalListener((key, page, cause) -> page.release())
                        .build();
        this.warmer = this::warmPages;
        this.warmGate = new WarmGate(warmer, builder.maxConcurrentWarms, builder.warmDeadline);
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
        return openCached(path, UNKNOWN_LENGTH).thenApply(CachedValue::value);
    }

    /**
     * Returns the open generation at {@code path}, whose file is {@code fileLength} bytes long (as
     * its manifest entry says), opening it (once) without a length request if it is not cached.
     */
    public CompletableFuture<Generation> open(Path path, long fileLength) {
        return openCached(path, checkLength(fileLength)).thenApply(CachedValue::value);
    }

    /**
     * Looks encoded key {@code key} up in the generation at {@code path}: no page read if the key
     * range or key filter rules it out, otherwise the key's page through the page cache.
     */
    public CompletableFuture<LookupResult> lookup(Path path, byte[] key) {
        requireNonNull(key, "key");
        return openForLookup(path, UNKNOWN_LENGTH)
                .thenCompose(
                        generation ->
                                generation.mightContain(key)
                                        ? readPage(
                                                generation,
                                                new PageKey(
                                                        generation.path().toString(),
                                                        generation.pageOf(key)),
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
        return openForLookup(path, UNKNOWN_LENGTH)
                .thenCompose(generation -> lookupAll(generation, keys));
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
        return openCached(path, checkLength(fileLength))
                .thenCompose(
                        opened -> {
                            if (opened.loaded()) {
                                keys.forEach(coldReads::coldRead);
                            }
                            return lookupAll(warmIfOpened(opened), keys, coldReads);
                        });
    }

    private CompletableFuture<List<LookupResult>> lookupAll(
            Generation generation, List<byte[]> keys) {
        return lookupAll(generation, keys, NO_COLD_READS);
    }

    private CompletableFuture<List<LookupResult>> lookupAll(
            Generation generation, List<byte[]> keys, ColdReadListener coldReads) {
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
        String pathKey = generation.path().toString();
        List<PageKey> pageKeys =
                keysByPage.keySet().stream()
                        .map(p -> new PageKey(pathKey, p))
                        .collect(Collectors.toList());
        return pages.getOrLoadAll(pageKeys, owned -> loadPages(generation, owned))
                .thenCompose(
                        loaded -> {
                            List<CompletableFuture<Void>> rereads = new ArrayList<>();
                            for (CachedValue<PageKey, SharedPage> cached : loaded) {
                                int page = cached.key().page();
                                if (cached.loaded()) {
                                    for (int i : keysByPage.get(page)) {
                                        coldReads.coldRead(keys.get(i));
                                    }
                                }
                                Function<Page, Boolean> answer =
                                        p -> {
                                            for (int i : keysByPage.get(page)) {
                                                results[i] = p.lookup(keys.get(i));
                                            }
                                            return Boolean.TRUE;
                                        };
                                if (cached.value().read(answer) == null) {
                                    for (int i : keysByPage.get(page)) {
                                        coldReads.coldRead(keys.get(i));
                                    }
                                    rereads.add(
                                            readPage(generation, cached.key(), answer, 1)
                                                    .thenAccept(done -> {}));
                                }
                            }
                            return CompletableFuture.allOf(
                                            rereads.toArray(new CompletableFuture<?>[0]))
                                    .thenApply(done -> Arrays.asList(results));
                        });
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
     * Evicts everything of the generations not in {@code live}: open handles, pages and warm state.
     * Runs on the maintenance executor; pages that lookups are reading are released when those
     * lookups finish.
     */
    public CompletableFuture<Void> retainPaths(Set<Path> live) {
        Set<String> keep = live.stream().map(Path::toString).collect(Collectors.toSet());
        return CompletableFuture.runAsync(
                () -> {
                    warmGate.retainPaths(live);
                    generations.invalidateAll(path -> !keep.contains(path));
                    pages.invalidateAll(page -> !keep.contains(page.path()));
                },
                maintenance);
    }

    /**
     * Evicts everything of the generations in {@code retired}, and nothing else: open handles,
     * pages and warm state. Unlike {@link #retainPaths}, it leaves alone what others sharing the
     * cache hold (generations warmed for a commit not yet published, other readers' generations).
     * Runs on the maintenance executor; pages that lookups are reading are released when those
     * lookups finish.
     */
    public CompletableFuture<Void> evictPaths(Set<Path> retired) {
        Set<String> drop =
                requireNonNull(retired, "retired").stream()
                        .map(Path::toString)
                        .collect(Collectors.toSet());
        return CompletableFuture.runAsync(
                () -> {
                    warmGate.forgetPaths(retired);
                    generations.invalidateAll(drop::contains);
                    pages.invalidateAll(page -> drop.contains(page.path()));
                },
                maintenance);
    }

    /** Returns the counters of the open-generation cache. */
    public CacheStats generationStats() {
        return generations.stats();
    }

    /** Returns the counters of the page cache. */
    public CacheStats pageStats() {
        return pages.stats();
    }

    /** Returns the bytes of decoded pages the cache holds. */
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
     * Returns how many page reads bypassed the cache because the page was evicted between its load
     * and its read twice in a row (a sign that {@code maximumPageBytes} is too small).
     */
    public long uncachedPageReads() {
        return uncachedPageReads.sum();
    }

    /**
     * Drops every cached generation and page; pages being read are released when their readers
     * finish. Later calls fail with {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        generations.invalidateAll(path -> true);
        pages.invalidateAll(page -> true);
    }

    private CompletableFuture<CachedValue<String, Generation>> openCached(
            Path path, long fileLength) {
        requireNonNull(path, "path");
        if (closed) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("generation cache is closed"));
        }
        return generations.getOrLoad(
                path.toString(),
                key ->
                        fileLength == UNKNOWN_LENGTH
                                ? Generation.open(io, path)
                                : Generation.open(io, path, fileLength));
    }

    private static long checkLength(long fileLength) {
        if (fileLength < 0) {
            throw new IllegalArgumentException(
                    "fileLength must not be negative, but was " + fileLength);
        }
        return fileLength;
    }

    private CompletableFuture<Generation> openForLookup(Path path, long fileLength) {
        return openCached(path, fileLength).thenApply(this::warmIfOpened);
    }

    private Generation warmIfOpened(CachedValue<String, Generation> opened) {
        if (opened.loaded() && warmOnOpen) {
            warmGate.warm(new GenerationFile(opened.value().path(), opened.value().fileLength()));
        }
        return opened.value();
    }

    private <T> CompletableFuture<T> readPage(
            Generation generation, PageKey key, Function<Page, T> read, int attempt) {
        if (attempt >= CACHED_READ_ATTEMPTS) {
            uncachedPageReads.increment();
            return generation
                    .loadPage(key.page(), allocator)
                    .thenApply(
                            loaded -> {
                                try (Page p = loaded) {
                                    return read.apply(p);
                                }
                            });
        }
        return pages.getOrLoad(
                        key,
                        k -> generation.loadPage(k.page(), allocator).thenApply(SharedPage::new))
                .thenCompose(
                        cached -> {
                            T result = cached.value().read(read);
                            return result != null
                                    ? CompletableFuture.completedFuture(result)
                                    : readPage(generation, key, read, attempt + 1);
                        });
    }

    private CompletableFuture<Map<PageKey, SharedPage>> loadPages(
            Generation generation, Set<PageKey> owned) {
        int[] pageNumbers = owned.stream().mapToInt(PageKey::page).toArray();
        return generation
                .loadPages(pageNumbers, coalescer, allocator)
                .thenApply(
                        loaded -> {
                            Map<PageKey, SharedPage> byKey = new HashMap<>();
                            String pathKey = generation.path().toString();
                            for (int i = 0; i < pageNumbers.length; i++) {
                                byKey.put(
                                        new PageKey(pathKey, pageNumbers[i]),
                                        new SharedPage(loaded.get(i)));
                            }
                            return byKey;
                        });
    }

    private CompletableFuture<Void> warmPages(GenerationFile file) {
        String pathKey = file.key();
        return openCached(file.path(), file.length())
                .thenCompose(
                        opened -> {
                            Generation generation = opened.value();
                            List<PageKey> budgeted = new ArrayList<>();
                            long bytes = 0;
                            for (int p = 0; p < generation.pageCount(); p++) {
                                bytes += generation.pageRange(p).length();
                                if (bytes > warmPageBudgetBytes) {
                                    break;
                                }
                                budgeted.add(new PageKey(pathKey, p));
                            }
                            return budgeted.isEmpty()
                                    ? CompletableFuture.completedFuture(null)
                                    : pages.getOrLoadAll(
                                                    budgeted, owned -> loadPages(generation, owned))
                                            .thenApply(loaded -> null);
                        });
    }

    /** The bytes of a generation's footer (schema, key index, key filter): what an open holds. */
    private static int footerBytes(Generation generation) {
        long pageBytes = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            pageBytes += generation.pageRange(p).length();
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, generation.fileLength() - pageBytes));
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

        /** Bounds the bytes of decoded pages held; must be positive. */
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

        /** Sets how many warms may run at once; must be positive. */
        public Builder maxConcurrentWarms(int warms) {
            this.maxConcurrentWarms = (int) positive("maxConcurrentWarms", warms);
            return this;
        }

        /** Sets how long a warm may take before its requesters stop waiting; must be positive. */
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
