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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The work a {@link GenerationCache} has in flight (loads and private reads started, pages decoded
 * and not yet released) and its close, which waits for that work: once closed, no work starts, and
 * when the last of it ends the close runs its final action (closing the page allocator) and
 * completes. Thread-safe.
 */
final class WorkInFlight {

    private final Runnable onSettled;
    private final AtomicInteger loadsInFlight = new AtomicInteger();
    private final AtomicInteger livePages = new AtomicInteger();
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private volatile boolean closed;

    /**
     * @param onSettled runs once, when the cache is closed and its work has ended; if it throws,
     *     the close future fails with that
     */
    WorkInFlight(Runnable onSettled) {
        this.onSettled = requireNonNull(onSettled, "onSettled");
    }

    boolean closed() {
        return closed;
    }

    /** Runs {@code work} counted as in flight, unless closed (then it fails, not run). */
    <T> CompletableFuture<T> track(Supplier<CompletableFuture<T>> work) {
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
                    settle();
                });
        return running;
    }

    /** Counts a decoded page as live until {@link #pageReleased}. */
    void pageDecoded() {
        livePages.incrementAndGet();
    }

    void pageReleased() {
        livePages.decrementAndGet();
        settle();
    }

    /**
     * Marks the cache closed.
     *
     * @return whether this call closed it (the caller then drops what the cache holds and calls
     *     {@link #settle})
     */
    boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /** Returns a future that completes (or fails) as the close does. */
    CompletableFuture<Void> closeFuture() {
        return closedFuture.copy();
    }

    /** Completes the close once closed, with no load in flight and no decoded page left. */
    void settle() {
        if (closed && loadsInFlight.get() == 0 && livePages.get() == 0 && !closedFuture.isDone()) {
            synchronized (closedFuture) {
                if (closedFuture.isDone()) {
                    return;
                }
                try {
                    onSettled.run();
                    closedFuture.complete(null);
                } catch (RuntimeException e) {
                    closedFuture.completeExceptionally(e);
                }
            }
        }
    }

    int loadsInFlight() {
        return loadsInFlight.get();
    }

    int livePages() {
        return livePages.get();
    }

    static IllegalStateException closedException() {
        return new IllegalStateException("generation cache is closed");
    }
}
