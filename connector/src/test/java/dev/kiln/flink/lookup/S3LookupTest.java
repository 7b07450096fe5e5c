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

import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.s3.FaultProxy;
import dev.kiln.s3.FaultProxy.Fault;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;
import dev.kiln.table.Manifest;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SnapshotFollower} and {@link LookupEngine} on {@code s3://} (Flink's S3 file system
 * against the loopback server), without Flink: warm before swap counted exactly on the wire, and
 * throttling, dropped connections and slow responses injected during warms and lookups.
 */
class S3LookupTest {

    private static final Duration LONG = Duration.ofMinutes(1);

    @RegisterExtension static final S3Loopback S3 = new S3Loopback(8);

    @TempDir java.nio.file.Path diskDir;

    private final ExecutorService io = Executors.newFixedThreadPool(8);
    private final BufferAllocator allocator = new RootAllocator();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final LookupEngine.Metrics metrics = new LookupEngine.Metrics();
    private GenerationCache cache;
    private TestTable table;
    private Predicate<Request> generationGet;

    @BeforeEach
    void setUp() {
        cache =
                GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                        .warmOnOpen(false)
                        .maintenanceExecutor(Runnable::run)
                        .build();
        proxy().clearFaults();
        proxy().clear();
    }

    @AfterEach
    void tearDown() throws Exception {
        proxy().clearFaults();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        cache.close();
        if (table != null) {
            table.close();
        }
        io.shutdownNow();
        assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        allocator.close();
    }

    private static FaultProxy proxy() {
        return S3.proxy();
    }

    private void createTable(String bucket, String name) throws IOException {
        Path root = S3.root(bucket, name);
        table = TestTable.create(root, 4);
        String under = root.toUri().getPath() + "/data/bucket-";
        generationGet = r -> r.isGet() && r.path().contains(under) && r.path().endsWith(".arrow");
    }

    @Test
    void afterEachSwapNoLookupMakesAStorageRequest() throws Exception {
        createTable(S3Loopback.BUCKET, "lookup-warm");
        SnapshotFollower follower = follower(true, LONG);
        LookupEngine engine = engine(follower);
        long upTo = 0;
        for (int v = 1; v <= 8; v++) {
            long first = Math.max(0, upTo - 10);
            upTo += 30;
            Manifest written = table.upsert(v, LongStream.range(first, upTo).toArray());
            if (v == 4) {
                written = table.delete(1, 2, 3);
            } else if (v == 6) {
                written = table.compact(table.bucketOf(0));
            }
            assertThat(follower.poll()).isTrue();
            assertThat(follower.version()).isEqualTo(written.version());

            proxy().clear();
            long hits = metrics.hits();
            long cold = metrics.coldReads();
            assertAnswers(engine, written.version(), 0, upTo + 5);
            assertThat(proxy().requests()).as("requests after swapping to %d", v).isEmpty();
            assertThat(metrics.coldReads()).isEqualTo(cold);
            assertThat(metrics.hits() - hits).isEqualTo(upTo + 5);
        }
        assertThat(follower.coldGenerations()).isZero();
        assertThat(follower.warmFailures()).isZero();
        assertThat(follower.warmed()).isPositive();
    }

    /**
     * A table many times the page-cache bound, with a local-disk tier under it: each version's warm
     * before swap copies its generations to disk, so every lookup after each swap is answered
     * (correctly) without one storage request, though memory holds a fraction of it.
     */
    @Test
    void aTableLargerThanMemoryWithADiskTierMakesNoStorageRequestAfterEachSwap() throws Exception {
        cache.close();
        cache =
                GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                        .warmOnOpen(false)
                        .maintenanceExecutor(Runnable::run)
                        .maximumPageBytes(16 << 10)
                        .diskTier(diskDir, 64L << 20, io)
                        .diskBlockBytes(4096)
                        .build();
        createTable(S3Loopback.BUCKET, "lookup-disk");
        SnapshotFollower follower = follower(true, LONG);
        LookupEngine engine = engine(follower);
        long tableBytes = 0;
        for (int v = 1; v <= 4; v++) {
            Manifest written = table.upsert(v, LongStream.range(0, v * 400L).toArray());
            tableBytes = 0;
            for (int bucket = 0; bucket < 4; bucket++) {
                for (dev.kiln.table.GenerationRef ref : written.newestFirst(bucket)) {
                    tableBytes += ref.sizeBytes();
                }
            }
            assertThat(follower.poll()).isTrue();

            proxy().clear();
            assertAnswers(engine, written.version(), 0, v * 400L + 5);
            assertThat(proxy().requests()).as("requests after swapping to %d", v).isEmpty();
        }
        assertThat(tableBytes).isGreaterThan(10 * (16 << 10));
        assertThat(cache.cachedPageBytes()).isLessThanOrEqualTo(16 << 10);
        assertThat(cache.diskStats().hits()).isPositive();
        assertThat(cache.diskStats().copyFailures()).isZero();
        assertThat(cache.diskStats().damagedCopies()).isZero();
        assertThat(follower.coldGenerations()).isZero();
    }

    @Test
    void throttledAndDroppedWarmReadsAreRetriedAndTheSwapIsStillWarm() throws Exception {
        createTable(S3Loopback.BUCKET, "lookup-warm-faults");
        SnapshotFollower follower = follower(true, LONG);
        LookupEngine engine = engine(follower);
        for (int v = 1; v <= 3; v++) {
            Manifest written = table.upsert(v, LongStream.range(0, v * 40L).toArray());
            proxy().clear();
            proxy().inject(Fault.SLOW_DOWN_503, generationGet, 2);
            proxy().dropMidBody(generationGet, 1, 100);
            assertThat(follower.poll()).isTrue();
            assertThat(proxy().injected()).as("faults hit the warm of %d", v).isEqualTo(3);
            proxy().clearFaults();

            proxy().clear();
            long cold = metrics.coldReads();
            assertAnswers(engine, written.version(), 0, v * 40L + 5);
            assertThat(proxy().requests()).as("requests after swapping to %d", v).isEmpty();
            assertThat(metrics.coldReads()).isEqualTo(cold);
        }
        assertThat(follower.warmFailures()).isZero();
        assertThat(follower.coldGenerations()).isZero();
    }

    @Test
    void aWarmThatFailsIsCountedAndItsGenerationsAnswerCold() throws Exception {
        createTable(S3Loopback.NO_RETRY_BUCKET, "lookup-warm-fails");
        SnapshotFollower follower = follower(true, LONG);
        LookupEngine engine = engine(follower);
        for (int v = 1; v <= 3; v++) {
            Manifest written = table.upsert(v, LongStream.range(0, 60).toArray());
            int fresh = fresh(written);
            long failed = follower.warmFailures();
            long coldGenerations = follower.coldGenerations();
            proxy().dropMidBody(generationGet, Integer.MAX_VALUE, 0);
            assertThat(follower.poll()).isTrue();
            proxy().clearFaults();
            assertThat(follower.version()).isEqualTo(written.version());
            assertThat(follower.warmFailures() - failed).isEqualTo(fresh);
            assertThat(follower.coldGenerations() - coldGenerations).isEqualTo(fresh);

            long cold = metrics.coldReads();
            long hits = metrics.hits();
            assertAnswers(engine, written.version(), 0, 65);
            assertThat(metrics.coldReads() - cold).isPositive();
            assertThat(metrics.coldReads() - cold + metrics.hits() - hits).isEqualTo(65);
        }
        assertThat(metrics.failures.getCount()).isZero();
    }

    @Test
    void aSlowWarmDelaysTheSwapByTheDeadlineOnly() throws Exception {
        createTable(S3Loopback.BUCKET, "lookup-warm-slow");
        SnapshotFollower follower = follower(true, Duration.ofMillis(100));
        LookupEngine engine = engine(follower);
        Manifest written = table.upsert(1, LongStream.range(0, 60).toArray());
        int fresh = fresh(written);
        proxy().delay(generationGet, Integer.MAX_VALUE, Duration.ofSeconds(1));
        assertThat(follower.poll()).isTrue();
        assertThat(follower.version()).isEqualTo(written.version());
        assertThat(follower.warmTimeouts()).isEqualTo(fresh);
        assertThat(follower.coldGenerations()).isEqualTo(fresh);
        proxy().clearFaults();
        assertAnswers(engine, written.version(), 0, 65);
        assertThat(metrics.failures.getCount()).isZero();
    }

    @Test
    void lookupsWhoseReadsFailFailWithTheIOExceptionAndCacheNothing() throws Exception {
        createTable(S3Loopback.NO_RETRY_BUCKET, "lookup-faults");
        SnapshotFollower follower = follower(false, LONG);
        LookupEngine engine = engine(follower);
        Manifest written = table.upsert(1, LongStream.range(0, 200).toArray());
        assertThat(follower.poll()).isTrue();

        proxy().clear();
        proxy().inject(Fault.SLOW_DOWN_503, generationGet, 3);
        proxy().dropMidBody(generationGet, 3, 50);
        int failed = 0;
        for (long id = 0; id < 200; id++) {
            try {
                LookupResult answer = engine.lookup(table.key(id)).get(30, TimeUnit.SECONDS);
                assertAnswer(answer, written.version(), id);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).as("id %d", id).isInstanceOf(IOException.class);
                failed++;
            }
        }
        assertThat(proxy().injected()).isEqualTo(6);
        assertThat(failed).isBetween(1, 6);
        assertThat(metrics.failures.getCount()).isEqualTo(failed);
        assertThat(metrics.lookups()).isEqualTo(200);
        assertThat(metrics.hits() + metrics.coldReads() + failed).isEqualTo(200);

        // Nothing of a failed read was cached: every key answers right now.
        proxy().clearFaults();
        assertAnswers(engine, written.version(), 0, 205);
    }

    private int fresh(Manifest written) throws IOException {
        return written.generations().size()
                - table.table.manifest(written.version() - 1).generations().size();
    }

    private SnapshotFollower follower(boolean warm, Duration deadline) throws IOException {
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        cache,
                        cache.warmGate(),
                        b -> true,
                        warm,
                        deadline);
        closeables.add(follower);
        follower.initialize();
        return follower;
    }

    private LookupEngine engine(SnapshotFollower follower) {
        LookupEngine engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 32, Duration.ZERO, metrics);
        closeables.add(engine);
        return engine;
    }

    /** Looks ids {@code [from, to)} up through the engine, all in flight at once. */
    private void assertAnswers(LookupEngine engine, long version, long from, long to)
            throws Exception {
        List<CompletableFuture<LookupResult>> answers = new ArrayList<>();
        for (long id = from; id < to; id++) {
            answers.add(engine.lookup(table.key(id)));
        }
        for (long id = from; id < to; id++) {
            assertAnswer(answers.get((int) (id - from)).get(30, TimeUnit.SECONDS), version, id);
        }
    }

    /** The answer of {@code id} at {@code version}: its value, or absent. */
    private void assertAnswer(LookupResult answer, long version, long id) {
        Long expected = table.valueAt(version, id);
        if (expected == null) {
            assertThat(answer.status()).as("id %d", id).isEqualTo(LookupResult.Status.ABSENT);
            return;
        }
        assertThat(answer.status()).as("id %d", id).isEqualTo(LookupResult.Status.FOUND);
        assertThat(answer.values().get(2)).as("id %d", id).isEqualTo(expected);
    }
}
