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

package dev.kiln.table;

import org.apache.flink.annotation.Internal;

import javax.annotation.Nullable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A place where a {@link GenerationLookup} may keep what it found for one generation of one {@link
 * Snapshot}, so that the snapshot's next lookups of that generation find it without asking again: a
 * snapshot has one per generation path it has checked, and never reads what is in it. What it
 * holds, and when the holder may trust it, is the lookup's contract (Kiln's {@code GenerationCache}
 * keeps the open generation there, and serves it from the slot only while the generation is not
 * {@linkplain dev.kiln.format.Generation#uncached() removed from the cache}).
 *
 * <p>Thread-safe: {@link #get} and {@link #set} are volatile; {@link #countHit} is a racy hint.
 */
@Internal
public final class GenerationSlot {

    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(GenerationSlot.class, "held", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Nullable private volatile Object held;

    /** Hits served from the slot, racy (a policy hint, see {@link #countHit}). */
    private int hits;

    /** Returns what the slot holds, or {@code null}. */
    @Nullable
    public Object get() {
        return held;
    }

    /** Puts {@code value} in the slot. */
    public void set(@Nullable Object value) {
        held = value;
    }

    /** Empties the slot if it still holds {@code expected}. */
    public void clear(Object expected) {
        HELD.compareAndSet(this, expected, null);
    }

    /**
     * Counts a hit served from the slot; returns true for one in {@code every} of them (racy: a
     * count lost to another thread's only shifts which hit it is).
     */
    public boolean countHit(int every) {
        int n = hits + 1;
        hits = n;
        return n % every == 0;
    }
}
