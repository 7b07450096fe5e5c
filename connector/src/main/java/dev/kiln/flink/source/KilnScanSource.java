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
import dev.kiln.table.Manifest;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A bounded FLIP-27 source of the live rows of a Kiln table at its latest version when the job
 * starts: one split per bucket that has generations, each read as a merge of the bucket's
 * generations newest-first with tombstones (rows in key order within a bucket; no order across
 * buckets). Every split of one run reads the same version, so the scan is a consistent snapshot; a
 * restored scan continues at that version, skipping the rows each split had emitted.
 *
 * <p>A path where no table exists yet (a reader declared before its first writer) scans as empty:
 * no splits, the job finishes. A table found is checked first ({@link TableCheck}: in SQL, against
 * the declaration), as it may have been created since the query was planned.
 *
 * <p>Immutable and serializable. The enumerator reads the table's latest manifest when it is
 * created (3 storage requests plus the manifest); each reader opens the generations of its bucket.
 */
@Internal
public final class KilnScanSource implements Source<RowData, BucketSplit, ScanEnumeratorState> {

    private static final long serialVersionUID = 1L;

    private final Path tablePath;
    private final TableCheck check;
    private final RowType producedType;
    private final int[] columns;

    /**
     * @param tablePath the table's path
     * @param check what the table the enumerator finds must satisfy
     * @param producedType the type of the rows emitted: the table's columns at {@code columns}
     * @param columns positions of the emitted columns in the table's schema
     */
    public KilnScanSource(Path tablePath, TableCheck check, RowType producedType, int[] columns) {
        this.tablePath = tablePath;
        this.check = check;
        this.producedType = producedType;
        this.columns = columns.clone();
    }

    /**
     * What a reader requires of the table it finds at runtime (it may have been created after the
     * job was built). Serializable; called on the enumerator's thread.
     */
    @FunctionalInterface
    @Internal
    public interface TableCheck extends Serializable {

        /**
         * Checks the options of the table found.
         *
         * @throws RuntimeException naming the difference if the reader cannot read it
         */
        void check(TableOptions table);
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SplitEnumerator<BucketSplit, ScanEnumeratorState> createEnumerator(
            SplitEnumeratorContext<BucketSplit> context) throws Exception {
        KilnTable table;
        try {
            table = KilnTable.open(tablePath);
        } catch (TableNotFoundException absent) {
            return new ScanSplitEnumerator(context, List.of());
        }
        check.check(table.options());
        Manifest manifest = table.latestManifest();
        TreeSet<Integer> buckets = new TreeSet<>();
        manifest.generations().forEach(g -> buckets.add(g.bucket()));
        List<BucketSplit> splits = new ArrayList<>(buckets.size());
        for (int bucket : buckets) {
            splits.add(new BucketSplit(bucket, manifest.version(), 0));
        }
        return new ScanSplitEnumerator(context, splits);
    }

    @Override
    public SplitEnumerator<BucketSplit, ScanEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<BucketSplit> context, ScanEnumeratorState state) {
        return new ScanSplitEnumerator(context, state.remaining());
    }

    @Override
    public SimpleVersionedSerializer<BucketSplit> getSplitSerializer() {
        return new BucketSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<ScanEnumeratorState> getEnumeratorCheckpointSerializer() {
        return new ScanEnumeratorStateSerializer();
    }

    @Override
    public SourceReader<RowData, BucketSplit> createReader(SourceReaderContext context) {
        return new ScanSourceReader(context, tablePath, producedType, columns);
    }
}
