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

import dev.kiln.table.KilnTable;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Test-only bridge for the benchmarks (another package): drives a {@link KilnSourceReader} on the
 * caller's thread, with every bucket of a table as one of its splits, as a source reader of
 * parallelism 1 would be driven by its task, but without Flink's task around it. Not thread-safe.
 */
@Internal
public final class KilnSourceReaderDriver implements AutoCloseable {

    private final KilnSourceReader reader;
    private final Output output = new Output();

    private KilnSourceReaderDriver(Path tablePath, RowType rowType, boolean bounded) {
        this.reader =
                new KilnSourceReader(
                        new Context(),
                        new SourceSettings(
                                tablePath,
                                StartingPosition.fullThenFollow(),
                                false,
                                BucketSplit.NO_STOP,
                                KilnSource.DEFAULT_POLL_INTERVAL,
                                OnVersionExpired.FAIL,
                                options -> {},
                                bounded),
                        rowType,
                        IntStream.range(0, rowType.getFieldCount()).toArray());
        reader.start();
    }

    /**
     * A reader of the full snapshot of {@code version} of every bucket ({@code +I}), ending there.
     */
    public static KilnSourceReaderDriver snapshot(KilnTable table, RowType rowType, long version) {
        KilnSourceReaderDriver driver = new KilnSourceReaderDriver(table.root(), rowType, true);
        driver.reader.addSplits(splits(table, version, true, version));
        driver.reader.notifyNoMoreSplits();
        return driver;
    }

    /**
     * A reader following every bucket from after version {@code after} (its changes not read), told
     * that {@code latest} is the latest version: it reads the changes of versions {@code after + 1}
     * to {@code latest}, then has nothing more available.
     */
    public static KilnSourceReaderDriver follow(
            KilnTable table, RowType rowType, long after, long latest) {
        KilnSourceReaderDriver driver = new KilnSourceReaderDriver(table.root(), rowType, false);
        driver.reader.addSplits(splits(table, after, false, BucketSplit.NO_STOP));
        driver.reader.handleSourceEvents(new LatestVersionEvent(latest));
        return driver;
    }

    private static List<BucketSplit> splits(
            KilnTable table, long version, boolean snapshot, long stop) {
        List<BucketSplit> splits = new ArrayList<>();
        for (int b = 0; b < table.options().bucketCount(); b++) {
            splits.add(new BucketSplit(b, version, snapshot, 0, stop, table.tableId()));
        }
        return splits;
    }

    /**
     * Polls the reader until it has nothing more available (or its input ended), passing each row
     * to {@code sink}; returns the rows emitted.
     */
    public long drain(Consumer<RowData> sink) throws Exception {
        output.sink = sink;
        output.rows = 0;
        InputStatus status;
        do {
            status = reader.pollNext(output);
        } while (status == InputStatus.MORE_AVAILABLE);
        return output.rows;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    private static final class Context implements SourceReaderContext {

        private final SourceReaderMetricGroup metrics =
                UnregisteredMetricsGroup.createSourceReaderMetricGroup();

        @Override
        public SourceReaderMetricGroup metricGroup() {
            return metrics;
        }

        @Override
        public Configuration getConfiguration() {
            return new Configuration();
        }

        @Override
        public String getLocalHostName() {
            return "localhost";
        }

        @Override
        public int getIndexOfSubtask() {
            return 0;
        }

        @Override
        public void sendSplitRequest() {}

        @Override
        public void sendSourceEventToCoordinator(SourceEvent sourceEvent) {}

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
        }
    }

    private static final class Output implements ReaderOutput<RowData> {
        Consumer<RowData> sink;
        long rows;

        @Override
        public void collect(RowData record) {
            rows++;
            sink.accept(record);
        }

        @Override
        public void collect(RowData record, long timestamp) {
            collect(record);
        }

        @Override
        public void emitWatermark(Watermark watermark) {}

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        @Override
        public SourceOutput<RowData> createOutputForSplit(String splitId) {
            return this;
        }

        @Override
        public void releaseOutputForSplit(String splitId) {}
    }
}
