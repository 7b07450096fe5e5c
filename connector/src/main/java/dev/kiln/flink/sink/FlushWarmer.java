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

package dev.kiln.flink.sink;

import dev.kiln.io.KilnThreads;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Warms each generation a writer flushes with write-through in the TaskManager's shared cache as
 * soon as it is written, on a thread of its own, ahead of its commit ({@link
 * GenerationCache#warmAheadOfNextCommit}): while the writer flushes its next bucket, the cache
 * adopts what the last one handed over (its footer and pages, with the evictions that makes room
 * for), so that the warm step before the commit finds the generations warm, or joins the warm of
 * the last one still running, instead of adopting them all on its own thread while the checkpoint's
 * barrier waits behind them. The warm step still requests every generation and waits for it: this
 * only moves work ahead of it. Memory: nothing of its own; what the warms adopt was staged (and
 * counted) by the handovers.
 *
 * <p>Threading: {@link #warm}, {@link #settled} and {@link #close} on the writer's task thread; the
 * warms start on this class's one thread, in flush order, which {@link #close} shuts down (the
 * warms it drops are left to the warm step). Generations whose handover staged nothing ({@link
 * GenerationFile#NO_CHECKSUM}) are left to the warm step.
 */
final class FlushWarmer implements AutoCloseable {

    /** How long {@link #close} waits for the warm its thread is starting, at most. */
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final GenerationCache cache;
    private final ExecutorService thread;

    /** The warms started and not settled yet (those settled are dropped at the next start). */
    private final List<CompletableFuture<WarmOutcome>> inFlight = new ArrayList<>();

    FlushWarmer(GenerationCache cache) {
        this.cache = cache;
        this.thread = Executors.newSingleThreadExecutor(KilnThreads.factory("kiln-flush-warm"));
    }

    /** Starts warming {@code file}, which a flush has just written and handed over. */
    void warm(GenerationFile file) {
        if (file.checksum() == GenerationFile.NO_CHECKSUM) {
            return;
        }
        inFlight.removeIf(CompletableFuture::isDone);
        try {
            inFlight.add(
                    CompletableFuture.supplyAsync(() -> cache.warmAheadOfNextCommit(file), thread)
                            .thenCompose(warm -> warm));
        } catch (RejectedExecutionException e) {
            // Closed: the warm step warms it.
        }
    }

    /** Returns a future that completes when the warms started so far have settled (for tests). */
    CompletableFuture<Void> settled() {
        return CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0]));
    }

    /** Stops starting warms (the queued ones are left to the warm step) and ends the thread. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inFlight.clear();
    }
}
