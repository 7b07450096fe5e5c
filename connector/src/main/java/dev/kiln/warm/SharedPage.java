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

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A decoded page shared by the page cache and the lookups that read it. The cache holds one
 * reference from the load until the entry leaves the cache; each read holds one for its duration.
 * The page's Arrow memory is released when the last reference goes, so eviction never frees a page
 * under a reader; {@code onClose} runs once, after the page is closed.
 */
final class SharedPage {

    private final Page page;
    private final long sizeBytes;
    private final Runnable onClose;
    private final AtomicInteger references = new AtomicInteger(1);

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
