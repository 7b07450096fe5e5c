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

import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fault injection over a real {@link RangeReader}: holds one chosen range read (the n-th from now)
 * until the test releases it, so a test can act while that read is in flight.
 */
final class HeldReader implements RangeReader {

    private final RangeReader delegate;
    private final AtomicInteger readsUntilHold = new AtomicInteger(-1);
    private final AtomicReference<Hold> hold = new AtomicReference<>();

    HeldReader(RangeReader delegate) {
        this.delegate = delegate;
    }

    /** A read held back: {@link #reached} completes when it is issued. */
    static final class Hold {
        final CompletableFuture<Void> reached = new CompletableFuture<>();
        final CompletableFuture<Void> released = new CompletableFuture<>();

        void release() {
            released.complete(null);
        }
    }

    /** Holds the {@code n}-th range read issued from now (1 for the next one). */
    Hold holdRead(int n) {
        Hold h = new Hold();
        hold.set(h);
        readsUntilHold.set(n);
        return h;
    }

    @Override
    public CompletableFuture<byte[]> read(Path path, ByteRange range) {
        if (readsUntilHold.get() > 0 && readsUntilHold.decrementAndGet() == 0) {
            Hold h = hold.get();
            h.reached.complete(null);
            return h.released.thenCompose(ignored -> delegate.read(path, range));
        }
        return delegate.read(path, range);
    }

    @Override
    public CompletableFuture<Long> length(Path path) {
        return delegate.length(path);
    }
}
