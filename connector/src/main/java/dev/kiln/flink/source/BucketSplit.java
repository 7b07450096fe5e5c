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

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceSplit;

import javax.annotation.Nullable;

import java.util.Objects;

/**
 * One bucket of a Kiln table as a {@link KilnSource} reads it, with its position: the split has
 * emitted the bucket's changes up to and including {@code version} (or, while {@code snapshot}, is
 * emitting the bucket's full snapshot of {@code version}), and {@code rowsEmitted} rows of what it
 * is emitting now. A bucket is one split for the life of a job, so its changes come out in version
 * order wherever it is read. Immutable.
 *
 * @param bucket the bucket
 * @param version the version emitted up to (or whose full snapshot is being emitted)
 * @param snapshot whether the full snapshot of {@code version} is still to be emitted (in part)
 * @param rowsEmitted rows of the current unit (the snapshot, or the changes of {@code version + 1})
 *     already emitted
 * @param stopVersion the version after which the split ends, or {@link #NO_STOP}
 * @param tableId the identity of the table read, or {@code null} if unknown (a table without one)
 */
@Internal
public record BucketSplit(
        int bucket,
        long version,
        boolean snapshot,
        long rowsEmitted,
        long stopVersion,
        @Nullable String tableId)
        implements SourceSplit {

    /** The {@link #stopVersion} of a split that follows the table for ever. */
    public static final long NO_STOP = Long.MAX_VALUE;

    @Override
    public String splitId() {
        return "bucket-" + bucket;
    }

    /** Returns whether the split has emitted all it must (a bounded split at its stop version). */
    boolean finished() {
        return !snapshot && version >= stopVersion;
    }

    BucketSplit emitted(long rows) {
        return new BucketSplit(bucket, version, snapshot, rows, stopVersion, tableId);
    }

    /** The split once its current unit is emitted: the snapshot, or the next version's changes. */
    BucketSplit advanced() {
        return snapshot
                ? new BucketSplit(bucket, version, false, 0, stopVersion, tableId)
                : new BucketSplit(bucket, version + 1, false, 0, stopVersion, tableId);
    }

    /** The split re-reading the full snapshot of {@code latest}. */
    BucketSplit rereadAt(long latest) {
        return new BucketSplit(bucket, latest, true, 0, stopVersion, tableId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BucketSplit other
                && bucket == other.bucket
                && version == other.version
                && snapshot == other.snapshot
                && rowsEmitted == other.rowsEmitted
                && stopVersion == other.stopVersion
                && Objects.equals(tableId, other.tableId);
    }

    @Override
    public int hashCode() {
        int h = Integer.hashCode(bucket);
        h = 31 * h + Long.hashCode(version);
        h = 31 * h + Boolean.hashCode(snapshot);
        h = 31 * h + Long.hashCode(rowsEmitted);
        h = 31 * h + Long.hashCode(stopVersion);
        h = 31 * h + Objects.hashCode(tableId);
        return h;
    }

    @Override
    public String toString() {
        return "BucketSplit[bucket="
                + bucket
                + ", version="
                + version
                + ", snapshot="
                + snapshot
                + ", rowsEmitted="
                + rowsEmitted
                + ", stopVersion="
                + (stopVersion == NO_STOP ? "none" : stopVersion)
                + ", tableId="
                + tableId
                + "]";
    }
}
