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

import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.format.RowReader;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import javax.annotation.Nullable;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * A decoded page shared by the page cache and the lookups that read it. The cache holds one
 * reference from the load until the entry leaves the cache; each read holds one for its duration.
 * The page's Arrow memory is released when the last reference goes, so eviction never frees a page
 * under a reader; {@code onClose} runs once, after the page is closed.
 *
 * <p>Resident slot: while cached, the page may also sit in its slot of the {@linkplain
 * dev.kiln.format.Generation#pageSlots() page slots} of the open generation it was last looked up
 * in ({@link #install}), so that a hit finds it with an array read instead of a cache lookup. The
 * cache's removal ({@link #evict}) marks it evicted and clears that slot before dropping the
 * cache's reference; a reader that finds it in a slot reads it only if it can take a reference and
 * it is not evicted ({@link #lookupIfResident}), so a released page is never read and an evicted
 * one is not served from a slot.
 */
final class SharedPage {

    /** A hit through a slot tells the cache's policy of one in this many of them. */
    static final int TOUCH_EVERY = 8;

    private final Page page;
    private final long sizeBytes;
    private final Runnable onClose;
    private final AtomicInteger references = new AtomicInteger(1);

    /** Set once, by the cache's removal, before it clears the slot and drops its reference. */
    private volatile boolean evicted;

    /** The slots this page was last installed in, or {@code null}. */
    @Nullable private volatile AtomicReferenceArray<Object> slots;

    /** The cache's key of this page, known once installed (written before {@link #slots}). */
    @Nullable private PageKey key;

    /**
     * Hits through a slot, racy (a policy hint): every {@link #TOUCH_EVERY}th touches the cache.
     */
    private int slotHits;

    SharedPage(Page page, Runnable onClose) {
        this.page = page;
        this.sizeBytes = arrowBytes(page);
        this.onClose = onClose;
    }

    /** Returns the Arrow memory the page occupies, as its allocator accounts it. */
    long sizeBytes() {
        return sizeBytes;
    }

    /**
     * Applies {@code read} to the page while holding a reference.
     *
     * @return the result, or {@code null} if the page was already released (the caller reads it
     *     again)
     */
    <T> T read(Function<Page, T> read) {
        if (!retain()) {
            return null;
        }
        try {
            return read.apply(page);
        } finally {
            release();
        }
    }

    /**
     * Returns what the page says about {@code key}, read under a reference, or {@code null} if the
     * page was already released. Like {@code read(page -> page.lookup(key))}, without the lambda.
     */
    LookupResult lookup(byte[] key) {
        if (!retain()) {
            return null;
        }
        try {
            return page.lookup(key);
        } finally {
            release();
        }
    }

    /**
     * Returns what the page says about {@code key} ({@link Page#lookup(byte[], RowReader)}), read
     * under a reference (so {@code reader} runs while the page cannot be released), or {@code null}
     * if the page was already released.
     */
    <T> Object lookup(byte[] key, RowReader<T> reader) {
        if (!retain()) {
            return null;
        }
        try {
            return page.lookup(key, reader);
        } finally {
            release();
        }
    }

    /**
     * Like {@link #lookup(byte[], RowReader)} for a page found in a slot: {@code null} also if the
     * page was evicted from the cache (it may still be held by readers, but is no longer served).
     */
    <T> Object lookupIfResident(byte[] key, RowReader<T> reader) {
        if (!retain()) {
            return null;
        }
        try {
            return evicted ? null : page.lookup(key, reader);
        } finally {
            release();
        }
    }

    /**
     * Puts this page, which the cache holds under {@code key}, in its slot of {@code into} (the
     * page slots of the open generation it was looked up in). If the cache removes it meanwhile,
     * the slot is cleared again, by whichever of the two runs last.
     */
    void install(AtomicReferenceArray<Object> into, PageKey key) {
        int index = page.index();
        if (index < 0 || index >= into.length()) {
            return;
        }
        this.key = key;
        slots = into;
        into.set(index, this);
        if (evicted) {
            into.compareAndSet(index, this, null);
        }
    }

    /**
     * Counts a hit served through a slot; returns true for one in {@link #TOUCH_EVERY} of them,
     * when the caller tells the cache's policy of the access (with {@link #key()}).
     */
    boolean countSlotHit() {
        int hits = slotHits + 1;
        slotHits = hits;
        return hits % TOUCH_EVERY == 0;
    }

    /** Returns the cache's key of this page once installed, else {@code null}. */
    @Nullable
    PageKey key() {
        return slots == null ? null : key;
    }

    /** Whether the cache has removed this page. */
    boolean evicted() {
        return evicted;
    }

    /**
     * The cache's removal: marks the page evicted, clears its slot if it holds it, then drops the
     * cache's reference.
     */
    void evict() {
        evicted = true;
        AtomicReferenceArray<Object> installed = slots;
        if (installed != null) {
            installed.compareAndSet(page.index(), this, null);
        }
        release();
    }

    /** Drops the cache's reference. */
    void release() {
        if (references.decrementAndGet() == 0) {
            try {
                page.close();
            } finally {
                onClose.run();
            }
        }
    }

    private boolean retain() {
        for (int n = references.get(); n > 0; n = references.get()) {
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The bytes the allocator accounts for {@code page}'s buffers: each underlying allocation once
     * (a decoded page's vectors are slices of one body buffer, plus the validity buffers Arrow
     * allocates for columns without nulls), at its rounded-up size.
     */
    static long arrowBytes(Page page) {
        return arrowBytes(page.root());
    }

    /** Like {@link #arrowBytes(Page)}, for the rows of a page. */
    static long arrowBytes(VectorSchemaRoot rows) {
        Set<ReferenceManager> allocations = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (FieldVector vector : rows.getFieldVectors()) {
            for (ArrowBuf buffer : vector.getBuffers(false)) {
                ReferenceManager allocation = buffer.getReferenceManager();
                if (allocations.add(allocation)) {
                    bytes += allocation.getAccountedSize();
                }
            }
        }
        return bytes;
    }
}
