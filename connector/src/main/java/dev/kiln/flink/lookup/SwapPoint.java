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

package dev.kiln.flink.lookup;

import dev.kiln.flink.lookup.SnapshotFollower.Pin;
import dev.kiln.flink.lookup.SnapshotFollower.TableLost;
import dev.kiln.table.KilnTableException;
import dev.kiln.table.Snapshot;

import org.apache.flink.core.fs.Path;

import javax.annotation.Nullable;

import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link SnapshotFollower} swaps snapshots: the current {@link Pin}, replaced in one step
 * that links the old pin to its successor and drops the follower's reference to it, the waiters for
 * the next swap, and the two ends of following, closed and lost, after which nothing is installed
 * and the follower's reference to the last pin is dropped once.
 *
 * <p>Threading: reads take no lock; {@link #install}, {@link #lose} and {@link #close} are
 * serialised by a lock that is never held while waiting or completing a future.
 */
final class SwapPoint {

    private final Path root;

    private final Object lock = new Object();

    @Nullable private volatile Pin current;

    /** Why the table followed is lost; set once. */
    @Nullable private volatile KilnTableException lost;

    private volatile boolean closed;

    /** Completed, and replaced, at each swap; failed once closed or lost. Replaced under lock. */
    private volatile CompletableFuture<Void> nextSwap = new CompletableFuture<>();

    SwapPoint(Path root) {
        this.root = root;
    }

    /** Returns the current pin, not acquired; {@code null} before the first install. */
    @Nullable
    Pin current() {
        return current;
    }

    @Nullable
    KilnTableException lost() {
        return lost;
    }

    boolean closed() {
        return closed;
    }

    /** Returns the version of the current pin, or -1 before the first and for a placeholder. */
    long version() {
        Pin pin = current;
        return pin == null || pin.placeholder() ? -1 : pin.snapshot().manifest().version();
    }

    /**
     * Makes {@code next} current, links the previous pin to it and drops the follower's reference
     * to the previous one, then completes the waiters of this swap. Returns {@code false}, changing
     * nothing, once closed or lost.
     */
    boolean install(Pin next) {
        CompletableFuture<Void> swapped;
        synchronized (lock) {
            if (closed || lost != null) {
                return false;
            }
            Pin previous = current;
            if (previous != null) {
                previous.succeededBy(next);
            }
            current = next;
            if (previous != null) {
                previous.release();
            }
            swapped = nextSwap;
            nextSwap = new CompletableFuture<>();
        }
        swapped.complete(null);
        return true;
    }

    /**
     * Returns the current pin's snapshot without acquiring it, for a read that takes no hold of its
     * own ({@link SnapshotFollower#currentUnpinned()}); {@code null} before the first install, once
     * closed and once lost.
     */
    @Nullable
    Snapshot unpinned() {
        Pin pin = current;
        if (pin == null || closed || lost != null) {
            return null;
        }
        return pin.snapshot();
    }

    /** Returns the current pin acquired for a reader; call {@link Pin#release()} once. */
    Pin pin() {
        while (true) {
            checkNotLost();
            if (closed) {
                throw new IllegalStateException("the follower of " + root + " is closed");
            }
            Pin pin = current;
            if (pin == null) {
                throw new IllegalStateException("initialize() the follower of " + root);
            }
            if (pin.tryAcquire()) {
                if (lost != null) {
                    pin.release();
                    checkNotLost();
                }
                return pin;
            }
        }
    }

    /** Throws {@link TableLost} once lost. */
    void checkNotLost() {
        KilnTableException error = lost;
        if (error != null) {
            throw new TableLost(error);
        }
    }

    /** See {@link SnapshotFollower#versionAfter}. */
    CompletableFuture<Void> versionAfter(long version) {
        CompletableFuture<Void> swap = nextSwap;
        KilnTableException error = lost;
        if (error != null) {
            return CompletableFuture.failedFuture(error);
        }
        if (version() > version) {
            return CompletableFuture.completedFuture(null);
        }
        return swap.thenCompose(swapped -> versionAfter(version));
    }

    /**
     * Ends following with {@code error}, unless already ended, and drops the follower's reference
     * to the current pin. Returns the waiters for the next swap, for the caller to fail with {@code
     * error}, or {@code null} if already ended.
     */
    @Nullable
    CompletableFuture<Void> lose(KilnTableException error) {
        synchronized (lock) {
            if (closed || lost != null) {
                return null;
            }
            lost = error;
            if (current != null) {
                current.release();
            }
            return nextSwap;
        }
    }

    /** Ends following, if not lost already dropping the follower's reference; idempotent. */
    void close() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                // The follower's own reference: its generations go once no lookup reads them.
                if (current != null && lost == null) {
                    current.release();
                }
            }
        }
        nextSwap.completeExceptionally(
                new IllegalStateException("the follower of Kiln table " + root + " is closed"));
    }
}
