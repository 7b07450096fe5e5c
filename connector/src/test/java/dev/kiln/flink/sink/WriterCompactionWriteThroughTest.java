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

package dev.kiln.flink.sink;

import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.Compaction;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Write-through of the writer's compactions: an output is handed to the shared cache as it is
 * written, so its warm (naming the checksum {@link WriterCompaction#checksum} gives) makes no
 * storage request and answers what the file holds; without a cache nothing is handed over; a failed
 * round leaves nothing staged. A real table, a real cache over a reader that counts every request,
 * and the root allocator's leak check at the end.
 */
class WriterCompactionWriteThroughTest {

    private static final CompactionPolicy ALL =
            CompactionPolicy.builder().maxGenerations(1).build();
    private static final long EVENTS = 3000;

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService io;
    private InstrumentedRangeReader reads;
    private GenerationCache cache;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(2);
        reads = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        cache = GenerationCache.builder(reads, allocator).warmOnOpen(false).build();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        cache.close();
        io.shutdownNow();
        assertThat(io.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        // Fails if any staged or cached page's Arrow memory was not released.
        allocator.close();
    }

    @Test
    void aCompactionsOutputIsWarmedBeforeItsRoundEndsWithoutAStorageRequest() throws Exception {
        KilnTable table = tableOfThreeGenerations(1);
        Compaction compaction;
        long checksum;
        try (WriterCompaction compacting = compaction(table, cache)) {
            assertThat(compacting.poll(false)).isEmpty();
            List<Compaction> done = compacting.poll(true);
            assertThat(done).hasSize(1);
            compaction = done.get(0);
            checksum = compacting.checksum(compaction);
        }
        assertThat(checksum).isNotEqualTo(GenerationFile.NO_CHECKSUM);
        Path output = table.resolve(compaction.output().path());
        // The round warmed its output from what it handed over: taken from staging into the
        // cache, every page, before the round ended, and without a storage request.
        assertThat(cache.warmGate().isWarm(output)).isTrue();
        assertThat(cache.writeThroughBytes()).isZero();
        assertThat(cache.warmStorageReads()).isZero();
        assertThat(reads.totalRequests()).isZero();
        assertThat(cache.cachedPages())
                .isEqualTo(cache.open(output, compaction.output().sizeBytes()).get().pageCount());
        // Its footer is held for the commit's warm, in case the tier drops it before.
        assertThat(cache.heldForCommitBytes()).isPositive();

        // So the warm step before its commit finds it warm: nothing left to do there.
        GenerationFile file = GenerationFile.of(table, compaction.output()).withChecksum(checksum);
        WarmOutcome outcome = cache.warmGate().warm(file).get(10, TimeUnit.SECONDS);
        assertThat(outcome).isEqualTo(WarmOutcome.ALREADY_WARM);
        assertThat(cache.heldForCommitBytes()).as("the commit's warm lets it go").isZero();
        // Every key answers as the table's last writes say, still without a storage request.
        assertAnswers(table, compaction.output());
        assertThat(reads.totalRequests()).isZero();
    }

    /**
     * Each output is warmed as soon as it is written, before the round stages the next: a staging
     * bound that holds one output (here one page, 8 KiB) but not two still takes every output into
     * the cache without a storage request. A round that staged all its outputs before warming them
     * left the second one's page to its warm, which read it.
     */
    @Test
    void eachOutputIsWarmedBeforeTheNextIsStagedSoTheBoundNeedsToHoldOneOutputOnly()
            throws Exception {
        // A quarter of 48 KiB (12 KiB) for loads and staging: one output's page, not two.
        GenerationCache small =
                GenerationCache.builder(reads, allocator)
                        .warmOnOpen(false)
                        .maximumPageBytes(48 << 10)
                        .build();
        try {
            KilnTable table = tableOfThreeGenerations(2);
            List<Compaction> done;
            try (WriterCompaction compacting = compaction(table, small)) {
                compacting.poll(false);
                done = compacting.poll(true);
            }
            assertThat(done).hasSize(2);
            int pages = 0;
            for (Compaction compaction : done) {
                Path output = table.resolve(compaction.output().path());
                assertThat(small.warmGate().isWarm(output)).as("%s", output).isTrue();
                pages += small.open(output, compaction.output().sizeBytes()).get().pageCount();
            }
            assertThat(small.warmStorageReads()).isZero();
            assertThat(reads.totalRequests()).isZero();
            assertThat(small.writeThroughBytes()).isZero();
            assertThat(small.cachedPages()).isEqualTo(pages);
        } finally {
            small.close();
        }
    }

    /** The control: the same compaction without a cache hands nothing over. */
    @Test
    void withoutACacheNothingIsHandedOver() throws Exception {
        KilnTable table = tableOfThreeGenerations(1);
        try (WriterCompaction compacting = compaction(table, null)) {
            compacting.poll(false);
            List<Compaction> done = compacting.poll(true);
            assertThat(done).hasSize(1);
            assertThat(compacting.checksum(done.get(0))).isEqualTo(GenerationFile.NO_CHECKSUM);
        }
        assertThat(cache.writeThroughBytes()).isZero();
    }

    @Test
    void aFailedRoundLeavesNothingStaged() throws Exception {
        KilnTable table = tableOfThreeGenerations(2);
        // Bucket 0 compacts (and hands its output over) before bucket 1 finds an input lost.
        GenerationRef lost = table.latestManifest().newestFirst(1).get(0);
        Path lostFile = table.resolve(lost.path());
        assertThat(lostFile.getFileSystem().delete(lostFile, false)).isTrue();
        try (WriterCompaction compacting = compaction(table, cache)) {
            compacting.poll(false);
            assertThat(compacting.poll(true)).as("the round failed").isEmpty();
        }
        assertThat(cache.writeThroughBytes()).isZero();
        assertThat(reads.totalRequests()).isZero();
    }

    private WriterCompaction compaction(KilnTable table, GenerationCache cache) {
        return new WriterCompaction(
                table,
                ALL,
                b -> true,
                Executors.newSingleThreadExecutor(),
                cache,
                new UnregisteredMetricsGroup());
    }

    /** A table of {@code buckets} buckets, each with three generations of the events. */
    private KilnTable tableOfThreeGenerations(int buckets) throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), buckets);
        long third = EVENTS / 3;
        for (int i = 0; i < 3; i++) {
            List<GenerationRef> added = new ArrayList<>();
            for (int bucket = 0; bucket < buckets; bucket++) {
                added.add(SinkFixtures.writeGeneration(table, bucket, i * third, (i + 1) * third));
            }
            table.commit(new Commit("setup", i + 1, added, List.of()));
        }
        return table;
    }

    private void assertAnswers(KilnTable table, GenerationRef output) throws Exception {
        Map<Long, Long> last = new TreeMap<>();
        for (long i = 0; i < EVENTS; i++) {
            var event = SinkTestData.event(i);
            last.put(event.f0, event.f2 ? null : event.f1);
        }
        RowKeyExtractor keys = new RowKeyExtractor(SinkTestData.ROW_TYPE, SinkTestData.KEY);
        List<byte[]> probes = new ArrayList<>();
        List<Long> ids = new ArrayList<>(last.keySet());
        for (long id : ids) {
            probes.add(keys.key(SinkTestData.toRow(SinkTestData.event(id))));
        }
        List<LookupResult> answers =
                cache.lookupAll(table.resolve(output.path()), probes).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < ids.size(); i++) {
            Long value = last.get(ids.get(i));
            LookupResult answer = answers.get(i);
            if (value == null) {
                // The run starts at the bucket's oldest generation: its tombstones are gone.
                assertThat(answer.status())
                        .as("key %s", ids.get(i))
                        .isEqualTo(LookupResult.Status.ABSENT);
            } else {
                assertThat(answer.values().get(1)).as("key %s", ids.get(i)).isEqualTo(value);
            }
        }
    }
}
