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

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.GenerationWarmerFactory;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.metrics.groups.InternalSinkWriterMetricGroup;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Real tables and generations for the sink's operator tests. */
final class SinkFixtures {

    private SinkFixtures() {}

    /** Creates a table of {@link SinkTestData#ROW_TYPE} with {@code buckets} buckets. */
    static KilnTable createTable(Path root, int buckets) throws IOException {
        return KilnTable.create(
                root,
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(
                                        SinkTestData.ROW_TYPE, SinkTestData.KEY),
                                SinkTestData.KEY)
                        .bucketCount(buckets)
                        .build());
    }

    /** Writes a generation of events {@code [from, to)} that fall in {@code bucket}. */
    static GenerationRef writeGeneration(KilnTable table, int bucket, long from, long to)
            throws IOException {
        RowKeyExtractor keys = new RowKeyExtractor(SinkTestData.ROW_TYPE, SinkTestData.KEY);
        try (BufferAllocator allocator = new RootAllocator();
                RowDataMemtable memtable =
                        new RowDataMemtable(SinkTestData.ROW_TYPE, table.options(), allocator)) {
            for (long i = from; i < to; i++) {
                var row = SinkTestData.toRow(SinkTestData.event(i));
                if (keys.bucket(row, table.options().bucketCount()) == bucket) {
                    memtable.add(row);
                }
            }
            String path = table.newGenerationPath(bucket);
            return GenerationRef.of(path, bucket, memtable.flush(table.resolve(path)));
        }
    }

    /** Flink's sink writer metric group over an unregistered operator group. */
    static SinkWriterMetricGroup writerMetrics() {
        return InternalSinkWriterMetricGroup.wrap(
                UnregisteredMetricsGroup.createOperatorMetricGroup());
    }

    static CommittableWithLineage<WrittenGeneration> lineage(
            GenerationRef ref, long sequence, long checkpointId) {
        return new CommittableWithLineage<>(
                new WrittenGeneration(ref, sequence, 1000 + sequence), checkpointId, 0);
    }

    /** Sink settings over {@code table} with {@code warmers} and {@code deadline}. */
    static SinkSettings settings(
            KilnTable table, Duration deadline, List<GenerationWarmerFactory> warmers) {
        return new SinkSettings(
                table.root(),
                SinkTestData.ROW_TYPE,
                table.options(),
                KilnSink.DEFAULT_MEMTABLE_BYTES,
                true,
                true,
                warmers,
                deadline,
                2,
                CacheSettings.defaults(),
                "test",
                true,
                null,
                null,
                null);
    }
}
