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
import dev.kiln.flink.data.KeyEncoder;
import dev.kiln.flink.data.RowDataReader;
import dev.kiln.format.LookupResult;
import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.Snapshot;

import org.apache.flink.annotation.Experimental;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.CloseableIterator;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;

/**
 * Reads a Kiln table outside a Flink job: point lookups and full scans of one version, as Flink
 * {@link RowData} of the table's columns, with no Arrow allocator or executor to provide.
 *
 * <pre>{@code
 * try (KilnTableReader reader = KilnTableReader.open(new Path("s3://bucket/tables/customers"))) {
 *     KilnTableReader.Version latest = reader.latest();
 *     Optional<RowData> row = latest.lookup(42L);
 *     try (CloseableIterator<RowData> rows = latest.scan()) {
 *         rows.forEachRemaining(System.out::println);
 *     }
 * }
 * }</pre>
 *
 * <p>Rows returned are copies: they stay valid after the reader is closed. Reads go to storage
 * (nothing is cached between calls); a version that was expired and lost a file fails the read with
 * {@link dev.kiln.table.VersionExpiredException}, a missing table the open with {@link
 * dev.kiln.table.TableNotFoundException}.
 *
 * <p>Owns an Arrow allocator and two I/O threads, released by {@link #close}, which also closes the
 * scans still open. Lookups are thread-safe; a scan's iterator is used by one thread at a time.
 */
@Experimental
public final class KilnTableReader implements AutoCloseable {

    private final KilnTable table;
    private final RowType rowType;
    private final KeyEncoder keys;
    private final RowDataReader rows;
    private final ExecutorService io;
    private final RangeReader ranges;
    private final BufferAllocator allocator;
    private final Set<Scan> openScans = ConcurrentHashMap.newKeySet();

    private KilnTableReader(KilnTable table) {
        this.table = table;
        this.rowType = FlinkArrowTypes.toRowType(table.options().schema());
        this.keys = new KeyEncoder(table.options());
        this.rows = new RowDataReader(rowType);
        this.io = Executors.newFixedThreadPool(2, KilnThreads.factory("kiln-table-reader"));
        this.ranges = RangeReader.onFileSystem(io);
        this.allocator = new RootAllocator();
    }

    /**
     * Opens the table at {@code tablePath}.
     *
     * @throws dev.kiln.table.TableNotFoundException naming the path if no table is there
     * @throws IOException if its metadata cannot be read
     */
    public static KilnTableReader open(Path tablePath) throws IOException {
        return new KilnTableReader(KilnTable.open(tablePath));
    }

    /** Returns the type of the rows read: the table's columns, in order. */
    public RowType rowType() {
        return rowType;
    }

    /** Returns the names of the primary key's columns, in key order. */
    public List<String> primaryKey() {
        return table.options().primaryKey();
    }

    /** Returns the latest version of the table (one read of its latest manifest). */
    public Version latest() throws IOException {
        return new Version(table.latestManifest());
    }

    /**
     * Returns version {@code version} of the table.
     *
     * @throws dev.kiln.table.VersionExpiredException if it was expired
     */
    public Version version(long version) throws IOException {
        return new Version(table.manifest(version));
    }

    /** Closes the scans still open, then releases the allocator and the I/O threads. */
    @Override
    public void close() {
        for (Scan scan : List.copyOf(openScans)) {
            scan.close();
        }
        io.shutdownNow();
        allocator.close();
    }

    /** One version of the table: immutable, so every read of it sees the same rows. */
    @Experimental
    public final class Version {

        private final Manifest manifest;
        private final Snapshot snapshot;

        private Version(Manifest manifest) {
            this.manifest = manifest;
            this.snapshot = table.snapshot(manifest, GenerationLookup.direct(ranges, allocator));
        }

        /** Returns the version's number. */
        public long number() {
            return manifest.version();
        }

        /**
         * Returns the row of {@code key} in this version, or empty if it was never written or was
         * deleted.
         *
         * @param key the value of a single-column key ({@code Long}, {@code String}, ...), an
         *     {@code Object[]} of the key columns' values in key order, or a {@link RowData} of
         *     them
         * @throws IllegalArgumentException if {@code key} does not fit the primary key
         */
        public Optional<RowData> lookup(Object key) throws IOException {
            LookupResult result = join(snapshot.lookup(keys.encode(key)));
            return result.status() == LookupResult.Status.FOUND
                    ? Optional.of(rows.read(result.values()))
                    : Optional.empty();
        }

        /**
         * Returns every live row of this version, bucket after bucket, in key order within a
         * bucket. Reads a page per generation of a bucket at a time; close the iterator (or the
         * reader) to release them.
         */
        public CloseableIterator<RowData> scan() {
            Scan scan = new Scan(manifest);
            openScans.add(scan);
            return scan;
        }
    }

    private final class Scan implements CloseableIterator<RowData> {

        private final Manifest manifest;
        private final int[] columns = IntStream.range(0, rowType.getFieldCount()).toArray();
        private int nextBucket;
        private BucketMerge merge;
        private List<Object> next;
        private boolean closed;

        Scan(Manifest manifest) {
            this.manifest = manifest;
        }

        @Override
        public boolean hasNext() {
            try {
                while (next == null && !closed) {
                    if (merge != null) {
                        next = merge.next();
                        if (next != null) {
                            break;
                        }
                        merge.close();
                        merge = null;
                    }
                    if (nextBucket >= table.options().bucketCount()) {
                        close();
                        break;
                    }
                    int bucket = nextBucket++;
                    if (!manifest.newestFirst(bucket).isEmpty()) {
                        merge =
                                new BucketMerge(
                                        table, manifest, bucket, ranges, allocator, columns);
                    }
                }
            } catch (IOException e) {
                close();
                throw new java.io.UncheckedIOException(e);
            }
            return next != null;
        }

        @Override
        public RowData next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            RowData row = rows.read(next);
            next = null;
            return row;
        }

        @Override
        public void close() {
            closed = true;
            if (merge != null) {
                merge.close();
                merge = null;
            }
            openScans.remove(this);
        }
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted reading a Kiln table");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause);
        }
    }
}
