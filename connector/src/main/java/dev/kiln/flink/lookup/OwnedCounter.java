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

import org.apache.flink.metrics.Counter;

import javax.annotation.Nullable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter for the hit path, which one thread runs (the lookup function's task thread): the first
 * thread to count owns it and counts in a plain field, written and read with opaque accesses (no
 * fence, no atomic instruction), as Flink's own {@code SimpleCounter} counts on the task thread;
 * any other thread counts in a {@link LongAdder}. Reads as both; thread-safe, no count is lost.
 */
final class OwnedCounter implements Counter {
    private static final VarHandle OWNED;
    private static final VarHandle OWNER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            OWNED = lookup.findVarHandle(OwnedCounter.class, "owned", long.class);
            OWNER = lookup.findVarHandle(OwnedCounter.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The thread that counts in {@link #owned}; set once, by the first to count. */
    @Nullable private volatile Thread owner;

    /** The owner's count; written by the owner only. */
    @SuppressWarnings("unused")
    private long owned;

    private final LongAdder others = new LongAdder();

    @Override
    public void inc() {
        inc(1);
    }

    @Override
    public void inc(long n) {
        Thread self = Thread.currentThread();
        Thread counting = owner;
        if (counting == self || (counting == null && OWNER.compareAndSet(this, null, self))) {
            OWNED.setOpaque(this, (long) OWNED.getOpaque(this) + n);
        } else {
            others.add(n);
        }
    }

    @Override
    public void dec() {
        inc(-1);
    }

    @Override
    public void dec(long n) {
        inc(-n);
    }

    @Override
    public long getCount() {
        return (long) OWNED.getOpaque(this) + others.sum();
    }
}
