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

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.format.KeyCodec;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.testframe.environment.MiniClusterTestEnvironment;
import org.apache.flink.connector.testframe.external.ExternalContextFactory;
import org.apache.flink.connector.testframe.external.ExternalSystemSplitDataWriter;
import org.apache.flink.connector.testframe.external.source.DataStreamSourceExternalContext;
import org.apache.flink.connector.testframe.external.source.TestingSourceSettings;
import org.apache.flink.connector.testframe.junit.annotations.TestContext;
import org.apache.flink.connector.testframe.junit.annotations.TestEnv;
import org.apache.flink.connector.testframe.junit.annotations.TestSemantics;
import org.apache.flink.connector.testframe.testsuites.SourceTestSuiteBase;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.FileUtils;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Flink's connector testing framework's source suite ({@link SourceTestSuiteBase}: one split, many
 * splits, an idle reader, restarts from a savepoint at the same, a higher and a lower parallelism,
 * the {@code numRecordsIn} metric and a TaskManager failure; bounded and unbounded) run against
 * {@link KilnSource} reading {@link StartingPosition#fullThenFollow()}, exactly once, on RocksDB.
 *
 * <p>The external system: one Kiln table per test case, in a temporary directory of its own,
 * created up front with {@value #BUCKETS} buckets, as many as the most splits a suite test writes
 * (so the idle-reader test, at parallelism 5, has a reader without a split). A split is a bucket:
 * the i-th split writer the suite asks for writes bucket i, and {@code generateTestData(settings,
 * i, seed)} makes rows whose keys hash into bucket i. Each {@code writeRecords} call writes its
 * batch as one generation of that bucket and commits it as a version of its own.
 *
 * <p>What the source emits, and so what the suite expects, per split in order: the rows of the
 * bucket's full snapshot in key order, then per later version the newest row of each key it added,
 * in key order. So each batch comes back in encoded-key order ({@link KeyCodec#compare}), which is
 * the order {@code generateTestData} returns it in. The {@link RowKind} is part of the expected
 * record (the suite compares with {@code equals}, and the records it collects are {@link
 * org.apache.flink.table.data.binary.BinaryRowData} made by the produced type's serializer, whose
 * bytes hold the kind; the expected rows are made the same way). A batch written before the job
 * first starts is in the full snapshot and comes out as {@code +I}; a batch written later (while
 * the job runs, or between a stop-with-savepoint and the restore, which follows on from the
 * savepoint) is a version's change and comes out as {@code +U}. In every suite test a split's first
 * batch is written before the job starts and every later one after, and the suite generates a batch
 * right before writing it with the same split index (in some tests before it asks for the writer),
 * so the context tracks per split index whether it has generated that split's first batch: the
 * first batch is {@code +I}, later ones {@code +U}. A later batch also deletes two keys an earlier
 * batch of its split wrote, which come out as {@code -D} with only the key columns set.
 *
 * <p>Rows hold legal values easy to lose on the way: NaN, infinity and {@code -0.0} in a DOUBLE
 * column, NULL and the empty string in a nullable STRING column, the empty string and non-ASCII
 * text in a string key column. Pages are small, so a split's unit spans pages.
 *
 * <p>A record that does not match fails a bounded test at once; in an unbounded test the suite then
 * waits for the end of the stream to print it, so such a failure shows as the timeout.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KilnSourceTestSuiteITCase extends SourceTestSuiteBase<RowData> {

    private static final int BUCKETS = 4;

    private static final List<String> KEY = List.of("id", "tag");

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("tag", DataTypes.STRING().notNull()),
                                    DataTypes.FIELD("score", DataTypes.DOUBLE()),
                                    DataTypes.FIELD("note", DataTypes.STRING()))
                            .notNull()
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
    ExternalContextFactory<KilnSourceContext> kiln = testName -> new KilnSourceContext();

    @TestSemantics CheckpointingMode[] semantics = {CheckpointingMode.EXACTLY_ONCE};

    private static Configuration rocksDb() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        // The metrics test polls the REST API until numRecordsIn adds up; fetch every 10 s (the
        // default) would make it wait that long.
        config.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofMillis(200));
        return config;
    }

    /** A Kiln table of {@value #BUCKETS} buckets in a directory of its own; a split is a bucket. */
    private static final class KilnSourceContext
            implements DataStreamSourceExternalContext<RowData> {

        private final java.nio.file.Path dir;
        private final Path tablePath;
        private final KilnTable table;
        private final RowType producedType;
        private final RowDataSerializer serializer;
        private final RowKeyExtractor keys = new RowKeyExtractor(ROW_TYPE, KEY);
        private final AtomicInteger writers = new AtomicInteger();
        private final AtomicLong commits = new AtomicLong();
        private final Set<Integer> firstBatchGenerated = new HashSet<>();
        private final Set<String> usedKeys = new HashSet<>();
        private final Map<Integer, List<RowData>> liveRows = new HashMap<>();

        KilnSourceContext() {
            try {
                dir = Files.createTempDirectory("kiln-source-suite-" + TABLES.incrementAndGet());
                tablePath = new Path(dir.resolve("table").toUri());
                table =
                        KilnTable.create(
                                tablePath,
                                FlinkArrowTypes.tableOptions(ROW_TYPE, KEY)
                                        .bucketCount(BUCKETS)
                                        .targetPageBytes(256)
                                        .build());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            producedType = FlinkArrowTypes.rowType(table.options());
            serializer = new RowDataSerializer(producedType);
        }

        @Override
        public Source<RowData, ?, ?> createSource(TestingSourceSettings settings) {
            KilnSource.Builder builder =
                    KilnSource.builder(tablePath)
                            .startingFrom(StartingPosition.fullThenFollow())
                            .pollInterval(Duration.ofMillis(100));
            if (settings.getBoundedness() == Boundedness.BOUNDED) {
                builder.stoppingAtLatest();
            }
            return builder.build();
        }

        @Override
        public ExternalSystemSplitDataWriter<RowData> createSourceSplitDataWriter(
                TestingSourceSettings settings) {
            int bucket = writers.getAndIncrement();
            if (bucket >= BUCKETS) {
                throw new IllegalStateException(
                        "the table has " + BUCKETS + " buckets, a split each; asked for another");
            }
            return new BucketWriter(bucket);
        }

        /**
         * The next batch of split {@code splitIndex}, as the source emits it: distinct new keys of
         * bucket {@code splitIndex} in key order, {@code +I} if it is the split's first batch, else
         * {@code +U} rows and two {@code -D} of keys written before.
         */
        @Override
        public List<RowData> generateTestData(
                TestingSourceSettings settings, int splitIndex, long seed) {
            Random random = new Random(seed);
            boolean first = firstBatchGenerated.add(splitIndex);
            RowKind kind = first ? RowKind.INSERT : RowKind.UPDATE_AFTER;
            List<RowData> live = liveRows.computeIfAbsent(splitIndex, s -> new ArrayList<>());
            List<RowData> batch = new ArrayList<>();
            if (!first) {
                for (int d = 0; d < 2 && !live.isEmpty(); d++) {
                    RowData gone = live.remove(random.nextInt(live.size()));
                    batch.add(
                            GenericRowData.ofKind(
                                    RowKind.DELETE,
                                    gone.getLong(0),
                                    gone.getString(1),
                                    null,
                                    null));
                }
            }
            int count = 20 + random.nextInt(40);
            for (int i = 0; i < count; i++) {
                GenericRowData row = newRow(random, splitIndex, i, kind);
                batch.add(row);
                live.add(row);
            }
            batch.sort(Comparator.comparing(keys::key, KeyCodec::compare));
            List<RowData> expected = new ArrayList<>(batch.size());
            for (RowData row : batch) {
                expected.add(serializer.toBinaryRow(row).copy());
            }
            return expected;
        }

        /** A row of a new key in {@code bucket}; the first few hold the odd values. */
        private GenericRowData newRow(Random random, int bucket, int i, RowKind kind) {
            String[] tags = {"", "a", "ключ-鍵", "x".repeat(40)};
            double[] scores = {Double.NaN, -0.0, Double.POSITIVE_INFINITY, Double.MIN_VALUE};
            while (true) {
                long id = random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(10_000);
                String tag = tags[random.nextInt(tags.length)];
                GenericRowData row =
                        GenericRowData.ofKind(
                                kind,
                                id,
                                StringData.fromString(tag),
                                i < scores.length ? scores[i] : random.nextDouble() * 1e6 - 5e5,
                                i == 1
                                        ? null
                                        : StringData.fromString(
                                                i == 2 ? "" : "note-" + random.nextInt()));
                byte[] key = keys.key(row);
                if (table.options().bucketOf(key) == bucket && usedKeys.add(id + "/" + tag)) {
                    return row;
                }
            }
        }

        @Override
        public TypeInformation<RowData> getProducedType() {
            return InternalTypeInfo.of(producedType);
        }

        @Override
        public List<URL> getConnectorJarPaths() {
            return List.of();
        }

        @Override
        public void close() throws IOException {
            FileUtils.deleteDirectory(dir.toFile());
        }

        /** Writes each batch as one generation of its bucket, committed as a version. */
        private final class BucketWriter implements ExternalSystemSplitDataWriter<RowData> {

            private final int bucket;

            BucketWriter(int bucket) {
                this.bucket = bucket;
            }

            @Override
            public void writeRecords(List<RowData> records) {
                if (records.isEmpty()) {
                    return;
                }
                try (BufferAllocator allocator = new RootAllocator();
                        RowDataMemtable memtable =
                                new RowDataMemtable(ROW_TYPE, table.options(), allocator)) {
                    for (RowData row : records) {
                        int rowBucket = table.options().bucketOf(keys.key(row));
                        if (rowBucket != bucket) {
                            throw new IllegalArgumentException(
                                    "the writer of bucket "
                                            + bucket
                                            + " got a row of bucket "
                                            + rowBucket);
                        }
                        memtable.add(row);
                    }
                    String relative = table.newGenerationPath(bucket);
                    GenerationRef generation =
                            GenerationRef.of(
                                    relative, bucket, memtable.flush(table.resolve(relative)));
                    table.commit(
                            new Commit(
                                    "kiln-source-suite",
                                    commits.incrementAndGet(),
                                    List.of(generation),
                                    List.of()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void close() {}
        }
    }
}
