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

import dev.kiln.format.Generation;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the parts of {@link GenerationCache} are built from, for testing one part alone: real
 * generation files in a directory, read through an instrumented file-system reader whose reads
 * complete on the calling thread (a {@link HeldReader} in front, to hold one), a real allocator
 * with a child page allocator, and the small shared parts. {@link #close()} closes as the cache
 * does (dropping the pages of the page tiers it built) and then the allocator, which fails if any
 * page was not released.
 */
final class PartsFixture implements AutoCloseable {

    static final int ROWS = 3000;

    final BufferAllocator allocator = new RootAllocator();
    final InstrumentedRangeReader io =
            InstrumentedRangeReader.wrap(RangeReader.onFileSystem(Runnable::run));
    final HeldReader held = new HeldReader(io);
    final PathStates paths = new PathStates();
    final ReadCounters counters = new ReadCounters();
    final BufferAllocator pageAllocator;
    final WorkInFlight work;
    final LoadBudget budget;
    private final java.nio.file.Path dir;
    private final List<PageTier> tiers = new ArrayList<>();

    PartsFixture(java.nio.file.Path dir) {
        this(dir, 64L << 20, 16L << 20);
    }

    PartsFixture(java.nio.file.Path dir, long pageAllocatorLimit, long loadBudgetBytes) {
        this.dir = dir;
        this.pageAllocator = allocator.newChildAllocator("test-pages", 0, pageAllocatorLimit);
        this.work = new WorkInFlight(pageAllocator::close);
        this.budget = new LoadBudget(loadBudgetBytes);
    }

    /** Writes ids {@code [from, to)}; ids divisible by {@code deleteEvery} are tombstones. */
    Path write(String name, long from, long to, int deleteEvery) throws IOException {
        Path path = new Path(dir.resolve(name + ".arrow").toUri());
        TestGenerations.write(path, from, to, deleteEvery, allocator);
        return path;
    }

    /** Opens the generation at {@code path} directly (not through any part). */
    Generation open(Path path) throws Exception {
        return Generation.open(held, path).get(10, TimeUnit.SECONDS);
    }

    PageTier pageTier(long cachedBytes) {
        PageTier tier =
                new PageTier(
                        allocator,
                        pageAllocator,
                        RangeCoalescer.defaults(),
                        cachedBytes,
                        cachedBytes / 2,
                        budget,
                        counters,
                        work,
                        paths);
        tiers.add(tier);
        return tier;
    }

    OpenGenerations generations(long maximumBytes, Consumer<String> evictedForRoom) {
        return new OpenGenerations(held, null, work, maximumBytes, evictedForRoom);
    }

    @Override
    public void close() throws Exception {
        work.close();
        tiers.forEach(tier -> tier.invalidateAll(path -> true));
        work.settle();
        work.closeFuture().get(10, TimeUnit.SECONDS);
        allocator.close();
    }
}
