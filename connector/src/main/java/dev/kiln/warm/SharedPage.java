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

import dev.kiln.format.Page;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A decoded page shared by the page cache and the lookups that read it. The cache holds one
 * reference from the load until the entry leaves the cache; each read holds one for its duration.
 * The page's Arrow memory is released when the last reference goes, so eviction never frees a page
 * under a reader.
 */
final class SharedPage {

    private final Page page;
    private final AtomicInteger references = new AtomicInteger(1);

    SharedPage(Page page) {
        this.page = page;
    }

    long sizeBytes() {
        return page.sizeBytes();
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

    /** Drops the cache's reference. */
    void release() {
        if (references.decrementAndGet() == 0) {
            page.close();
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
}
