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

import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.lookup.KilnLookup;
import dev.kiln.flink.sink.KilnSink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The job of the savepoint-compatibility test: events {@code [0, n)} (key {@code i mod 1000}, value
 * {@code i}) written by a {@link KilnSink} and looked up by a {@link KilnLookup} async function,
 * every operator with a uid. {@link PreSplitSavepoint} took a savepoint of it on the package layout
 * before the Flink layers were split by capability; {@code SavepointCompatibilityITCase} restores
 * it on the current one.
 */
final class CompatJob {

    static final int KEYS = 1_000;

    static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.BIGINT()))
                            .getLogicalType();

    /** Counted down when the source generates event {@link #stopAt}. */
    static volatile CountDownLatch reached = new CountDownLatch(1);

    static volatile long stopAt = Long.MAX_VALUE;

    /** The lowest event index the source generated since it was last reset. */
    static final AtomicLong firstIndex = new AtomicLong(Long.MAX_VALUE);

    private CompatJob() {}

    /** The cluster's configuration: RocksDB, checkpoints in {@code checkpoints}. */
    static Configuration clusterConfig(java.nio.file.Path checkpoints) {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        return config;
    }

    /** Starts the job on {@code env} over the table at {@code table}. */
    static JobClient start(StreamExecutionEnvironment env, Path table, long n) throws Exception {
        env.setParallelism(2);
        env.enableCheckpointing(100);
        DataGeneratorSource<Long> source =
                new DataGeneratorSource<>(
                        index -> {
                            firstIndex.accumulateAndGet(index, Math::min);
                            if (index == stopAt) {
                                reached.countDown();
                            }
                            return index;
                        },
                        n,
                        RateLimiterStrategy.perCheckpoint(200),
                        Types.LONG);
        DataStream<Long> events =
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "events")
                        .uid("events")
                        .setParallelism(1);
        events.sinkTo(
                        KilnSink.forType(table, ROW_TYPE, List.of("id"), new ToRow())
                                .bucketCount(4)
                                .build())
                .uid("kiln-sink");
        KilnLookup.KeyFunction<Long> keyOf = event -> event % KEYS;
        AsyncDataStream.orderedWait(
                        KilnLookup.partitionByBucket(events, keyOf, table),
                        KilnLookup.builder(table)
                                .partitionedByBucket()
                                .keyOf(keyOf)
                                .build(
                                        (event, row) -> row == null ? -1L : row.getLong(1),
                                        Types.LONG),
                        30,
                        TimeUnit.SECONDS,
                        100)
                .uid("kiln-lookup")
                .sinkTo(new DiscardingSink<>())
                .uid("discard");
        return env.executeAsync("savepoint compatibility");
    }

    private static final class ToRow implements RowDataConverter<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(Long event) {
            return GenericRowData.of(event % KEYS, event);
        }
    }
}
