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
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;

import javax.annotation.Nullable;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static java.util.Objects.requireNonNull;

/**
 * A Kiln table as a stream: a FLIP-27 source that reads a table's rows and follows its new versions
 * as an upsert changelog, keyed by the table's primary key.
 *
 * <pre>{@code
 * DataStream<RowData> changes = env.fromSource(
 *         KilnSource.builder(tablePath).startingFrom(StartingPosition.fullThenFollow()).build(),
 *         WatermarkStrategy.noWatermarks(), "customers");
 * }</pre>
 *
 * <p>What it emits, per bucket of the table (one split each, so a bucket's changes come out in
 * order wherever it is read): the rows of a full snapshot as {@code +I}; then, for each later
 * version, the newest row of every key that version's newly written generations hold: {@code +U}
 * for a key's new values, {@code -D} for a deleted key (its key columns set, the others {@code
 * null}, which is why every column of the type such a source produces is nullable). Upsert
 * semantics: a {@code +U} does not say whether the key existed, and a {@code -D} may name a key
 * that did not. Only a full snapshot stopping at the latest version (a bounded scan) emits no
 * {@code -D} and keeps the table's types as they are. Generations a compaction wrote carry no
 * change, so a version that only compacts (or that only expired older versions) emits nothing.
 *
 * <p>Positions: each split checkpoints the version it has emitted up to and the rows of the current
 * version emitted, so a restore (at another parallelism too, from a checkpoint or a savepoint)
 * neither skips nor repeats a change. The enumerator polls the table's latest version every {@link
 * Builder#pollInterval poll interval} and tells the readers. A reader that falls behind expiry
 * fails with {@link dev.kiln.table.VersionExpiredException} naming the version, or re-reads if
 * {@link OnVersionExpired#REREAD_LATEST} was chosen.
 *
 * <p>Bounded variants ({@link Builder#stoppingAtLatest}, {@link Builder#stoppingAt}) end once every
 * split has emitted the stop version; a full snapshot stopping at the latest version is a bounded
 * scan of the table.
 *
 * <p>The table is read through Flink's file systems (any scheme Kiln writes). Readers read pages on
 * the task thread, a page per generation of a bucket at a time.
 */
@PublicEvolving
public final class KilnSource
        implements Source<RowData, BucketSplit, KilnEnumeratorState>, ResultTypeQueryable<RowData> {

    private static final long serialVersionUID = 1L;

    /** The default {@link Builder#pollInterval}. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

    private final Path tablePath;
    private final StartingPosition start;
    private final boolean stopAtLatest;
    private final long stopVersion;
    private final Duration pollInterval;
    private final OnVersionExpired onExpired;
    private final RowType producedType;
    private final int[] columns;
    private final TableCheck check;

    private KilnSource(Builder builder, RowType producedType, int[] columns, TableCheck check) {
        this.tablePath = builder.tablePath;
        this.start = builder.start;
        this.stopAtLatest = builder.stopAtLatest;
        this.stopVersion = builder.stopVersion;
        this.pollInterval = builder.pollInterval;
        this.onExpired = builder.onExpired;
        this.producedType = producedType;
        this.columns = columns;
        this.check = check;
    }

    /** Returns a builder of a source reading the table at {@code tablePath}. */
    public static Builder builder(Path tablePath) {
        return new Builder(requireNonNull(tablePath, "tablePath"));
    }

    /** Returns a builder of a source reading the table at {@code tablePath}. */
    public static Builder builder(String tablePath) {
        return builder(new Path(requireNonNull(tablePath, "tablePath")));
    }

    /**
     * What a reader requires of the table it finds at runtime (it may be created after the job was
     * built). Serializable; called on the enumerator's worker thread.
     */
    @FunctionalInterface
    @Internal
    public interface TableCheck extends Serializable {

        /**
         * Checks the options of the table found.
         *
         * @throws RuntimeException naming the difference if the source cannot read it
         */
        void check(TableOptions table);
    }

    @Override
    public Boundedness getBoundedness() {
        return stopAtLatest || stopVersion != BucketSplit.NO_STOP
                ? Boundedness.BOUNDED
                : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public TypeInformation<RowData> getProducedType() {
        return InternalTypeInfo.of(producedType);
    }

    /** Returns the type of the rows emitted. */
    public RowType producedRowType() {
        return producedType;
    }

    @Override
    public SplitEnumerator<BucketSplit, KilnEnumeratorState> createEnumerator(
            SplitEnumeratorContext<BucketSplit> context) {
        return new KilnSplitEnumerator(context, settings(), List.of(), false);
    }

    @Override
    public SplitEnumerator<BucketSplit, KilnEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<BucketSplit> context, KilnEnumeratorState state) {
        return new KilnSplitEnumerator(
                context, settings(), state.unassigned(), state.splitsCreated());
    }

    @Override
    public SimpleVersionedSerializer<BucketSplit> getSplitSerializer() {
        return new BucketSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<KilnEnumeratorState> getEnumeratorCheckpointSerializer() {
        return new KilnEnumeratorStateSerializer();
    }

    @Override
    public SourceReader<RowData, BucketSplit> createReader(SourceReaderContext context) {
        return new KilnSourceReader(context, settings(), producedType, columns);
    }

    private SourceSettings settings() {
        return new SourceSettings(
                tablePath,
                start,
                stopAtLatest,
                stopVersion,
                pollInterval,
                onExpired,
                check,
                getBoundedness() == Boundedness.BOUNDED);
    }

    /**
     * Builds a {@link KilnSource}. Not thread-safe. Each setter validates its argument and throws
     * {@link IllegalArgumentException} naming it.
     */
    @PublicEvolving
    public static final class Builder {

        private final Path tablePath;
        private StartingPosition start = StartingPosition.fullThenFollow();
        private boolean stopAtLatest;
        private long stopVersion = BucketSplit.NO_STOP;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private OnVersionExpired onExpired = OnVersionExpired.FAIL;
        @Nullable private RowType rowType;
        @Nullable private int[] projection;
        @Nullable private TableCheck check;

        private Builder(Path tablePath) {
            this.tablePath = tablePath;
        }

        /** Where to start; {@link StartingPosition#fullThenFollow()} by default. */
        public Builder startingFrom(StartingPosition start) {
            this.start = requireNonNull(start, "start");
            return this;
        }

        /**
         * Makes the source bounded: it ends once it has emitted the version that was the latest
         * when the job first started (kept across restores). With the default start, a bounded scan
         * of that version.
         */
        public Builder stoppingAtLatest() {
            this.stopAtLatest = true;
            this.stopVersion = BucketSplit.NO_STOP;
            return this;
        }

        /**
         * Makes the source bounded: it ends once it has emitted version {@code version} (waiting
         * for it if it is not published yet, and for the table if it is not created yet). A full
         * snapshot start reads the snapshot of {@code version} if it is older than the latest
         * version.
         *
         * @throws IllegalArgumentException if {@code version} is negative
         */
        public Builder stoppingAt(long version) {
            if (version < 0 || version == BucketSplit.NO_STOP) {
                throw new IllegalArgumentException(
                        "stop version must be in [0, " + (BucketSplit.NO_STOP - 1) + "]");
            }
            this.stopVersion = version;
            this.stopAtLatest = false;
            return this;
        }

        /**
         * How often the enumerator looks for a new version; 1 s by default.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollInterval(Duration pollInterval) {
            requireNonNull(pollInterval, "pollInterval");
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException(
                        "poll interval must be positive, but was " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /** What to do when the next version to read has expired; {@code FAIL} by default. */
        public Builder onVersionExpired(OnVersionExpired onExpired) {
            this.onExpired = requireNonNull(onExpired, "onExpired");
            return this;
        }

        /**
         * Declares the table's row type, so the source can be built before the table exists (the
         * reader started before the writer); the table found at runtime must have it, or the job
         * fails naming both. Without it, {@link #build} reads the type from the table.
         */
        public Builder rowType(RowType rowType) {
            this.rowType = requireNonNull(rowType, "rowType");
            return this;
        }

        /** Emits only the table's columns at {@code columns} (the SQL connector's projection). */
        @Internal
        public Builder projection(int[] columns) {
            this.projection = columns.clone();
            return this;
        }

        /** Replaces the row-type check with {@code check} (the SQL connector's declaration). */
        @Internal
        public Builder check(TableCheck check) {
            this.check = requireNonNull(check, "check");
            return this;
        }

        /**
         * Builds the source.
         *
         * @throws UncheckedIOException with {@link dev.kiln.table.TableNotFoundException} naming
         *     the path if no row type was declared and no table is there
         * @throws IllegalArgumentException if the projection names a column the row type lacks
         */
        public KilnSource build() {
            RowType type = rowType;
            if (type == null) {
                try {
                    type = FlinkArrowTypes.toRowType(KilnTable.open(tablePath).options().schema());
                } catch (IOException e) {
                    throw new UncheckedIOException(
                            "cannot read the row type of the Kiln table at "
                                    + tablePath
                                    + "; declare it with rowType(...) to build the source before"
                                    + " the table exists",
                            e);
                }
            }
            int[] columns =
                    projection != null
                            ? projection
                            : IntStream.range(0, type.getFieldCount()).toArray();
            RowType produced = project(type, columns);
            if (!start.equals(StartingPosition.fullThenFollow()) || !stopAtLatest) {
                // A -D row sets only the key's columns: the others must be able to hold null.
                produced = nullableFields(produced);
            }
            TableCheck tableCheck = check != null ? check : new RowTypeCheck(tablePath, type);
            return new KilnSource(this, produced, columns, tableCheck);
        }

        private static RowType nullableFields(RowType type) {
            List<RowType.RowField> fields = new java.util.ArrayList<>();
            for (RowType.RowField field : type.getFields()) {
                fields.add(
                        new RowType.RowField(
                                field.getName(),
                                field.getType().copy(true),
                                field.getDescription().orElse(null)));
            }
            return new RowType(type.isNullable(), fields);
        }

        private static RowType project(RowType type, int[] columns) {
            List<RowType.RowField> fields = type.getFields();
            RowType.RowField[] projected = new RowType.RowField[columns.length];
            for (int i = 0; i < columns.length; i++) {
                if (columns[i] < 0 || columns[i] >= fields.size()) {
                    throw new IllegalArgumentException(
                            "projection names column " + columns[i] + " of " + type);
                }
                projected[i] = fields.get(columns[i]);
            }
            return new RowType(type.isNullable(), List.of(projected));
        }
    }

    /** The table found must have the row type the source was built with. */
    private static final class RowTypeCheck implements TableCheck {
        private static final long serialVersionUID = 1L;

        private final Path tablePath;
        private final RowType expected;

        RowTypeCheck(Path tablePath, RowType expected) {
            this.tablePath = tablePath;
            this.expected = expected;
        }

        @Override
        public void check(TableOptions table) {
            RowType found = FlinkArrowTypes.toRowType(table.schema());
            if (!found.equals(expected)) {
                throw new IllegalArgumentException(
                        "the Kiln table at "
                                + tablePath
                                + " has row type "
                                + found
                                + ", but the source was built for "
                                + expected);
            }
        }
    }
}
