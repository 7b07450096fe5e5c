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

import dev.kiln.flink.data.InvalidRowException;
import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.KilnMemory;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.KeyCodec;
import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.Handover;

import org.apache.flink.annotation.VisibleForTesting;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The writer of a {@link KilnSink}: an Arrow memtable per bucket, flushed to a new generation file
 * when it passes the size bound and, for every bucket, when a checkpoint barrier (or the end of
 * input) asks for the committables. Memtables are not state: after a failure the source replays
 * what they held. A generation written but never committed (the job failed before its checkpoint
 * completed) is an orphan that {@link KilnTable#removeOrphans} removes.
 *
 * <p>With compaction on, a {@link WriterCompaction} compacts the buckets this subtask owns in the
 * background; each {@link #prepareCommit} emits the compactions that finished since the last one
 * beside the flushed generations, and never waits for one that is running (except at the end of
 * input).
 *
 * <p>Write-through: given a lease on the TaskManager's shared cache of the table, each flush hands
 * the generation's pages and footer to it as they are written ({@link Handover}), and the emitted
 * {@link WrittenGeneration} names the file's checksum, so that the warm step in this TaskManager
 * takes them instead of reading the file back. The background compaction hands its outputs over the
 * same way ({@link WriterCompaction}). Each flushed generation is then warmed there at once, on a
 * thread of its own ({@link FlushWarmer}), while the writer flushes the next bucket, so that the
 * warm step finds it warm. The lease is closed with the writer, after the compaction.
 *
 * <p>Metrics: Flink's standard {@code numRecordsSend} counts every element written (upserts and
 * deletes), {@code numBytesSend} the bytes of the generation files flushed; Kiln's own counters are
 * in {@link KilnSinkMetrics}.
 *
 * <p>Not thread-safe: the writer operator's task thread owns it. Rows the table cannot hold fail
 * {@link #write} with an {@link InvalidRowException} naming the column; storage failures fail with
 * the file system's {@link IOException}; both fail the job, and nothing committed is touched.
 */
final class KilnSinkWriter<IN> implements CommittingSinkWriter<IN, WrittenGeneration> {

    private static final Logger LOG = LoggerFactory.getLogger(KilnSinkWriter.class);

    private final KilnTable table;
    private final TableOptions writeOptions;
    private final RowType rowType;
    private final RowDataConverter<IN> converter;
    private final RowKeyExtractor keys;
    private final long memtableBytes;
    private final BufferAllocator allocator;
    private final int bucketCount;

    /** The memtable of each bucket written so far: sized by the buckets used, not the count. */
    private final Map<Integer, RowDataMemtable> memtables = new HashMap<>();

    private final Map<Integer, BufferAllocator> memtableAllocators = new HashMap<>();
    private final List<WrittenGeneration> written = new ArrayList<>();
    private final WriterCompaction compaction;
    @Nullable private final KilnCacheRegistry.Lease cache;

    /** Warms each generation flushed with write-through as soon as it is written. */
    @Nullable private final FlushWarmer flushWarmer;

    private long flushSequence;
    private boolean endOfInput;

    /** What {@link #write} or {@link #prepareCommit} threw first: the task is failing. */
    @Nullable private Throwable failure;

    private final Counter rowsWritten;
    private final Counter generationsWritten;
    private final Counter bytesFlushed;
    private final Counter recordsSend;
    private final Counter bytesSend;

    /** A writer without write-through. */
    KilnSinkWriter(
            KilnTable table,
            TableOptions writeOptions,
            RowType rowType,
            RowDataConverter<IN> converter,
            long memtableBytes,
            WriterCompaction compaction,
            SinkWriterMetricGroup metrics) {
        this(table, writeOptions, rowType, converter, memtableBytes, compaction, null, metrics);
    }

    /**
     * @param cache a lease on the TaskManager's shared cache of the table, which flushes hand their
     *     generations over to and {@link #close()} closes; {@code null} for no write-through
     */
    KilnSinkWriter(
            KilnTable table,
            TableOptions writeOptions,
            RowType rowType,
            RowDataConverter<IN> converter,
            long memtableBytes,
            WriterCompaction compaction,
            @Nullable KilnCacheRegistry.Lease cache,
            SinkWriterMetricGroup metrics) {
        this(
                table,
                writeOptions,
                rowType,
                converter,
                memtableBytes,
                compaction,
                cache,
                metrics,
                KilnMemory.newAllocator("kiln-writer", Long.MAX_VALUE));
    }

    /** As above, the writer's memory in {@code allocator}, which {@link #close} closes. */
    @VisibleForTesting
    KilnSinkWriter(
            KilnTable table,
            TableOptions writeOptions,
            RowType rowType,
            RowDataConverter<IN> converter,
            long memtableBytes,
            WriterCompaction compaction,
            @Nullable KilnCacheRegistry.Lease cache,
            SinkWriterMetricGroup metrics,
            BufferAllocator allocator) {
        this.table = table;
        this.writeOptions = writeOptions;
        this.rowType = rowType;
        this.converter = converter;
        this.keys = new RowKeyExtractor(rowType, writeOptions.primaryKey());
        this.memtableBytes = memtableBytes;
        this.compaction = compaction;
        this.cache = cache;
        this.flushWarmer = cache == null ? null : new FlushWarmer(cache.cache());
        this.allocator = allocator;
        this.bucketCount = writeOptions.bucketCount();
        this.rowsWritten = metrics.counter(KilnSinkMetrics.ROWS_WRITTEN);
        this.generationsWritten = metrics.counter(KilnSinkMetrics.GENERATIONS_WRITTEN);
        this.bytesFlushed = metrics.counter(KilnSinkMetrics.BYTES_FLUSHED);
        this.recordsSend = metrics.getNumRecordsSendCounter();
        this.bytesSend = metrics.getNumBytesSendCounter();
    }

    @Override
    public void write(IN element, Context context) throws IOException {
        try {
            doWrite(element);
        } catch (IOException | RuntimeException | Error e) {
            failed(e);
            throw e;
        }
    }

    private void failed(Throwable e) {
        if (failure == null) {
            failure = e;
        }
    }

    private void doWrite(IN element) throws IOException {
        RowData row = converter.convert(element);
        recordsSend.inc();
        // The key is encoded once here: for the bucket, and kept by the memtable for the flush.
        byte[] key = keys.key(row);
        int bucket = KeyCodec.bucket(key, bucketCount);
        RowDataMemtable memtable = memtables.get(bucket);
        if (memtable == null) {
            BufferAllocator child =
                    allocator.newChildAllocator("bucket-" + bucket, 0, Long.MAX_VALUE);
            memtableAllocators.put(bucket, child);
            memtable = new RowDataMemtable(rowType, writeOptions, child);
            memtables.put(bucket, memtable);
        }
        if (memtable.add(row, key)) {
            rowsWritten.inc();
            if (memtable.sizeBytes() >= memtableBytes) {
                flush(bucket, memtable);
            }
        }
    }

    /**
     * Only notes the end of input: {@link #prepareCommit}, which the operator calls next, flushes.
     */
    @Override
    public void flush(boolean endOfInput) {
        this.endOfInput |= endOfInput;
    }

    @Override
    public Collection<WrittenGeneration> prepareCommit() throws IOException {
        try {
            return doPrepareCommit();
        } catch (IOException | RuntimeException | Error e) {
            failed(e);
            throw e;
        }
    }

    private Collection<WrittenGeneration> doPrepareCommit() throws IOException {
        for (int bucket : new TreeSet<>(memtables.keySet())) {
            RowDataMemtable memtable = memtables.get(bucket);
            if (!memtable.isEmpty()) {
                flush(bucket, memtable);
            }
        }
        if (compaction != null) {
            long now = System.currentTimeMillis();
            for (Compaction finished : compaction.poll(endOfInput)) {
                written.add(
                        WrittenGeneration.compacted(
                                finished, flushSequence++, now, compaction.checksum(finished)));
            }
        }
        List<WrittenGeneration> result = new ArrayList<>(written);
        written.clear();
        return result;
    }

    private void flush(int bucket, RowDataMemtable memtable) throws IOException {
        String path = table.newGenerationPath(bucket);
        Path resolved = table.resolve(path);
        // Write-through: the pages and footer, from memory, to this TaskManager's cache.
        Handover handover = cache == null ? null : cache.cache().handover(resolved);
        GenerationStats stats = memtable.flush(resolved, handover);
        WrittenGeneration generation =
                new WrittenGeneration(
                        GenerationRef.of(path, bucket, stats),
                        flushSequence++,
                        System.currentTimeMillis(),
                        null,
                        handover == null ? GenerationFile.NO_CHECKSUM : handover.checksum());
        written.add(generation);
        if (flushWarmer != null) {
            // The file the warm step will name: its warm then finds this one done or joins it.
            flushWarmer.warm(
                    GenerationFile.of(table, generation.generation())
                            .withChecksum(generation.checksum()));
        }
        generationsWritten.inc();
        bytesFlushed.inc(stats.fileBytes());
        bytesSend.inc(stats.fileBytes());
    }

    /** Returns a future that completes when the flushes' warms started so far settled (tests). */
    @VisibleForTesting
    CompletableFuture<Void> flushWarmsSettled() {
        return flushWarmer == null
                ? CompletableFuture.completedFuture(null)
                : flushWarmer.settled();
    }

    /**
     * Releases everything, each step even if an earlier one failed. A step's failure (such as an
     * allocator that finds memory still held) is thrown, the later ones suppressed in it, unless
     * {@link #write} or {@link #prepareCommit} failed before: then the task is failing with that
     * error, and Flink closes the writer from its failure handler, where a second exception would
     * replace the first (and can take down the TaskManager), so it is logged instead.
     */
    @Override
    public void close() {
        Throwable error = null;
        if (flushWarmer != null) {
            error = attempt(error, flushWarmer::close);
        }
        if (compaction != null) {
            error = attempt(error, compaction::close);
        }
        for (RowDataMemtable memtable : memtables.values()) {
            error = attempt(error, memtable::close);
        }
        memtables.clear();
        for (BufferAllocator child : memtableAllocators.values()) {
            error = attempt(error, child::close);
        }
        memtableAllocators.clear();
        error = attempt(error, allocator::close);
        if (cache != null) {
            error = attempt(error, cache::close);
        }
        if (error == null) {
            return;
        }
        if (failure != null) {
            LOG.warn(
                    "Closing the Kiln writer of {} after its failure ({}) failed too",
                    table.root(),
                    failure.toString(),
                    error);
            return;
        }
        if (error instanceof Error) {
            throw (Error) error;
        }
        throw (RuntimeException) error;
    }

    private static Throwable attempt(@Nullable Throwable first, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            if (first == null) {
                return e;
            }
            first.addSuppressed(e);
        }
        return first;
    }
}
