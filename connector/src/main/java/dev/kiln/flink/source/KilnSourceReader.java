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

import dev.kiln.flink.data.RowDataReader;
import dev.kiln.flink.runtime.KilnMemory;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.VersionExpiredException;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reader of a {@link KilnSource}: emits its splits' buckets, one unit at a time (a bucket's
 * full snapshot, or its changes in one version), round robin over its splits, up to the latest
 * version its enumerator announced (or the split's stop version).
 *
 * <p>A unit is a newest-first merge of generations ({@link BucketMerge}): for a snapshot, the live
 * rows of every generation of the bucket ({@code +I}); for a version's changes, the newest row of
 * each key the version's added generations hold ({@code +U}, or {@code -D} with only the key's
 * columns set). Its output is deterministic, so a split restored with {@code rowsEmitted} rows of a
 * unit emitted skips that many.
 *
 * <p>Threading: every method runs on the task thread, which also reads storage (one page per
 * generation of the current unit at a time). Its gauges are read from Flink's metric thread.
 */
final class KilnSourceReader implements SourceReader<RowData, BucketSplit> {

    private static final Logger LOG = LoggerFactory.getLogger(KilnSourceReader.class);

    static final String METRIC_GROUP = "kiln";

    private final SourceReaderContext context;
    private final SourceSettings settings;
    private final int[] columns;
    private final RowDataReader rows;
    private final TreeMap<Integer, BucketSplit> splits = new TreeMap<>();
    private final TreeMap<Long, Manifest> manifests = new TreeMap<>();
    private final BufferAllocator allocator =
            KilnMemory.newAllocator("kiln-source", Long.MAX_VALUE);
    private final RangeReader io = RangeReader.onFileSystem(Runnable::run);

    @Nullable private KilnTable table;
    private boolean[] keyColumns;
    private long latestKnown = -1;
    private boolean noMoreSplits;
    private CompletableFuture<Void> available = new CompletableFuture<>();
    private int nextBucket;

    /** The unit being emitted: its split (as it was when the unit opened) and its merge. */
    @Nullable private BucketSplit current;

    @Nullable private BucketMerge merge;
    private long unitRows;

    private final Metrics metrics;

    KilnSourceReader(
            SourceReaderContext context,
            SourceSettings settings,
            RowType producedType,
            int[] columns) {
        this.context = context;
        this.settings = settings;
        this.columns = columns.clone();
        this.rows = new RowDataReader(producedType);
        this.metrics = new Metrics(context.metricGroup());
    }

    @Override
    public void start() {}

    @Override
    public InputStatus pollNext(ReaderOutput<RowData> output) throws Exception {
        if (merge == null && !openNextUnit()) {
            metrics.caughtUp();
            if (noMoreSplits && splits.isEmpty()) {
                return InputStatus.END_OF_INPUT;
            }
            available = new CompletableFuture<>();
            return InputStatus.NOTHING_AVAILABLE;
        }
        List<Object> values;
        try {
            values = nextRow(current);
        } catch (VersionExpiredException expired) {
            rereadOrThrow(current, expired);
            return InputStatus.MORE_AVAILABLE;
        }
        if (values == null) {
            finishUnit();
            return InputStatus.MORE_AVAILABLE;
        }
        RowData row;
        if (current.snapshot()) {
            row = rows.read(values);
            metrics.snapshotRows.inc();
        } else if (merge.deleted()) {
            row = rows.read(keyOnly(values));
            row.setRowKind(RowKind.DELETE);
            metrics.deletes.inc();
        } else {
            row = rows.read(values);
            row.setRowKind(RowKind.UPDATE_AFTER);
            metrics.upserts.inc();
        }
        unitRows++;
        metrics.numRecordsIn.inc();
        output.collect(row);
        return InputStatus.MORE_AVAILABLE;
    }

    /** The next row of the current unit (live rows only in a snapshot), or null at its end. */
    @Nullable
    private List<Object> nextRow(BucketSplit split) throws IOException {
        try {
            return split.snapshot() ? merge.next() : merge.nextChange();
        } catch (IOException e) {
            throw explain(unitVersion(split), e);
        }
    }

    private List<Object> keyOnly(List<Object> values) {
        Object[] key = new Object[values.size()];
        for (int i = 0; i < key.length; i++) {
            key[i] = keyColumns[i] ? values.get(i) : null;
        }
        return Arrays.asList(key);
    }

    private void finishUnit() {
        BucketSplit done = current.advanced();
        closeMerge();
        current = null;
        put(done);
        pruneManifests();
    }

    /**
     * Opens the next unit of work of some split, advancing splits past versions without changes in
     * their bucket and dropping those finished; returns false if no split has work now.
     */
    private boolean openNextUnit() throws IOException {
        if (splits.isEmpty()) {
            return false;
        }
        table();
        List<Integer> order = new ArrayList<>(splits.tailMap(nextBucket, true).keySet());
        order.addAll(splits.headMap(nextBucket, false).keySet());
        for (int bucket : order) {
            if (openUnit(bucket)) {
                nextBucket = bucket + 1;
                return true;
            }
        }
        return false;
    }

    private boolean openUnit(int bucket) throws IOException {
        outer:
        while (true) {
            BucketSplit split = splits.get(bucket);
            table.checkSameTable(split.tableId());
            if (split.finished()) {
                splits.remove(bucket);
                metrics.positions.remove(bucket);
                return false;
            }
            long version = unitVersion(split);
            if (!split.snapshot() && version > Math.min(split.stopVersion(), latestKnown)) {
                return false;
            }
            List<GenerationRef> generations;
            try {
                Manifest manifest = manifest(version);
                if (split.snapshot()) {
                    generations = manifest.newestFirst(bucket);
                } else {
                    Manifest previous = manifest.added() == null ? manifest(version - 1) : null;
                    generations = manifest.changesNewestFirst(bucket, previous);
                }
                metrics.unitOpened(manifest);
                if (generations.isEmpty()) {
                    put(split.advanced());
                    continue;
                }
                merge = new BucketMerge(table, generations, io, allocator, columns);
            } catch (IOException e) {
                IOException explained = explain(version, e);
                if (explained instanceof VersionExpiredException expired
                        && settings.onExpired == OnVersionExpired.REREAD_LATEST) {
                    reread(split, expired);
                    continue;
                }
                throw explained;
            }
            current = split;
            unitRows = 0;
            while (unitRows < split.rowsEmitted()) {
                List<Object> skipped;
                try {
                    skipped = nextRow(split);
                } catch (VersionExpiredException expired) {
                    rereadOrThrow(split, expired);
                    continue outer;
                }
                if (skipped == null) {
                    throw new IOException(
                            "Kiln table "
                                    + settings.tablePath
                                    + " bucket "
                                    + bucket
                                    + " has fewer rows in "
                                    + (split.snapshot() ? "the snapshot of" : "the changes of")
                                    + " version "
                                    + version
                                    + " than the "
                                    + split.rowsEmitted()
                                    + " the restored split had emitted");
                }
                unitRows++;
            }
            return true;
        }
    }

    /**
     * The unit of {@code split} being emitted expired under it (its files removed): re-reads the
     * latest snapshot if so configured, as when the expiry is found before the unit opens.
     */
    private void rereadOrThrow(BucketSplit split, VersionExpiredException expired)
            throws IOException {
        closeMerge();
        current = null;
        if (settings.onExpired != OnVersionExpired.REREAD_LATEST) {
            throw expired;
        }
        reread(split, expired);
    }

    private void reread(BucketSplit split, VersionExpiredException expired) throws IOException {
        long latest = table.latestVersion();
        LOG.warn(
                "Kiln source of {} bucket {}: {}; reading the full snapshot of version {} again"
                        + " (keys deleted in between are not deleted downstream)",
                settings.tablePath,
                split.bucket(),
                expired.getMessage(),
                latest);
        metrics.expiredRereads.inc();
        put(split.rereadAt(latest));
    }

    /** The version a split's current unit reads: its snapshot's, or the next one's changes. */
    private static long unitVersion(BucketSplit split) {
        return split.snapshot() ? split.version() : split.version() + 1;
    }

    private IOException explain(long version, IOException error) {
        Throwable explained = table.expiredOr(version, error);
        return explained instanceof IOException io ? io : error;
    }

    private Manifest manifest(long version) throws IOException {
        Manifest manifest = manifests.get(version);
        if (manifest == null) {
            manifest = table.manifest(version);
            manifests.put(version, manifest);
        }
        return manifest;
    }

    private void pruneManifests() {
        long oldest = Long.MAX_VALUE;
        for (BucketSplit split : splits.values()) {
            oldest = Math.min(oldest, split.version());
        }
        manifests.headMap(oldest).clear();
    }

    private KilnTable table() throws IOException {
        if (table == null) {
            KilnTable opened = KilnTable.open(settings.tablePath);
            settings.check.check(opened.options());
            List<String> key = opened.options().primaryKey();
            List<String> names =
                    opened.options().schema().getFields().stream().map(f -> f.getName()).toList();
            keyColumns = new boolean[columns.length];
            for (int i = 0; i < columns.length; i++) {
                keyColumns[i] = key.contains(names.get(columns[i]));
            }
            table = opened;
        }
        return table;
    }

    private void put(BucketSplit split) {
        splits.put(split.bucket(), split);
        metrics.positions.put(split.bucket(), split);
    }

    @Override
    public List<BucketSplit> snapshotState(long checkpointId) {
        List<BucketSplit> state = new ArrayList<>(splits.size());
        for (BucketSplit split : splits.values()) {
            state.add(
                    current != null && split.bucket() == current.bucket()
                            ? split.emitted(unitRows)
                            : split);
        }
        return state;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public void addSplits(List<BucketSplit> added) {
        for (BucketSplit split : added) {
            put(split);
            metrics.register(split.bucket());
        }
        available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        available.complete(null);
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        if (event instanceof LatestVersionEvent latest && latest.version() > latestKnown) {
            latestKnown = latest.version();
            metrics.latest = latestKnown;
            available.complete(null);
        }
    }

    @Override
    public void close() {
        try {
            closeMerge();
        } finally {
            allocator.close();
        }
    }

    private void closeMerge() {
        if (merge != null) {
            merge.close();
            merge = null;
        }
    }

    /** The reader's metrics, in its {@code kiln} group; gauges read fields the task thread sets. */
    private static final class Metrics {
        final Counter numRecordsIn;
        final MetricGroup group;
        final Counter snapshotRows;
        final Counter upserts;
        final Counter deletes;
        final Counter expiredRereads;
        final Map<Integer, BucketSplit> positions = new ConcurrentHashMap<>();
        volatile long latest = -1;
        volatile long emittingPublishedAt;

        Metrics(org.apache.flink.metrics.groups.SourceReaderMetricGroup readerGroup) {
            this.numRecordsIn = readerGroup.getIOMetricGroup().getNumRecordsInCounter();
            this.group = readerGroup.addGroup(METRIC_GROUP);
            this.snapshotRows = group.counter("snapshotRowsEmitted");
            this.upserts = group.counter("upsertsEmitted");
            this.deletes = group.counter("deletesEmitted");
            this.expiredRereads = group.counter("expiredRereads");
            group.<Long, org.apache.flink.metrics.Gauge<Long>>gauge(
                    "currentVersion", this::currentVersion);
            group.<Long, org.apache.flink.metrics.Gauge<Long>>gauge("latestVersion", () -> latest);
            group.<Long, org.apache.flink.metrics.Gauge<Long>>gauge("versionLag", this::versionLag);
            group.<Long, org.apache.flink.metrics.Gauge<Long>>gauge(
                    "timeLagMillis", this::timeLagMillis);
        }

        void register(int bucket) {
            group.addGroup("bucket", Integer.toString(bucket))
                    .<Long, org.apache.flink.metrics.Gauge<Long>>gauge(
                            "currentVersion",
                            () -> {
                                BucketSplit split = positions.get(bucket);
                                return split == null ? -1L : split.version();
                            });
        }

        /** The lowest version every split has emitted up to; -1 if none is assigned. */
        long currentVersion() {
            long oldest = Long.MAX_VALUE;
            for (BucketSplit split : positions.values()) {
                oldest = Math.min(oldest, split.snapshot() ? split.version() - 1 : split.version());
            }
            return oldest == Long.MAX_VALUE ? -1 : oldest;
        }

        long versionLag() {
            long current = currentVersion();
            return current < 0 || latest < 0 ? 0 : Math.max(0, latest - current);
        }

        long timeLagMillis() {
            long publishedAt = emittingPublishedAt;
            return publishedAt <= 0 ? 0 : Math.max(0, System.currentTimeMillis() - publishedAt);
        }

        void unitOpened(Manifest manifest) {
            emittingPublishedAt = manifest.publishedAtMillis();
        }

        void caughtUp() {
            emittingPublishedAt = 0;
        }
    }
}
