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

package dev.kiln.flink.compat;

import dev.kiln.TemporaryDirectories;
import dev.kiln.flink.lookup.KilnLookup;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.KilnTable;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A savepoint taken on an older package layout of Kiln's Flink layers restores on the current one:
 * the fixture ({@link PreSplitSavepoint}, written before the layers were split by capability) holds
 * the state of a {@link KilnSink} (its pending committable and commit aggregator) and of a {@link
 * KilnLookup} async operator stopped at event 3,000 of {@link CompatJob}, and the table it wrote.
 * The job restored from it runs to its end and the table holds the last write of every key.
 */
class SavepointCompatibilityITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(CompatJob.clusterConfig(checkpoints()))
                            .build());

    @TempDir java.nio.file.Path dir;

    private static java.nio.file.Path checkpoints() {
        return TemporaryDirectories.create("kiln-compat-checkpoints");
    }

    @Test
    void aSavepointOfThePreSplitLayoutRestores() throws Exception {
        java.nio.file.Path fixture = Paths.get(getClass().getResource("/compat/pre-split").toURI());
        copy(fixture, dir);
        Path table = new Path(dir.resolve("table").toUri());
        long versionAtSavepoint = KilnTable.open(table).latestManifest().version();

        Configuration restore = new Configuration();
        restore.set(
                StateRecoveryOptions.SAVEPOINT_PATH, dir.resolve("savepoint").toUri().toString());
        CompatJob.firstIndex.set(Long.MAX_VALUE);
        CompatJob.stopAt = Long.MAX_VALUE;
        CompatJob.start(
                        StreamExecutionEnvironment.getExecutionEnvironment(restore),
                        table,
                        PreSplitSavepoint.EVENTS)
                .getJobExecutionResult()
                .get();

        assertThat(CompatJob.firstIndex.get())
                .as("the source resumed where the savepoint stopped it")
                .isGreaterThan(PreSplitSavepoint.STOP_AT - 1_000);
        assertThat(KilnTable.open(table).latestManifest().version())
                .isGreaterThan(versionAtSavepoint);
        assertLastWrites(table);
    }

    /** Asserts that key {@code k} holds the value of the last event of it: {@code 5000 + k}. */
    private static void assertLastWrites(Path tablePath) throws Exception {
        KilnTable table = KilnTable.open(tablePath);
        List<byte[]> keys = new ArrayList<>();
        for (long k = 0; k < CompatJob.KEYS; k++) {
            keys.add(table.options().keyCodec().encode(k));
        }
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (BufferAllocator allocator = new RootAllocator()) {
            List<LookupResult> results =
                    table.snapshot(GenerationLookup.direct(RangeReader.onFileSystem(io), allocator))
                            .lookupAll(keys)
                            .get();
            for (int k = 0; k < CompatJob.KEYS; k++) {
                assertThat(results.get(k).values())
                        .as("key %s", k)
                        .containsExactly((long) k, PreSplitSavepoint.EVENTS - CompatJob.KEYS + k);
            }
        } finally {
            io.shutdownNow();
        }
    }

    private static void copy(java.nio.file.Path from, java.nio.file.Path to) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(from)) {
            for (java.nio.file.Path file : (Iterable<java.nio.file.Path>) files::iterator) {
                java.nio.file.Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
