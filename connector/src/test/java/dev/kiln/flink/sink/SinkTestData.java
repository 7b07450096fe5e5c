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

import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sink ITCases' data: event {@code i} writes key {@code i mod KEYS}, deleting it when {@code i
 * mod 11 == 3} and upserting value {@code i} otherwise, so the table after events {@code [0, n)} is
 * known exactly (the last event of each key); and the checks every ITCase makes.
 */
public final class SinkTestData {

    public static final int KEYS = 500;

    public static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.BIGINT()),
                                    DataTypes.FIELD("s", DataTypes.STRING()))
                            .getLogicalType();

    public static final List<String> KEY = List.of("id");

    private SinkTestData() {}

    /** (key, value, delete). */
    public static Tuple3<Long, Long, Boolean> event(long i) {
        return Tuple3.of(i % KEYS, i, i % 11 == 3);
    }

    static RowData toRow(Tuple3<Long, Long, Boolean> event) {
        return GenericRowData.ofKind(
                event.f2 ? RowKind.DELETE : RowKind.INSERT,
                event.f0,
                event.f1,
                StringData.fromString("v" + event.f1));
    }

    /** The converter of the ITCases' sinks. */
    public static final class Converter implements RowDataConverter<Tuple3<Long, Long, Boolean>> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(Tuple3<Long, Long, Boolean> event) {
            return toRow(event);
        }
    }

    /**
     * A bounded stream of events {@code [from, to)} that emits {@code perCheckpoint} of them per
     * completed checkpoint, so a bounded job spans many checkpoints.
     */
    public static DataStream<Tuple3<Long, Long, Boolean>> events(
            StreamExecutionEnvironment env,
            long from,
            long to,
            int perCheckpoint,
            GeneratorFunction<Long, Tuple3<Long, Long, Boolean>> generator) {
        DataGeneratorSource<Tuple3<Long, Long, Boolean>> source =
                new DataGeneratorSource<>(
                        generator,
                        to - from,
                        RateLimiterStrategy.perCheckpoint(perCheckpoint),
                        Types.TUPLE(Types.LONG, Types.LONG, Types.BOOLEAN));
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "events")
                .uid("events")
                .setParallelism(1);
    }

    /** Events from {@code from}, shifted: the generator gets indexes from 0. */
    public static GeneratorFunction<Long, Tuple3<Long, Long, Boolean>> from(long from) {
        return index -> event(from + index);
    }

    /** The cluster's configuration: RocksDB, file checkpoints, quick restarts. */
    static Configuration clusterConfig(java.nio.file.Path checkpoints) {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
        config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ZERO);
        return config;
    }

    /**
     * Asserts that the table holds exactly the last write of each key among events {@code [0, n)}
     * (and nothing for keys deleted last), and that no generation was ever added twice.
     */
    static void assertTableHoldsLastWrites(Path tablePath, long n) throws Exception {
        assertTableHoldsLastWrites(tablePath, n, SinkTestData::event);
    }

    /** As {@link #assertTableHoldsLastWrites(Path, long)}, for events made by {@code events}. */
    static void assertTableHoldsLastWrites(
            Path tablePath, long n, LongFunction<Tuple3<Long, Long, Boolean>> events)
            throws Exception {
        assertNoGenerationAddedTwice(KilnTable.open(tablePath));
        assertLatestVersionHoldsLastWrites(tablePath, n, events);
    }

    /**
     * Asserts that the latest version holds exactly the last write of each key among events {@code
     * [0, n)} made by {@code events} (and nothing for keys deleted last); the history of versions
     * is not read (older versions may have expired).
     */
    static void assertLatestVersionHoldsLastWrites(
            Path tablePath, long n, LongFunction<Tuple3<Long, Long, Boolean>> events)
            throws Exception {
        KilnTable table = KilnTable.open(tablePath);
        Map<Long, Long> expected = new HashMap<>();
        Set<Long> deleted = new HashSet<>();
        for (long i = 0; i < n; i++) {
            Tuple3<Long, Long, Boolean> event = events.apply(i);
            if (event.f2) {
                expected.remove(event.f0);
                deleted.add(event.f0);
            } else {
                expected.put(event.f0, event.f1);
                deleted.remove(event.f0);
            }
        }
        ExecutorService io = Executors.newFixedThreadPool(4);
        try (BufferAllocator allocator = new RootAllocator()) {
            List<byte[]> keys = new ArrayList<>();
            for (long k = 0; k < KEYS; k++) {
                keys.add(table.options().keyCodec().encode(k));
            }
            List<LookupResult> results =
                    table.snapshot(GenerationLookup.direct(RangeReader.onFileSystem(io), allocator))
                            .lookupAll(keys)
                            .get();
            for (int k = 0; k < KEYS; k++) {
                LookupResult result = results.get(k);
                Long value = expected.get((long) k);
                if (value == null) {
                    assertThat(result.status())
                            .as("key %s (deleted: %s)", k, deleted.contains((long) k))
                            .isEqualTo(LookupResult.Status.ABSENT);
                } else {
                    assertThat(result.status())
                            .as("key %s", k)
                            .isEqualTo(LookupResult.Status.FOUND);
                    assertThat(result.values().get(1)).as("value of key %s", k).isEqualTo(value);
                }
            }
        } finally {
            io.shutdownNow();
        }
    }

    /** Returns the value column of keys {@code [0, keys)} in the latest version (absent: none). */
    static Map<Long, Long> latestValues(Path tablePath, int keys) throws Exception {
        KilnTable table = KilnTable.open(tablePath);
        List<byte[]> encoded = new ArrayList<>();
        for (long k = 0; k < keys; k++) {
            encoded.add(table.options().keyCodec().encode(k));
        }
        ExecutorService io = Executors.newFixedThreadPool(4);
        try (BufferAllocator allocator = new RootAllocator()) {
            List<LookupResult> results =
                    table.snapshot(GenerationLookup.direct(RangeReader.onFileSystem(io), allocator))
                            .lookupAll(encoded)
                            .get();
            Map<Long, Long> values = new HashMap<>();
            for (int k = 0; k < keys; k++) {
                if (results.get(k).status() == LookupResult.Status.FOUND) {
                    values.put((long) k, (Long) results.get(k).values().get(1));
                }
            }
            return values;
        } finally {
            io.shutdownNow();
        }
    }

    /** Asserts that no manifest version adds a generation an earlier version already had. */
    static void assertNoGenerationAddedTwice(KilnTable table) throws IOException {
        Manifest latest = table.latestManifest();
        Set<String> seen = new HashSet<>();
        Set<String> previous = new HashSet<>();
        for (long v = 1; v <= latest.version(); v++) {
            Set<String> current = new HashSet<>();
            for (GenerationRef ref : table.manifest(v).generations()) {
                current.add(ref.path());
                if (!previous.contains(ref.path())) {
                    assertThat(seen.add(ref.path()))
                            .as("version %s adds %s again", v, ref.path())
                            .isTrue();
                }
            }
            previous = current;
        }
    }

    /** Returns the version that first lists each generation. */
    static Map<String, Long> firstVersions(KilnTable table) throws IOException {
        Map<String, Long> first = new HashMap<>();
        long latest = table.latestManifest().version();
        for (long v = 1; v <= latest; v++) {
            for (GenerationRef ref : table.manifest(v).generations()) {
                first.putIfAbsent(ref.path(), v);
            }
        }
        return first;
    }
}
