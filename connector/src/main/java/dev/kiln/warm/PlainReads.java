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
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static dev.kiln.warm.Uncacheable.isCause;
import static dev.kiln.warm.Uncacheable.unwrap;

/**
 * How a {@link GenerationCache} built without single flight ({@link
 * GenerationCache.Builder#singleFlight singleFlight(false)}) serves lookups: a plain cache, the
 * benchmarks' baseline. A lookup answers from what is cached and reads everything else itself, even
 * what another lookup has in flight, then offers what it read to the cache, which keeps the first
 * copy and releases the others. Warms still load through single flight. Thread-safe.
 */
final class PlainReads {

    private final OpenGenerations generations;
    private final PageTier pages;

    PlainReads(OpenGenerations generations, PageTier pages) {
        this.generations = generations;
        this.pages = pages;
    }

    /** Returns the cached generation at {@code path}, or opens it itself and offers it. */
    CompletableFuture<CachedValue<String, Generation>> open(
            Path path, long fileLength, PathState state) {
        Generation cached = generations.getIfPresent(state.path);
        if (cached != null) {
            return CompletableFuture.completedFuture(new CachedValue<>(state.path, cached, false));
        }
        return generations
                .load(path, fileLength, state)
                .thenApply(
                        opened -> {
                            generations.offer(state, opened);
                            return new CachedValue<>(state.path, opened, true);
                        });
    }

    /**
     * Answers a batch's keys from the cached pages, reads every other page itself (in coalesced
     * range reads), answers from what it read, then offers those pages to the cache.
     */
    CompletableFuture<Void> readAll(Generation generation, PathState state, KeyBatch batch) {
        Set<PageKey> missing = new LinkedHashSet<>();
        for (PageKey key : batch.pageKeys()) {
            SharedPage cached = pages.getIfPresent(key);
            if (cached == null || cached.read(batch.answer(key)) == null) {
                missing.add(key);
            }
        }
        if (missing.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long reservation = pages.reservationFor(generation, List.copyOf(missing));
        if (!pages.reserve(reservation)) {
            return pages.readPrivately(generation, missing, batch);
        }
        return pages.loadPages(generation, state, missing)
                .handle(
                        (loaded, error) -> {
                            try {
                                if (error != null) {
                                    return isCause(error)
                                            ? pages.readPrivately(generation, missing, batch)
                                            : CompletableFuture.<Void>failedFuture(unwrap(error));
                                }
                                RuntimeException failed = null;
                                for (Map.Entry<PageKey, SharedPage> read : loaded.entrySet()) {
                                    try {
                                        batch.cold(read.getKey()).run();
                                        read.getValue().read(batch.answer(read.getKey()));
                                    } catch (RuntimeException e) {
                                        failed = failed == null ? e : failed;
                                    }
                                    pages.offer(state, read.getKey(), read.getValue());
                                }
                                return failed == null
                                        ? CompletableFuture.<Void>completedFuture(null)
                                        : CompletableFuture.<Void>failedFuture(failed);
                            } finally {
                                pages.unreserve(reservation);
                            }
                        })
                .thenCompose(f -> f);
    }
}
