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
import dev.kiln.table.KilnTable;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the bucket splits of the bounded scan one at a time: each is a {@link BucketMerge} of its
 * bucket's generations at the split's version, emitted row by row. Its state is the current split
 * with the rows it emitted so far (a restored reader skips them) and the splits not yet started.
 *
 * <p>Runs on the task thread and blocks it on storage reads (one range read per page of each
 * generation of the bucket being read). Not thread-safe.
 */
final class ScanSourceReader implements SourceReader<RowData, BucketSplit> {

    private final SourceReaderContext context;
    private final Path tablePath;
    private final int[] columns;
    private final RowDataReader rows;
    private final Deque<BucketSplit> pending = new ArrayDeque<>();
    private final BufferAllocator allocator = KilnMemory.newAllocator("kiln-scan", Long.MAX_VALUE);
    private final RangeReader io = RangeReader.onFileSystem(Runnable::run);

    private KilnTable table;
    private BucketSplit current;
    private BucketMerge merge;
    private long emitted;
    private boolean requested;
    private boolean noMoreSplits;
    private CompletableFuture<Void> available = new CompletableFuture<>();

    ScanSourceReader(
            SourceReaderContext context, Path tablePath, RowType producedType, int[] columns) {
        this.context = context;
        this.tablePath = tablePath;
        this.columns = columns.clone();
        this.rows = new RowDataReader(producedType);
    }

    @Override
    public void start() {
        requestSplit();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<RowData> output) throws Exception {
        if (merge == null && !startNextSplit()) {
            if (noMoreSplits) {
                return InputStatus.END_OF_INPUT;
            }
            requestSplit();
            available = new CompletableFuture<>();
            if (!pending.isEmpty() || noMoreSplits) {
                available.complete(null);
            }
            return InputStatus.NOTHING_AVAILABLE;
        }
        List<Object> values = next(current);
        if (values == null) {
            merge.close();
            merge = null;
            current = null;
            return InputStatus.MORE_AVAILABLE;
        }
        output.collect(rows.read(values));
        emitted++;
        return InputStatus.MORE_AVAILABLE;
    }

    private boolean startNextSplit() throws IOException {
        BucketSplit split = pending.poll();
        if (split == null) {
            return false;
        }
        if (table == null) {
            table = KilnTable.open(tablePath);
        }
        try {
            merge =
                    new BucketMerge(
                            table,
                            table.manifest(split.version()),
                            split.bucket(),
                            io,
                            allocator,
                            columns);
        } catch (IOException e) {
            throw expiredOr(split, e);
        }
        current = split;
        emitted = 0;
        while (emitted < split.rowsEmitted()) {
            if (next(split) == null) {
                throw new IOException(
                        "Kiln table "
                                + tablePath
                                + " version "
                                + split.version()
                                + " bucket "
                                + split.bucket()
                                + " has "
                                + emitted
                                + " live rows, but the restored scan had emitted "
                                + split.rowsEmitted());
            }
            emitted++;
        }
        return true;
    }

    /** The merge's next row of {@code split}, or {@code null} at its end. */
    private List<Object> next(BucketSplit split) throws IOException {
        try {
            return merge.next();
        } catch (IOException e) {
            throw expiredOr(split, e);
        }
    }

    /**
     * Returns {@link dev.kiln.table.VersionExpiredException} naming the split's version if {@code
     * error} found a file missing because that version expired (its files may then be removed as
     * orphans); otherwise {@code error} itself (a lost file stays a {@code FileNotFoundException}).
     */
    private IOException expiredOr(BucketSplit split, IOException error) {
        return (IOException) table.expiredOr(split.version(), error);
    }

    private void requestSplit() {
        if (!requested && pending.isEmpty() && !noMoreSplits) {
            requested = true;
            context.sendSplitRequest();
        }
    }

    @Override
    public List<BucketSplit> snapshotState(long checkpointId) {
        List<BucketSplit> state = new ArrayList<>(pending.size() + 1);
        if (current != null) {
            state.add(current.emitted(emitted));
        }
        state.addAll(pending);
        return state;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public void addSplits(List<BucketSplit> splits) {
        pending.addAll(splits);
        requested = false;
        available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        available.complete(null);
    }

    @Override
    public void close() {
        try {
            if (merge != null) {
                merge.close();
            }
        } finally {
            allocator.close();
        }
    }
}
