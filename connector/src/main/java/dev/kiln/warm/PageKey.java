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

import java.util.Objects;

/** A page of a generation, as the page cache keys it. */
record PageKey(String path, int page) {
    @Override
    public boolean equals(Object o) {
        // the page first: it tells apart the pages of one generation without comparing the paths
        return o instanceof PageKey other && page == other.page && Objects.equals(path, other.path);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(path) + Integer.hashCode(page);
    }

    @Override
    public String toString() {
        return "PageKey[path=" + path + ", page=" + page + "]";
    }
}
