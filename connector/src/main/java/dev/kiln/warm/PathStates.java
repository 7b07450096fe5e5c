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

import org.apache.flink.core.fs.Path;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The current lifetime ({@link PathState}) of each path a {@link GenerationCache} has served, and
 * their retirement: what makes {@link GenerationCache#retainPaths}, {@link
 * GenerationCache#evictPaths} and {@link GenerationCache#releasePaths} win over work in flight.
 * Work captures its path's state when it starts; retiring a state removes it from the registry (the
 * next work on that path starts a new lifetime) and makes every load registered under it refuse to
 * cache. Thread-safe.
 */
final class PathStates {

    private final Map<String, PathState> states = new ConcurrentHashMap<>();

    /** Returns the current state of {@code path}, starting a new lifetime if it has none. */
    PathState state(Path path) {
        return states.computeIfAbsent(requireNonNull(path, "path").toString(), PathState::new);
    }

    /** Returns the current state of {@code path}, or {@code null} if it has none. */
    PathState get(String path) {
        return states.get(path);
    }

    /**
     * Retires the state of every path not in {@code keep}.
     *
     * @return a future that completes once the work of every state retired has drained
     */
    CompletableFuture<Void> retireAllBut(Set<String> keep) {
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        for (PathState state : states.values()) {
            if (!keep.contains(state.path)) {
                states.remove(state.path, state);
                state.retire();
                drained.add(state.drained);
            }
        }
        return Uncacheable.allOf(drained);
    }

    /**
     * Retires the states of the paths in {@code drop}, and only those.
     *
     * @return a future that completes once the work of every state retired has drained
     */
    CompletableFuture<Void> retire(Set<String> drop) {
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        for (String path : drop) {
            PathState state = states.get(path);
            if (state != null && states.remove(path, state)) {
                state.retire();
                drained.add(state.drained);
            }
        }
        return Uncacheable.allOf(drained);
    }

    /**
     * The lifetime of one path in the cache, from its first use until it is retired: work captures
     * it when it starts, and a load refuses to cache anything for a retired one. Its work (loads in
     * flight plus decoded pages not yet released) drains to zero after retirement, which completes
     * {@link #drained}.
     */
    static final class PathState {
        final String path;

        /** Loads in flight plus decoded pages not yet released. */
        private final AtomicInteger work = new AtomicInteger();

        final CompletableFuture<Void> drained = new CompletableFuture<>();
        volatile boolean retired;

        /** The pages read from storage so far; guarded by itself. */
        private final BitSet pagesRead = new BitSet();

        PathState(String path) {
            // Interned: the open generations are cached under it, and a snapshot interns the path
            // it reads them by, so that a hit's cache read matches the key by identity.
            this.path = path.intern();
        }

        void retire() {
            retired = true;
            if (work.get() == 0) {
                drained.complete(null);
            }
        }

        /**
         * Runs {@code load} as this path's work, or refuses it (failing with {@link Uncacheable},
         * not running it) if the path is retired. The caller has registered the load in its cache
         * before this runs, so a retirement after this check sees the load in flight.
         */
        <T> CompletableFuture<T> load(Supplier<CompletableFuture<T>> load) {
            begin();
            CompletableFuture<T> loading;
            if (retired) {
                loading =
                        CompletableFuture.failedFuture(
                                new Uncacheable("generation " + path + " was retired"));
            } else {
                loading = load.get();
            }
            loading.whenComplete((value, error) -> end());
            return loading;
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

        /** Counts a piece of work (a decoded page this path holds) until {@link #end}. */
        void begin() {
            work.incrementAndGet();
        }

        void end() {
            if (work.decrementAndGet() == 0 && retired) {
                drained.complete(null);
            }
        }
    }
}
