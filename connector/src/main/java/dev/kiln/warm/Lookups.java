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
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.format.RowReader;
import dev.kiln.table.GenerationSlot;
import dev.kiln.warm.GenerationCache.ColdReadListener;
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import javax.annotation.Nullable;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

import static dev.kiln.warm.Uncacheable.isCause;
import static dev.kiln.warm.Uncacheable.unwrap;
import static java.util.Objects.requireNonNull;

/**
 * The read path of a {@link GenerationCache}'s lookups: opens the generation (through single
 * flight, or as a plain cache does without it, or privately when it cannot be cached), fires the
 * warm-on-open trigger for a generation the lookup itself opened, and answers the keys from their
 * pages through the {@link PageTier} (or {@link PlainReads}). Thread-safe.
 */
final class Lookups {

    static final ColdReadListener NO_COLD_READS = key -> {};

    /** A hit through a generation slot tells the cache's policy of one in this many of them. */
    static final int TOUCH_EVERY = 8;

    private static final Runnable NOTHING = () -> {};

    private final PathStates paths;
    private final OpenGenerations generations;
    private final PageTier pages;
    private final PlainReads plain;
    private final WorkInFlight work;
    private final boolean singleFlight;
    private final boolean warmOnOpen;
    private final Consumer<GenerationFile> warm;

    /**
     * @param singleFlight whether lookups share loads; if not, they go through {@code plain}
     * @param warmOnOpen whether a lookup that opens a generation hands it to {@code warm}
     */
    Lookups(
            PathStates paths,
            OpenGenerations generations,
            PageTier pages,
            PlainReads plain,
            WorkInFlight work,
            boolean singleFlight,
            boolean warmOnOpen,
            Consumer<GenerationFile> warm) {
        this.paths = paths;
        this.generations = generations;
        this.pages = pages;
        this.plain = plain;
        this.work = work;
        this.singleFlight = singleFlight;
        this.warmOnOpen = warmOnOpen;
        this.warm = warm;
    }

    /**
     * Returns the open generation at {@code path} (of {@code fileLength} bytes, or {@link
     * OpenGenerations#UNKNOWN_LENGTH}), opening it if it is not cached; no warm-on-open.
     */
    CompletableFuture<Generation> open(Path path, long fileLength) {
        return open(path, fileLength, paths.state(path), false, NOTHING);
    }

    /** Looks {@code key} up: no page read if the generation rules it out, else its page. */
    CompletableFuture<LookupResult> lookup(Path path, byte[] key) {
        requireNonNull(key, "key");
        if (!singleFlight) {
            return lookupAll(path, OpenGenerations.UNKNOWN_LENGTH, List.of(key), NO_COLD_READS)
                    .thenApply(answers -> answers.get(0));
        }
        PathState state = paths.state(path);
        return open(path, OpenGenerations.UNKNOWN_LENGTH, state, warmOnOpen, NOTHING)
                .thenCompose(
                        generation ->
                                generation.mightContain(key)
                                        ? pages.readPage(
                                                generation,
                                                state,
                                                new PageKey(state.path, generation.pageOf(key)),
                                                page -> page.lookup(key),
                                                0)
                                        : CompletableFuture.completedFuture(LookupResult.absent()));
    }

    /**
     * Looks {@code keys} up in the generation at {@code path} (of {@code fileLength} bytes, or
     * {@link OpenGenerations#UNKNOWN_LENGTH}), telling {@code coldReads} of each key whose answer
     * needed a storage read this call ran itself (see {@link GenerationCache#lookupAll(Path, long,
     * List, ColdReadListener)}).
     */
    CompletableFuture<List<LookupResult>> lookupAll(
            Path path, long fileLength, List<byte[]> keys, ColdReadListener coldReads) {
        requireNonNull(keys, "keys");
        requireNonNull(coldReads, "coldReads");
        PathState state = paths.state(path);
        return open(path, fileLength, state, warmOnOpen, () -> keys.forEach(coldReads::coldRead))
                .thenCompose(generation -> lookupAll(generation, state, keys, coldReads));
    }

    /**
     * Answers {@code key} from what is cached (the open generation and, unless its filter rules the
     * key out, the key's page), or returns {@code null}: no I/O, no load, no wait.
     */
    @Nullable
    LookupResult lookupIfCached(String path, byte[] key) {
        return (LookupResult) lookupIfCached(path, key, Page.foundValues());
    }

    /**
     * Like {@link #lookupIfCached(String, byte[])}, reading a found row with {@code reader} while
     * the page is held: returns {@code null} (not cached), {@link LookupResult#absent()}, {@link
     * LookupResult#deleted()} or what {@code reader} returned.
     *
     * <p>A cached page answers without the key filter: its search is exact, and the filter would
     * cost a second hash of the key. The filter is asked only when the page is not cached, to tell
     * an absent key (answered) from one that needs the page (a miss).
     */
    @Nullable
    <T> Object lookupIfCached(String path, byte[] key, RowReader<T> reader) {
        if (work.closed()) {
            return null;
        }
        Generation generation = generations.getIfPresent(path);
        if (generation == null) {
            return null;
        }
        return lookupIfCached(generation, path, key, reader);
    }

    /**
     * Like {@link #lookupIfCached(String, byte[], RowReader)}, finding the open generation in
     * {@code slot} (a snapshot's, for this path) while it is cached: a generation found there is
     * read only if the cache has not removed it ({@link Generation#uncached()}, set by the cache's
     * removal before or while a reader could find it there, and never cleared), else it is found
     * through the cache as above and put in the slot. One in {@value #TOUCH_EVERY} hits through the
     * slot tells the cache's policy of the access.
     *
     * <p>A reader racing the removal may read the generation once more, as one that found it in the
     * cache just before the removal does: its footer is heap, and its pages are read under their
     * own references, so nothing released is read.
     */
    @Nullable
    <T> Object lookupIfCached(String path, GenerationSlot slot, byte[] key, RowReader<T> reader) {
        if (work.closed()) {
            return null;
        }
        Generation generation;
        Object held = slot.get();
        if (held instanceof Generation resident && !resident.uncached()) {
            generation = resident;
            if (slot.countHit(TOUCH_EVERY)) {
                generations.getIfPresent(path); // the access, for the eviction policy
            }
        } else {
            if (held != null) {
                slot.clear(held); // removed from the cache: hold it no longer
            }
            generation = generations.getIfPresent(path);
            if (generation == null) {
                return null;
            }
            if (!generation.uncached()) {
                slot.set(generation);
            }
        }
        return lookupIfCached(generation, path, key, reader);
    }

    private <T> Object lookupIfCached(
            Generation generation, String path, byte[] key, RowReader<T> reader) {
        int page = generation.pageOf(key);
        if (page < 0) {
            return LookupResult.absent();
        }
        Object answer = pages.lookupIfCached(generation, path, page, key, reader);
        if (answer != null) {
            return answer;
        }
        return generation.mightContain(key) ? null : LookupResult.absent();
    }

    /**
     * Returns the generation at {@code path} from the cache, opening it as {@code state}'s work if
     * it is absent: through single flight, or as a plain cache does. Fails once the cache is
     * closed.
     */
    CompletableFuture<CachedValue<String, Generation>> openCached(
            Path path, long fileLength, PathState state) {
        return openCached(path, fileLength, state, OpenGenerations.NO_READS);
    }

    /**
     * Like {@link #openCached(Path, long, PathState)}, telling {@code reads} how many storage
     * requests the open made if this call made it (through single flight; a plain open is not
     * counted).
     */
    CompletableFuture<CachedValue<String, Generation>> openCached(
            Path path, long fileLength, PathState state, LongConsumer reads) {
        if (work.closed()) {
            return CompletableFuture.failedFuture(WorkInFlight.closedException());
        }
        return singleFlight
                ? generations.open(path, fileLength, state, reads)
                : plain.open(path, fileLength, state);
    }

    /**
     * Opens through the cache; if {@code state} was retired meanwhile, opens privately (uncached).
     * Runs {@code openedHere} if this call read the file (cached or not), and fires a warm of a
     * generation it opened into the cache if {@code warmIt}.
     */
    private CompletableFuture<Generation> open(
            Path path, long fileLength, PathState state, boolean warmIt, Runnable openedHere) {
        if (work.closed()) {
            return CompletableFuture.failedFuture(WorkInFlight.closedException());
        }
        return openCached(path, fileLength, state)
                .handle(
                        (opened, error) -> {
                            if (error == null) {
                                if (opened.loaded()) {
                                    openedHere.run();
                                    if (warmIt) {
                                        Generation g = opened.value();
                                        warm.accept(new GenerationFile(g.path(), g.fileLength()));
                                    }
                                }
                                return CompletableFuture.completedFuture(opened.value());
                            }
                            if (isCause(error)) {
                                openedHere.run();
                                return generations.openPrivately(path, fileLength);
                            }
                            return CompletableFuture.<Generation>failedFuture(unwrap(error));
                        })
                .thenCompose(f -> f);
    }

    private CompletableFuture<List<LookupResult>> lookupAll(
            Generation generation, PathState state, List<byte[]> keys, ColdReadListener coldReads) {
        KeyBatch batch = new KeyBatch(generation, state.path, keys, coldReads);
        if (batch.pageKeys().isEmpty()) {
            return CompletableFuture.completedFuture(batch.results());
        }
        CompletableFuture<Void> reads =
                singleFlight
                        ? pages.readAll(generation, state, batch)
                        : plain.readAll(generation, state, batch);
        return reads.thenApply(done -> batch.results());
    }
}
