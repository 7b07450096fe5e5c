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
import dev.kiln.format.CorruptGenerationException;
import dev.kiln.format.Generation;
import dev.kiln.format.Page;
import dev.kiln.format.RowReader;
import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.warm.PathStates.PathState;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static dev.kiln.warm.Uncacheable.allOf;
import static dev.kiln.warm.Uncacheable.isCause;
import static dev.kiln.warm.Uncacheable.unwrap;

/**
 * The decoded pages of a {@link GenerationCache}, keyed by (path, page) in a {@link
 * SingleFlightCache} weighed by the Arrow memory they occupy, so that concurrent readers load a
 * page once; and the ways a page is read: through the cache (reserving room in the {@link
 * LoadBudget} first, the pages one call misses in a file fetched together in coalesced range
 * reads), or privately when it cannot be cached.
 *
 * <p>Memory: cached pages and pages being loaded into the cache are decoded into the page allocator
 * (whose limit bounds them); a page that does not fit there, has no room to reserve, or whose path
 * was retired while it loaded is read privately: decoded into the caller's allocator and released
 * before its read completes. A page is released when it leaves the cache and no reader holds it; a
 * reader that finds its page released goes through the cache once more, then reads it privately.
 * Eviction runs inline. Thread-safe.
 */
final class PageTier {

    private static final int CACHED_READ_ATTEMPTS = 2;
    private static final Runnable NOTHING = () -> {};

    private final BufferAllocator allocator;
    private final BufferAllocator pageAllocator;
    private final RangeCoalescer coalescer;
    private final LoadBudget budget;
    private final ReadCounters counters;
    private final WorkInFlight work;
    private final PathStates paths;
    private final SingleFlightCache<PageKey, SharedPage> pages;
    private final long cachedBytes;
    private final long lendableBytes;

    /** The bytes of the cached pages' bound lent to staged pages; under {@code this}. */
    private long lentBytes;

    /**
     * @param allocator the caller's allocator, which private reads decode into
     * @param pageAllocator the allocator cached pages decode into
     * @param cachedBytes the bound on the Arrow memory of cached pages
     * @param lendableBytes the most of {@code cachedBytes} {@linkplain #lend lent} at a time
     */
    PageTier(
            BufferAllocator allocator,
            BufferAllocator pageAllocator,
            RangeCoalescer coalescer,
            long cachedBytes,
            long lendableBytes,
            LoadBudget budget,
            ReadCounters counters,
            WorkInFlight work,
            PathStates paths) {
        this.allocator = allocator;
        this.pageAllocator = pageAllocator;
        this.coalescer = coalescer;
        this.budget = budget;
        this.counters = counters;
        this.work = work;
        this.paths = paths;
        this.cachedBytes = cachedBytes;
        this.lendableBytes = lendableBytes;
        this.pages =
                SingleFlightCache.<PageKey, SharedPage>builder()
                        .maximumBytes(cachedBytes)
                        .weigher((key, page) -> (int) Math.min(Integer.MAX_VALUE, page.sizeBytes()))
                        .executor(Runnable::run)
                        .removalListener((key, page, cause) -> page.evict())
                        .build();
    }

    /**
     * Answers a batch's keys from their pages through the cache: all its missing pages loaded
     * together if there is room to reserve for them all, page by page otherwise; privately those
     * that cannot be cached.
     */
    CompletableFuture<Void> readAll(Generation generation, PathState state, KeyBatch batch) {
        List<PageKey> pageKeys = batch.pageKeys();
        long reservation = reservationFor(generation, pageKeys);
        if (!budget.reserve(reservation)) {
            // No room for all of them in flight: page by page, each reserving for itself.
            List<CompletableFuture<Boolean>> reads = new ArrayList<>();
            for (PageKey key : pageKeys) {
                reads.add(readPage(generation, state, key, batch.answer(key), 0, batch.cold(key)));
            }
            return allOf(reads);
        }
        return pages.getOrLoadAll(pageKeys, owned -> loadPages(generation, state, owned))
                .handle(
                        (loaded, error) -> {
                            budget.unreserve(reservation);
                            if (error != null) {
                                return isCause(error)
                                        ? readPrivately(generation, pageKeys, batch)
                                        : CompletableFuture.<Void>failedFuture(unwrap(error));
                            }
                            List<CompletableFuture<Boolean>> reads = new ArrayList<>();
                            for (CachedValue<PageKey, SharedPage> cached : loaded) {
                                if (cached.loaded()) {
                                    batch.cold(cached.key()).run();
                                }
                                Function<Page, Boolean> answer = batch.answer(cached.key());
                                if (cached.value().read(answer) == null) {
                                    reads.add(
                                            readPage(
                                                    generation,
                                                    state,
                                                    cached.key(),
                                                    answer,
                                                    1,
                                                    batch.cold(cached.key())));
                                }
                            }
                            return allOf(reads);
                        })
                .thenCompose(f -> f);
    }

    /**
     * Reads one page through the cache (reserving room for it first), or privately if it cannot be
     * cached.
     *
     * @param attempt how many times the caller found this page released after its load (0 first)
     */
    <T> CompletableFuture<T> readPage(
            Generation generation,
            PathState state,
            PageKey key,
            Function<Page, T> read,
            int attempt) {
        return readPage(generation, state, key, read, attempt, NOTHING);
    }

    /** Like the above, running {@code loadedHere} if this call read the page from storage. */
    <T> CompletableFuture<T> readPage(
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
        if (!budget.reserve(reservation)) {
            loadedHere.run();
            return readPrivately(generation, key.page(), read);
        }
        CompletableFuture<CachedValue<PageKey, SharedPage>> cached;
        try {
            cached = pages.getOrLoad(key, k -> loadPage(generation, state, k));
        } catch (RuntimeException e) {
            budget.unreserve(reservation);
            throw e;
        }
        return cached.handle(
                        (value, error) -> {
                            budget.unreserve(reservation);
                            if (error != null) {
                                if (isCause(error)) {
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

    /** Reads {@code keys}' pages privately, each a cold read of its batch keys, answering them. */
    CompletableFuture<Void> readPrivately(
            Generation generation, Collection<PageKey> keys, KeyBatch batch) {
        List<CompletableFuture<Boolean>> reads = new ArrayList<>();
        for (PageKey key : keys) {
            batch.cold(key).run();
            reads.add(readPrivately(generation, key.page(), batch.answer(key)));
        }
        return allOf(reads);
    }

    /**
     * Reads and decodes one page into the caller's allocator, applies {@code read}, releases it.
     */
    <T> CompletableFuture<T> readPrivately(
            Generation generation, int page, Function<Page, T> read) {
        counters.uncachedRead();
        return work.track(
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
                                                work.pageReleased();
                                            }
                                        }));
    }

    /**
     * Loads the pages of {@code keys} the cache misses into it, with one call's coalesced reads:
     * what a warm does with a chunk of pages.
     */
    CompletableFuture<List<CachedValue<PageKey, SharedPage>>> loadAll(
            Generation generation, PathState state, List<PageKey> keys) {
        return loadAll(generation, state, keys, OpenGenerations.NO_READS);
    }

    /**
     * Like {@link #loadAll(Generation, PathState, List)}, telling {@code reads} how many range
     * reads the load of the pages this call owns makes (none if every page is cached or loading).
     */
    CompletableFuture<List<CachedValue<PageKey, SharedPage>>> loadAll(
            Generation generation, PathState state, List<PageKey> keys, LongConsumer reads) {
        return pages.getOrLoadAll(
                keys,
                owned -> {
                    if (reads != OpenGenerations.NO_READS) {
                        List<ByteRange> ranges = new ArrayList<>(owned.size());
                        owned.stream()
                                .mapToInt(PageKey::page)
                                .sorted()
                                .forEach(p -> ranges.add(generation.pageRange(p)));
                        reads.accept(coalescer.plan(ranges).merged().size());
                    }
                    return loadPages(generation, state, owned);
                });
    }

    /**
     * Puts {@code page}, which its writer handed over (decoded into the page allocator and counted
     * as a live page), in the cache as {@code state}'s, unless it is cached or loading already.
     * Takes {@code page}: one not put is released.
     *
     * @return whether it was put
     */
    CompletableFuture<Boolean> adopt(PathState state, PageKey key, Page page) {
        AtomicBoolean taken = new AtomicBoolean();
        CompletableFuture<CachedValue<PageKey, SharedPage>> put;
        try {
            put =
                    pages.getOrLoad(
                            key,
                            k ->
                                    load(
                                            state,
                                            () -> {
                                                taken.set(true);
                                                return CompletableFuture.completedFuture(
                                                        share(page, state));
                                            }));
        } catch (RuntimeException e) {
            put = CompletableFuture.failedFuture(e);
        }
        return put.handle(
                (value, error) -> {
                    if (!taken.get()) {
                        page.close();
                        work.pageReleased();
                    }
                    return error == null && taken.get();
                });
    }

    /**
     * Reads and decodes the pages {@code owned} into the page allocator as {@code state}'s work,
     * with coalesced range reads; refused ({@link Uncacheable}) if the path is retired.
     */
    CompletableFuture<Map<PageKey, SharedPage>> loadPages(
            Generation generation, PathState state, Set<PageKey> owned) {
        int[] pageNumbers = owned.stream().mapToInt(PageKey::page).sorted().toArray();
        return load(
                state,
                () ->
                        generation
                                .readPages(pageNumbers, coalescer)
                                .thenApply(bytes -> share(generation, state, pageNumbers, bytes)));
    }

    private Map<PageKey, SharedPage> share(
            Generation generation, PathState state, int[] pageNumbers, List<byte[]> bytes) {
        Map<PageKey, SharedPage> byKey = new HashMap<>();
        try {
            for (int i = 0; i < pageNumbers.length; i++) {
                Page page = decode(generation, pageNumbers[i], bytes.get(i), pageAllocator);
                byKey.put(new PageKey(state.path, pageNumbers[i]), share(page, state));
            }
            return byKey;
        } catch (RuntimeException e) {
            byKey.values().forEach(SharedPage::release);
            throw e;
        }
    }

    private CompletableFuture<SharedPage> loadPage(
            Generation generation, PathState state, PageKey key) {
        return load(
                state,
                () ->
                        generation
                                .readPage(key.page())
                                .thenApply(
                                        bytes ->
                                                share(
                                                        decode(
                                                                generation,
                                                                key.page(),
                                                                bytes,
                                                                pageAllocator),
                                                        state)));
    }

    /** Runs {@code load} as {@code state}'s work and as work in flight (see {@link PathState}). */
    private <T> CompletableFuture<T> load(PathState state, Supplier<CompletableFuture<T>> load) {
        return state.load(() -> work.track(load));
    }

    /**
     * Offers a page read without single flight to the cache, which keeps the first copy of a page
     * it is given; a copy it does not keep is released, and one of a path retired (or a cache
     * closed) meanwhile is removed again, which releases it.
     */
    void offer(PathState state, PageKey key, SharedPage page) {
        if (!pages.putIfAbsent(key, page)) {
            page.release();
        } else if (state.retired || work.closed()) {
            pages.invalidate(key);
        }
    }

    /**
     * Answers {@code key} from page {@code page} of {@code generation} (open at {@code path}) if it
     * is cached, reading a found row with {@code reader} while the page is held; otherwise returns
     * {@code null}. A page found in its slot of the generation's {@linkplain Generation#pageSlots()
     * page slots} is read without a cache lookup (the cache's policy is told of one in {@value
     * SharedPage#TOUCH_EVERY} such hits); one found in the cache is installed in its slot.
     */
    @Nullable
    <T> Object lookupIfCached(
            Generation generation, String path, int page, byte[] key, RowReader<T> reader) {
        AtomicReferenceArray<Object> slots = generation.pageSlots();
        if (slots.get(page) instanceof SharedPage resident) {
            Object answer = resident.lookupIfResident(key, reader);
            if (answer != null) {
                if (resident.countSlotHit()) {
                    PageKey cacheKey = resident.key();
                    if (cacheKey != null) {
                        pages.getIfPresent(cacheKey); // the access, for the eviction policy
                    }
                }
                return answer;
            }
            slots.compareAndSet(page, resident, null); // evicted or released: not resident
        }
        PageKey cacheKey = new PageKey(path, page);
        SharedPage cached = pages.getIfPresent(cacheKey);
        if (cached == null) {
            return null;
        }
        cached.install(slots, cacheKey);
        return cached.lookup(key, reader);
    }

    /** Returns the cached page of {@code key}, or {@code null}. */
    SharedPage getIfPresent(PageKey key) {
        return pages.getIfPresent(key);
    }

    /** Estimates the Arrow memory of the pages of {@code keys} that are not cached. */
    long reservationFor(Generation generation, List<PageKey> keys) {
        long bytes = 0;
        for (PageKey key : keys) {
            if (pages.getIfPresent(key) == null) {
                bytes += budget.estimate(generation.pageRange(key.page()));
            }
        }
        return bytes;
    }

    boolean reserve(long bytes) {
        return budget.reserve(bytes);
    }

    void unreserve(long bytes) {
        budget.unreserve(bytes);
    }

    /**
     * Lends {@code bytes} of the cached pages' bound to pages on their way into the cache (pages a
     * writer handed over that do not fit the loads' quarter): the bound is lowered by them, which
     * evicts the coldest pages before this returns, so the page allocator has the room. At most
     * {@code lendableBytes} are lent at a time.
     *
     * @return whether they were lent; if so, the caller {@linkplain #giveBack gives them back}
     */
    synchronized boolean lend(long bytes) {
        if (bytes == 0) {
            return true;
        }
        if (lentBytes + bytes > lendableBytes) {
            return false;
        }
        lentBytes += bytes;
        pages.maximumBytes(cachedBytes - lentBytes);
        return true;
    }

    /** Gives back {@code bytes} {@linkplain #lend lent}, raising the cached pages' bound again. */
    synchronized void giveBack(long bytes) {
        if (bytes != 0) {
            lentBytes -= bytes;
            pages.maximumBytes(cachedBytes - lentBytes);
        }
    }

    /** Returns the bytes of the cached pages' bound lent now. */
    synchronized long lentBytes() {
        return lentBytes;
    }

    /** Discards the cached pages of the paths {@code paths} matches, releasing them. */
    void invalidateAll(Predicate<String> paths) {
        pages.invalidateAll(page -> paths.test(page.path()));
    }

    CacheStats stats() {
        return pages.stats();
    }

    long weightedSizeBytes() {
        return pages.weightedSizeBytes();
    }

    long estimatedSize() {
        return pages.estimatedSize();
    }

    BufferAllocator pageAllocator() {
        return pageAllocator;
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
        budget.decoded(bytes.length, SharedPage.arrowBytes(decoded));
        work.pageDecoded();
        counters.pageRead(paths.get(generation.path().toString()), page);
        return decoded;
    }

    /** Shares a page decoded into the page allocator, counting it as {@code state}'s work. */
    private SharedPage share(Page page, PathState state) {
        state.begin();
        return new SharedPage(
                page,
                () -> {
                    state.end();
                    work.pageReleased();
                });
    }

    private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
