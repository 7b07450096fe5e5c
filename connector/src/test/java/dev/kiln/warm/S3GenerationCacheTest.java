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
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.s3.FaultProxy;
import dev.kiln.s3.FaultProxy.Fault;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static dev.kiln.warm.GenerationCacheTest.assertAnswer;
import static dev.kiln.warm.TestGenerations.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Warms and lookups of a generation on {@code s3://}, counted on the wire, with slow responses,
 * throttling and dropped connections injected between Flink's S3 file system and the server.
 */
class S3GenerationCacheTest {

    private static final int ROWS = 3000;
    private static final int DELETE_EVERY = 7;

    @RegisterExtension static final S3Loopback S3 = new S3Loopback(4);

    private static Path gen;
    private static Predicate<Request> genGet;
    private static BufferAllocator writeAllocator;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;
    private final List<GenerationCache> caches = new ArrayList<>();

    @BeforeAll
    static void writeGeneration() throws IOException {
        writeAllocator = new RootAllocator();
        gen = new Path(S3.root("warm"), "data/bucket-0/g-1.arrow");
        TestGenerations.write(gen, 0, ROWS, DELETE_EVERY, writeAllocator);
        String name = gen.toUri().getPath();
        genGet = r -> r.isGet() && r.path().endsWith(name);
    }

    @AfterAll
    static void closeAllocator() {
        writeAllocator.close();
    }

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
        proxy().clearFaults();
        proxy().clear();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        proxy().clearFaults();
        caches.forEach(GenerationCache::close);
        ioPool.shutdownNow();
        assertThat(ioPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        allocator.close();
    }

    private static FaultProxy proxy() {
        return S3.proxy();
    }

    private GenerationCache cache(Duration warmDeadline) {
        GenerationCache cache =
                GenerationCache.builder(io, allocator)
                        .warmOnOpen(false)
                        .warmDeadline(warmDeadline)
                        .build();
        caches.add(cache);
        return cache;
    }

    private static void assertAllAnswers(GenerationCache cache) throws Exception {
        List<byte[]> keys = new ArrayList<>();
        for (long id = -5; id < ROWS + 5; id++) {
            keys.add(key(id));
        }
        List<LookupResult> results = cache.lookupAll(gen, keys).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < keys.size(); i++) {
            assertAnswer(i - 5, results.get(i), 0, ROWS, DELETE_EVERY);
        }
    }

    @Test
    void aColdLookupIsOneGetPerRangeReadAndAWarmedOneIsNone() throws Exception {
        GenerationCache cold = cache(Duration.ofSeconds(30));
        assertAnswer(1234, cold.lookup(gen, key(1234)).get(30, TimeUnit.SECONDS), 0, ROWS, 7);

        long reads = io.requests(gen);
        assertThat(reads).as("open (at most 2) and one page").isBetween(2L, 3L);
        assertThat(proxy().count(genGet)).isEqualTo(reads);
        assertThat(proxy().count(Request::isHead)).isEqualTo(reads + io.lengthRequests(gen));

        GenerationCache warmed = cache(Duration.ofSeconds(30));
        assertThat(warmed.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        proxy().clear();
        io.resetCounters();
        long missesAfterWarm = warmed.pageStats().missCount();

        assertAllAnswers(warmed);
        assertThat(proxy().requests())
                .as("%s %s", warmed.pageStats(), warmed.cachedPageBytes())
                .isEmpty();
        assertThat(warmed.pageStats().missCount()).isEqualTo(missesAfterWarm);
    }

    @Test
    void throttledAndDroppedReadsAreRetriedAndAnswerRight() throws Exception {
        proxy().inject(Fault.SLOW_DOWN_503, genGet, 2);
        proxy().dropMidBody(genGet, 1, 200);
        GenerationCache cache = cache(Duration.ofSeconds(30));

        assertThat(cache.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(proxy().injected()).isEqualTo(3);
        proxy().clear();

        assertAllAnswers(cache);
        assertThat(proxy().requests()).isEmpty();
    }

    @Test
    void readsThatKeepFailingFailTheLookupAndCacheNothing() throws Exception {
        proxy().dropMidBody(genGet, Integer.MAX_VALUE, 0);
        GenerationCache cache = cache(Duration.ofSeconds(30));

        assertThatThrownBy(() -> cache.lookup(gen, key(42)).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(IOException.class);
        assertThat(cache.cachedGenerations()).isZero();
        assertThat(cache.cachedPages()).isZero();

        proxy().clearFaults();
        assertAllAnswers(cache);
    }

    @Test
    void aFailedOrSlowWarmIsReportedAndLookupsStillAnswer() throws Exception {
        proxy().dropMidBody(genGet, Integer.MAX_VALUE, 0);
        GenerationCache failing = cache(Duration.ofSeconds(30));
        assertThat(failing.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.FAILED);
        assertThat(failing.warmGate().isWarm(gen)).isFalse();
        proxy().clearFaults();
        assertAllAnswers(failing);

        proxy().delay(genGet, Integer.MAX_VALUE, Duration.ofMillis(300));
        GenerationCache slow = cache(Duration.ofMillis(100));
        assertThat(slow.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.TIMED_OUT);
        proxy().clearFaults();
        assertAllAnswers(slow);
    }

    @Test
    void openingCostsAtMostTwoRangeReads() throws Exception {
        GenerationCache cache = cache(Duration.ofSeconds(30));
        Generation opened = cache.open(gen).get(30, TimeUnit.SECONDS);

        assertThat(opened.pageCount()).isGreaterThan(10);
        assertThat(io.requests(gen)).isBetween(1L, 2L);
        assertThat(proxy().count(genGet)).isEqualTo(io.requests(gen));
    }
}
