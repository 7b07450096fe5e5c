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

package dev.kiln.flink.source;

import dev.kiln.TemporaryDirectories;
import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.io.RangeReader;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.testframe.environment.MiniClusterTestEnvironment;
import org.apache.flink.connector.testframe.external.ExternalContextFactory;
import org.apache.flink.connector.testframe.external.ExternalSystemDataReader;
import org.apache.flink.connector.testframe.external.sink.DataStreamSinkV2ExternalContext;
import org.apache.flink.connector.testframe.external.sink.TestingSinkSettings;
import org.apache.flink.connector.testframe.junit.annotations.TestContext;
import org.apache.flink.connector.testframe.junit.annotations.TestEnv;
import org.apache.flink.connector.testframe.junit.annotations.TestSemantics;
import org.apache.flink.connector.testframe.testsuites.SinkTestSuiteBase;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Flink's connector testing framework's sink suite ({@link SinkTestSuiteBase}: a basic job,
 * restarts from a savepoint at the same, a higher and a lower parallelism, and the standard sink
 * metrics) run against {@link KilnSink}, exactly once, on RocksDB. Each record is a key of its own;
 * the suite's reader reads the table's latest version back with the scan's newest-first merge
 * ({@link BucketMerge}, which is why this sink test lives in this package).
 */
class KilnSinkTestSuiteITCase extends SinkTestSuiteBase<String> {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.STRING().notNull()),
                                    DataTypes.FIELD("length", DataTypes.BIGINT()))
                            .getLogicalType();

    private static final AtomicInteger TABLES = new AtomicInteger();

    @TestEnv
    MiniClusterTestEnvironment flink =
            new MiniClusterTestEnvironment(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(6)
                            .setConfiguration(rocksDb())
                            .build());

    @TestContext
    ExternalContextFactory<KilnSinkContext> kiln = testName -> new KilnSinkContext(newTableDir());

    @TestSemantics CheckpointingMode[] semantics = {CheckpointingMode.EXACTLY_ONCE};

    private static Configuration rocksDb() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        return config;
    }

    private static java.nio.file.Path newTableDir() {
        return TemporaryDirectories.create("kiln-sink-suite-" + TABLES.incrementAndGet())
                .resolve("table");
    }

    /** A Kiln table in a directory of its own per test case; records are its keys. */
    private static final class KilnSinkContext implements DataStreamSinkV2ExternalContext<String> {

        private final Path tablePath;
        private long generated;

        KilnSinkContext(java.nio.file.Path dir) {
            this.tablePath = new Path(dir.toUri());
        }

        @Override
        public Sink<String> createSink(TestingSinkSettings settings) {
            return KilnSink.forType(tablePath, ROW_TYPE, List.of("id"), new KeyAndLength())
                    .bucketCount(4)
                    .build();
        }

        @Override
        public ExternalSystemDataReader<String> createSinkDataReader(TestingSinkSettings settings) {
            return new LatestVersionReader(tablePath);
        }

        /**
         * Distinct keys, among them the empty string, one of non-ASCII characters and one of 1,000
         * characters.
         */
        @Override
        public List<String> generateTestData(TestingSinkSettings settings, long seed) {
            Random random = new Random(seed);
            Set<String> keys = new LinkedHashSet<>();
            if (generated++ == 0) {
                keys.add("");
                keys.add("ключ-鍵-🔑");
                keys.add("x".repeat(1_000));
            }
            int count = 200 + random.nextInt(300);
            while (keys.size() < count) {
                keys.add(seed + "-" + Long.toHexString(random.nextLong()));
            }
            return new ArrayList<>(keys);
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }

        @Override
        public List<URL> getConnectorJarPaths() {
            return List.of();
        }

        @Override
        public void close() {}
    }

    private static final class KeyAndLength implements RowDataConverter<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(String key) {
            return GenericRowData.of(StringData.fromString(key), (long) key.length());
        }
    }

    /** Returns the keys of the latest version it has not returned before. */
    private static final class LatestVersionReader implements ExternalSystemDataReader<String> {

        private final Path tablePath;
        private final Set<String> returned = new HashSet<>();
        private final ExecutorService io = Executors.newFixedThreadPool(2);
        private final BufferAllocator allocator = new RootAllocator();

        LatestVersionReader(Path tablePath) {
            this.tablePath = tablePath;
        }

        @Override
        public List<String> poll(Duration timeout) {
            List<String> fresh = new ArrayList<>();
            try {
                if (!tablePath.getFileSystem().exists(tablePath)) {
                    return fresh;
                }
                KilnTable table = KilnTable.open(tablePath);
                Manifest latest = table.latestManifest();
                for (int bucket = 0; bucket < table.options().bucketCount(); bucket++) {
                    try (BucketMerge merge =
                            new BucketMerge(
                                    table,
                                    latest,
                                    bucket,
                                    RangeReader.onFileSystem(io),
                                    allocator,
                                    new int[] {0, 1})) {
                        for (List<Object> row = merge.next(); row != null; row = merge.next()) {
                            String key = row.get(0).toString();
                            if (((Long) row.get(1)) != key.length()) {
                                throw new AssertionError("row " + row + " holds another length");
                            }
                            if (returned.add(key)) {
                                fresh.add(key);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return fresh;
        }

        @Override
        public void close() {
            io.shutdownNow();
            allocator.close();
        }
    }
}
