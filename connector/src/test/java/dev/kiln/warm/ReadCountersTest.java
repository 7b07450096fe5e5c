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

import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Read counters: every read, distinct reads per path lifetime, reads that bypassed the cache. */
class ReadCountersTest {

    private final ReadCounters counters = new ReadCounters();
    private final PathStates paths = new PathStates();
    private final Path a = new Path("file:/tmp/a.arrow");

    @Test
    void aPageReadAgainInOneLifetimeIsReadButNotDistinct() {
        PathState state = paths.state(a);
        counters.pageRead(state, 0);
        counters.pageRead(state, 0);
        counters.pageRead(state, 1);
        assertThat(counters.pagesRead()).isEqualTo(3);
        assertThat(counters.distinctPagesRead()).isEqualTo(2);

        paths.retire(Set.of(a.toString()));
        counters.pageRead(paths.state(a), 0);
        assertThat(counters.distinctPagesRead()).as("a new lifetime counts afresh").isEqualTo(3);
    }

    @Test
    void aReadOfAPathWithoutAStateIsAlwaysDistinct() {
        counters.pageRead(null, 0);
        counters.pageRead(null, 0);
        assertThat(counters.pagesRead()).isEqualTo(2);
        assertThat(counters.distinctPagesRead()).isEqualTo(2);
    }

    @Test
    void uncachedReadsAreCountedApart() {
        counters.uncachedRead();
        assertThat(counters.uncachedPageReads()).isEqualTo(1);
        assertThat(counters.pagesRead()).isZero();
    }
}
