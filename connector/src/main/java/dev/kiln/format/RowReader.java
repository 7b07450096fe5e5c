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

package dev.kiln.format;

import org.apache.flink.annotation.Internal;

/**
 * Reads a found row straight out of its page's Arrow vectors, into whatever the caller hands on
 * (Kiln's Flink layer builds Flink's {@code RowData} this way): the cached-lookup hit path's
 * alternative to {@link Page#values}, which boxes every column into a list first.
 *
 * <p>Lifetime: {@link #read} is called while the page is held (its Arrow memory cannot be released
 * by an eviction during the call), and only then. What it returns must not refer to the page, its
 * root or its vectors' buffers after it returns: it outlives the call, and the page may be evicted
 * and closed right after. Implementations copy what they need.
 *
 * @param <T> what a row is read into
 */
@Internal
@FunctionalInterface
public interface RowReader<T> {

    /**
     * Returns row {@code row} of {@code page} (a row that is not a tombstone), never {@code null}.
     */
    T read(Page page, int row);
}
