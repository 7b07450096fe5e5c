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

import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.table.KilnTable;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.RowData;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer with write-through warms each generation it flushes in the TaskManager's shared cache as
 * soon as it is written, before the warm step asks: the warm step then finds it warm, and nothing
 * is read from storage. A real table, the real registry's cache (its storage requests counted by
 * the lease), and the registry's check that no cache stays open.
 */
class FlushWarmerTest {

    private static final int BUCKETS = 3;
    private static final long EVENTS = 600;

    @TempDir java.nio.file.Path dir;

    @AfterEach
    void noCacheLeaks() {
        assertThat(KilnCacheRegistry.instance().openCaches()).isZero();
    }

    @Test
    void eachFlushedGenerationIsWarmBeforeTheWarmStepAsksWithoutAStorageRequest() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), BUCKETS);
        try (KilnCacheRegistry.Lease own =
                KilnCacheRegistry.instance().acquire(table.root(), CacheSettings.defaults())) {
            GenerationCache cache = own.cache();
            List<WrittenGeneration> written = new ArrayList<>();
            try (KilnSinkWriter<RowData> writer =
                    writer(
                            table,
                            KilnCacheRegistry.instance()
                                    .acquire(table.root(), CacheSettings.defaults()))) {
                // Two checkpoints, the first with flushes past the size bound too.
                for (int checkpoint = 0; checkpoint < 2; checkpoint++) {
                    for (long i = 0; i < EVENTS; i++) {
                        writer.write(
                                SinkTestData.toRow(SinkTestData.event(checkpoint * EVENTS + i)),
                                null);
                    }
                    written.addAll(writer.prepareCommit());
                }
                writer.flushWarmsSettled().get(30, TimeUnit.SECONDS);
            }
            assertThat(written).hasSizeGreaterThan(2 * BUCKETS);

            // No warm step has asked yet: the writer's warms took every page handed over.
            for (WrittenGeneration g : written) {
                assertThat(cache.warmGate().isWarm(table.resolve(g.generation().path())))
                        .as("%s", g.generation().path())
                        .isTrue();
            }
            assertThat(cache.writeThroughBytes()).isZero();
            assertThat(cache.cachedPages()).isPositive();
            assertThat(cache.heldForCommitBytes()).as("held for the warm step").isPositive();

            // The warm step's requests, naming the same files: nothing left to do there.
            for (WrittenGeneration g : written) {
                GenerationFile file =
                        GenerationFile.of(table, g.generation()).withChecksum(g.checksum());
                assertThat(cache.warmGate().warm(file).get(30, TimeUnit.SECONDS))
                        .isEqualTo(WarmOutcome.ALREADY_WARM);
            }
            assertThat(cache.heldForCommitBytes()).as("let go by those requests").isZero();
            assertThat(cache.warmStorageReads()).isZero();
            assertThat(own.storageRequests()).isZero();
        }
    }

    /** Without write-through (no lease), a writer warms nothing. */
    @Test
    void withoutWriteThroughNothingIsWarmed() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), BUCKETS);
        try (KilnCacheRegistry.Lease own =
                KilnCacheRegistry.instance().acquire(table.root(), CacheSettings.defaults())) {
            List<WrittenGeneration> written;
            try (KilnSinkWriter<RowData> writer = writer(table, null)) {
                for (long i = 0; i < EVENTS; i++) {
                    writer.write(SinkTestData.toRow(SinkTestData.event(i)), null);
                }
                written = new ArrayList<>(writer.prepareCommit());
                writer.flushWarmsSettled().get(30, TimeUnit.SECONDS);
            }
            assertThat(written).isNotEmpty();
            for (WrittenGeneration g : written) {
                assertThat(own.cache().warmGate().isWarm(table.resolve(g.generation().path())))
                        .isFalse();
            }
        }
    }

    /** A writer flushing past 4 KB, with its own lease on the shared cache as KilnSink gives it. */
    private static KilnSinkWriter<RowData> writer(
            KilnTable table, @Nullable KilnCacheRegistry.Lease lease) {
        return new KilnSinkWriter<>(
                table,
                table.options(),
                SinkTestData.ROW_TYPE,
                row -> row,
                4_000,
                null,
                lease,
                SinkFixtures.writerMetrics());
    }
}
