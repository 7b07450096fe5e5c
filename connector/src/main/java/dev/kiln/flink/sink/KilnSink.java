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
import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.GenerationWarmerFactory;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.TaskManagerConfig;
import dev.kiln.format.PageCompression;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableAlreadyExistsException;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPreCommitTopology;
import org.apache.flink.streaming.api.connector.sink2.SupportsPreWriteTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A Flink Sink V2 that writes a Kiln table: rows are upserted (or deleted, by their {@link
 * org.apache.flink.types.RowKind}) into per-bucket memtables, flushed to generation files, warmed
 * in the TaskManager's shared cache, and published one manifest per checkpoint, exactly once.
 *
 * <pre>{@code
 * stream.sinkTo(KilnSink.forRowData(tablePath, rowType, List.of("id")).bucketCount(16).build())
 *       .uid("orders-kiln");
 * }</pre>
 *
 * <p>Topology: the input is partitioned by bucket (bucket {@code b} goes to writer subtask {@code b
 * mod parallelism}); each writer flushes a bucket when its memtable passes the size bound and all
 * buckets before each checkpoint barrier; the generations are keyed by path into the
 * warm-before-commit step, which emits each one only after its warm settled or the deadline passed;
 * one aggregator (parallelism 1) makes one {@link KilnCommittable} per checkpoint; Flink's
 * committer publishes it with {@link KilnCommitter} when the checkpoint completes. With compaction
 * on (the default), each writer also compacts the buckets it owns in the background; the outputs
 * take the same path, warm before the commit that retires their inputs. See {@code docs/sink.md}.
 *
 * <p>Uids: when the sink has a uid ({@code sinkTo(...).uid(...)}), the operators it adds get uids
 * derived from it ({@code <uid>: kiln-generations}, {@code <uid>: kiln-warm-before-commit}, {@code
 * <uid>: kiln-commit-aggregator}), which is what savepoint redeploys of a changed job need. Without
 * one the sink works as well, its operators matched by Flink's generated hashes, and it logs a
 * warning; {@link Builder#operatorUids(boolean)} turns the derived uids off.
 *
 * <p>Immutable and serializable; built by {@link Builder}, whose {@link Builder#build()} creates
 * the table or checks the existing one.
 *
 * @param <IN> the element type
 */
@PublicEvolving
public final class KilnSink<IN>
        implements Sink<IN>,
                SupportsCommitter<KilnCommittable>,
                SupportsPreWriteTopology<IN>,
                SupportsPreCommitTopology<WrittenGeneration, KilnCommittable> {

    private static final long serialVersionUID = 1L;

    /** Default bucket count of a table the sink creates. */
    public static final int DEFAULT_BUCKET_COUNT = 16;

    /** The shortest grace period {@link Builder#removeOrphans} accepts. */
    public static final Duration MIN_ORPHAN_GRACE_PERIOD = Duration.ofMinutes(1);

    /** Default memtable size bound per bucket. */
    public static final long DEFAULT_MEMTABLE_BYTES = 64L << 20;

    /** Default prefix of the committer id and of the names of the operators the sink adds. */
    public static final String DEFAULT_NAME = "kiln";

    private final SinkSettings settings;
    private final RowDataConverter<IN> converter;

    private KilnSink(SinkSettings settings, RowDataConverter<IN> converter) {
        this.settings = settings;
        this.converter = converter;
    }

    /**
     * Returns a builder of a sink of {@link RowData} of {@code rowType} (with its row kind) into
     * the table at {@code tablePath}, keyed by {@code primaryKey}.
     */
    public static Builder<RowData> forRowData(
            Path tablePath, RowType rowType, List<String> primaryKey) {
        return new Builder<>(tablePath, rowType, primaryKey, new IdentityConverter());
    }

    /**
     * Returns a builder of a sink of elements of the caller's type, which {@code converter} turns
     * into {@link RowData} of {@code rowType} (row kind included).
     */
    public static <T> Builder<T> forType(
            Path tablePath,
            RowType rowType,
            List<String> primaryKey,
            RowDataConverter<T> converter) {
        return new Builder<>(
                tablePath, rowType, primaryKey, requireNonNull(converter, "converter"));
    }

    /** Returns the table's path. */
    public Path tablePath() {
        return settings.tablePath();
    }

    SinkSettings settings() {
        return settings;
    }

    @Override
    public SinkWriter<IN> createWriter(WriterInitContext context) throws IOException {
        KilnTable table = KilnTable.open(settings.tablePath());
        // The lease checks the cache's bound against this TaskManager's off-heap memory, as the
        // warm step's does: the writer may be the first to build the cache.
        KilnCacheRegistry.Lease cache =
                settings.warming() && settings.writeThrough()
                        ? KilnCacheRegistry.instance()
                                .acquire(
                                        settings.tablePath(),
                                        settings.cache(),
                                        TaskManagerConfig.of(context))
                        : null;
        WriterCompaction compaction;
        try {
            compaction =
                    settings.compaction() == null
                            ? null
                            : new WriterCompaction(
                                    table,
                                    settings.compaction(),
                                    context.getTaskInfo().getIndexOfThisSubtask(),
                                    context.getTaskInfo().getNumberOfParallelSubtasks(),
                                    cache == null ? null : cache.cache(),
                                    context.metricGroup());
        } catch (RuntimeException e) {
            if (cache != null) {
                cache.close();
            }
            throw e;
        }
        return new KilnSinkWriter<>(
                table,
                settings.writeOptions(),
                settings.rowType(),
                converter,
                settings.memtableBytes(),
                compaction,
                cache,
                context.metricGroup());
    }

    @Override
    public Committer<KilnCommittable> createCommitter(CommitterInitContext context) {
        return new KilnCommitter(
                settings.tablePath(),
                settings.expiry(),
                settings.orphansOlderThan(),
                Clock.systemUTC(),
                context.metricGroup());
    }

    @Override
    public SimpleVersionedSerializer<KilnCommittable> getCommittableSerializer() {
        return new KilnCommittableSerializer();
    }

    @Override
    public SimpleVersionedSerializer<WrittenGeneration> getWriteResultSerializer() {
        return new WrittenGenerationSerializer();
    }

    @Override
    public DataStream<IN> addPreWriteTopology(DataStream<IN> input) {
        return SinkTopology.partitionByBucket(input, converter, settings);
    }

    @Override
    public DataStream<CommittableMessage<KilnCommittable>> addPreCommitTopology(
            DataStream<CommittableMessage<WrittenGeneration>> written) {
        return SinkTopology.warmAndAggregate(written, settings);
    }

    /**
     * Builds a {@link KilnSink}; each option is validated when set, naming it. Not thread-safe.
     *
     * @param <IN> the element type
     */
    @PublicEvolving
    public static final class Builder<IN> {
        private final Path tablePath;
        private final RowType rowType;
        private final List<String> primaryKey;
        private final RowDataConverter<IN> converter;
        private Integer bucketCount;
        private Long targetPageBytes;
        private TableOptions.PageSizeBasis pageSizeBasis;
        private Double filterFalsePositiveRate;
        private PageCompression compression;
        private Integer compactionCompressionLevel;
        private Double bottommostFilterFalsePositiveRate;
        private long memtableBytes = DEFAULT_MEMTABLE_BYTES;
        private boolean warming = true;
        private boolean writeThrough = true;
        private final List<GenerationWarmerFactory> warmers = new ArrayList<>();
        private Duration warmDeadline;
        private Integer warmConcurrency;
        private CacheSettings cache = CacheSettings.defaults();
        private String name = DEFAULT_NAME;
        private boolean operatorUids = true;
        private boolean compaction = true;
        private final CompactionPolicy.Builder policy = CompactionPolicy.builder();
        private SinkSettings.Expiry expiry;
        private Duration orphansOlderThan;

        private Builder(
                Path tablePath,
                RowType rowType,
                List<String> primaryKey,
                RowDataConverter<IN> converter) {
            this.tablePath = requireNonNull(tablePath, "tablePath");
            this.rowType = requireNonNull(rowType, "rowType");
            this.primaryKey = List.copyOf(requireNonNull(primaryKey, "primaryKey"));
            this.converter = converter;
        }

        /**
         * Sets the table's bucket count: fixed when the table is created, and it must match an
         * existing table's. Default: the existing table's, or {@value #DEFAULT_BUCKET_COUNT} for a
         * new table. Bounds the writer parallelism that does useful work.
         *
         * @throws IllegalArgumentException naming {@code bucketCount} unless it is in {@code [1,
         *     }{@value TableOptions#MAX_BUCKET_COUNT}{@code ]}
         */
        public Builder<IN> bucketCount(int count) {
            this.bucketCount = TableOptions.checkBucketCount("bucketCount", count);
            return this;
        }

        /**
         * Sets the target page size of the generations this sink writes (default: the table's, 128
         * KiB for a new table).
         */
        public Builder<IN> targetPageBytes(long bytes) {
            this.targetPageBytes = positive("targetPageBytes", bytes);
            return this;
        }

        /**
         * Sets what {@link #targetPageBytes} counts in the generations this sink writes: Arrow
         * bytes ({@code DECODED}) or bytes on storage ({@code STORED}); default: the table's,
         * {@code DECODED} for a new table, which records it. See {@code docs/format.md}.
         */
        public Builder<IN> pageSizeBasis(TableOptions.PageSizeBasis basis) {
            this.pageSizeBasis = requireNonNull(basis, "pageSizeBasis");
            return this;
        }

        /**
         * Sets the ZSTD level of the generations compaction writes, recorded by a new table (whose
         * compression must then be ZSTD); an existing table's is fixed: the build fails with a
         * {@link TableMismatchException} if it differs. Default: the table's (none for a new table:
         * compaction writes the table's compression).
         *
         * @throws IllegalArgumentException naming {@code compactionCompressionLevel} unless it is
         *     in [1, 22]
         */
        public Builder<IN> compactionCompressionLevel(int level) {
            PageCompression.parse("compression", "zstd", "compactionCompressionLevel", level);
            this.compactionCompressionLevel = level;
            return this;
        }

        /**
         * Sets the key filter false-positive rate of bottommost compaction outputs (written by a
         * compaction whose run starts at the bucket's oldest generation: most of the table's rows),
         * recorded by a new table; an existing table's is fixed: the build fails with a {@link
         * TableMismatchException} if it differs. Default: the table's (none for a new table: the
         * table's {@link #filterFalsePositiveRate}). Such a generation is probed only for keys
         * every newer generation's filter let through, so a higher rate (0.9: about 0.03 B per row
         * instead of 1.2 at 1%) costs only lookups of keys absent from the whole table, a page read
         * each with this probability when the page is not cached. The files are the same format at
         * every rate. See {@code docs/compaction.md}.
         *
         * @throws IllegalArgumentException naming {@code bottommostFilterFalsePositiveRate} unless
         *     it is in (0, 1)
         */
        public Builder<IN> bottommostFilterFalsePositiveRate(double rate) {
            this.bottommostFilterFalsePositiveRate =
                    TableOptions.checkFilterFalsePositiveRate(
                            "bottommostFilterFalsePositiveRate", rate);
            return this;
        }

        /**
         * Sets the key filter false-positive rate of the generations this sink writes (default: the
         * table's, 1% for a new table); in (0, 1).
         */
        public Builder<IN> filterFalsePositiveRate(double rate) {
            if (!(rate > 0 && rate < 1)) {
                throw new IllegalArgumentException(
                        "filterFalsePositiveRate must be in (0, 1), but was " + rate);
            }
            this.filterFalsePositiveRate = rate;
            return this;
        }

        /**
         * Sets how the page buffers of the generations this sink writes are compressed (default:
         * the table's; {@link TableOptions#DEFAULT_COMPRESSION} for a new table, which records it
         * as its own). Readers decode every codec, so a table may hold generations of several.
         */
        public Builder<IN> compression(PageCompression compression) {
            this.compression = requireNonNull(compression, "compression");
            return this;
        }

        /**
         * Sets the size bound of a bucket's memtable (default 64 MiB): a bucket whose memtable
         * passes it is flushed to a generation at once, between checkpoints.
         */
        public Builder<IN> memtableBytes(long bytes) {
            this.memtableBytes = positive("memtableBytes", bytes);
            return this;
        }

        /**
         * Turns warm before commit on (default) or off. Off, generations go to the committer as
         * soon as they are written and no cache is held.
         */
        public Builder<IN> warming(boolean enabled) {
            this.warming = enabled;
            return this;
        }

        /**
         * Turns write-through on (default) or off: with warming on, each writer hands the
         * generation it has just written (its footer and pages, from its memory) to its
         * TaskManager's shared cache, so that the warm step, when it runs in the same TaskManager,
         * takes them from there instead of reading the file back. Off, every warm reads storage.
         */
        public Builder<IN> writeThrough(boolean enabled) {
            this.writeThrough = enabled;
            return this;
        }

        /**
         * Adds a warmer run (behind a gate of its own) before each commit, besides the default
         * warmer of the TaskManager's shared cache.
         */
        public Builder<IN> addWarmer(GenerationWarmerFactory factory) {
            warmers.add(requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Sets how long a generation may be held back by its warm, from its arrival at the warm
         * step (default: the cache settings' warm deadline, 30 s). Past it the generation is
         * committed cold.
         */
        public Builder<IN> warmDeadline(Duration deadline) {
            requireNonNull(deadline, "warmDeadline");
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException(
                        "warmDeadline must be positive, but was " + deadline);
            }
            this.warmDeadline = deadline;
            return this;
        }

        /**
         * Sets how many warms of each extra warmer run at once per subtask (default: the cache
         * settings' {@code maxConcurrentWarms}, 2). The default warmer's bound is the cache's.
         */
        public Builder<IN> warmConcurrency(int warms) {
            this.warmConcurrency = positive("warmConcurrency", warms);
            return this;
        }

        /**
         * Sets how the TaskManager's shared cache of the table is built, if this sink is the first
         * to open it (default {@link CacheSettings#defaults()}).
         */
        public Builder<IN> cacheSettings(CacheSettings settings) {
            this.cache = requireNonNull(settings, "cacheSettings");
            return this;
        }

        /**
         * Sets the sink's name (default {@value #DEFAULT_NAME}): the prefix of its committer id and
         * of the names of the operators it adds.
         */
        public Builder<IN> name(String name) {
            requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Sets whether the operators the sink adds get uids derived from the sink's uid (default
         * {@code true}), when it has one. Off, their state is matched by Flink's generated hashes
         * even when the sink has a uid (as in Kiln versions that needed this for sinks without
         * one).
         */
        public Builder<IN> operatorUids(boolean enabled) {
            this.operatorUids = enabled;
            return this;
        }

        /**
         * Turns compaction on (default) or off. On, each writer subtask compacts the buckets it
         * writes in the background, with the policy set by {@link #compactionMaxGenerations} and
         * {@link #compactionTierFactor}; outputs are warmed before the commit that retires their
         * inputs. Off, the table grows a generation per bucket and checkpoint until something else
         * (e.g. {@link dev.kiln.flink.action.CompactAction}) compacts it.
         */
        public Builder<IN> compaction(boolean enabled) {
            this.compaction = enabled;
            return this;
        }

        /**
         * Sets how many live generations a bucket may hold after compaction (default {@value
         * CompactionPolicy#DEFAULT_MAX_GENERATIONS}); at least 1.
         */
        public Builder<IN> compactionMaxGenerations(int generations) {
            if (generations < 1) {
                throw new IllegalArgumentException(
                        "compactionMaxGenerations must be at least 1, but was " + generations);
            }
            policy.maxGenerations(generations);
            return this;
        }

        /**
         * Sets how many generations of one size tier merge into one, which is also the size factor
         * between tiers (default {@value CompactionPolicy#DEFAULT_TIER_FACTOR}); at least 2.
         */
        public Builder<IN> compactionTierFactor(int factor) {
            if (factor < 2) {
                throw new IllegalArgumentException(
                        "compactionTierFactor must be at least 2, but was " + factor);
            }
            policy.tierFactor(factor);
            return this;
        }

        /**
         * Makes the committer expire old versions after each commit (default: never): a version is
         * kept if it is one of the newest {@code keepLast} or younger than {@code keepFor}. Best
         * effort: a failure is logged and retried after the next commit, never failing the job. The
         * generation files only expired versions named become orphans, which {@link
         * KilnTable#removeOrphans} deletes.
         *
         * @param keepLast at least 1
         * @param keepFor not negative
         */
        public Builder<IN> expireVersions(int keepLast, Duration keepFor) {
            if (keepLast < 1) {
                throw new IllegalArgumentException(
                        "expireVersions keepLast must be at least 1, but was " + keepLast);
            }
            requireNonNull(keepFor, "expireVersions keepFor");
            if (keepFor.isNegative()) {
                throw new IllegalArgumentException(
                        "expireVersions keepFor must not be negative, but was " + keepFor);
            }
            this.expiry = new SinkSettings.Expiry(keepLast, keepFor);
            return this;
        }

        /**
         * Makes the committer delete orphan files older than {@code olderThan} (default: never):
         * generation files no retained version names (inputs of compactions once the versions
         * naming them expired, files of checkpoints that failed) and leftovers of publishes, as
         * {@link KilnTable#removeOrphans} does. It runs after a commit, at most once per {@code
         * olderThan}, the first time after the committer starts. Best effort: a failure is logged
         * and retried after the next commit, never failing the job.
         *
         * <p>{@code olderThan} must exceed the longest time between flushing a generation and
         * committing it, downtime before a restore included (a checkpoint or savepoint restored
         * with commits pending): such a commit finds its file removed and fails the job with {@link
         * dev.kiln.table.MissingGenerationException}, losing nothing already committed.
         *
         * @param olderThan at least {@link #MIN_ORPHAN_GRACE_PERIOD}
         */
        public Builder<IN> removeOrphans(Duration olderThan) {
            requireNonNull(olderThan, "removeOrphans olderThan");
            if (olderThan.compareTo(MIN_ORPHAN_GRACE_PERIOD) < 0) {
                throw new IllegalArgumentException(
                        "removeOrphans olderThan must be at least "
                                + MIN_ORPHAN_GRACE_PERIOD
                                + ", but was "
                                + olderThan);
            }
            this.orphansOlderThan = olderThan;
            return this;
        }

        /**
         * Creates the table if it is absent, checks it if it exists, and returns the sink.
         *
         * @throws TableMismatchException if the existing table has another schema, primary key or
         *     bucket count, naming the path and the difference
         * @throws org.apache.flink.table.api.ValidationException naming the column if the row type
         *     or primary key cannot make a table
         * @throws UncheckedIOException if the table cannot be read or created
         */
        public KilnSink<IN> build() {
            Schema schema = FlinkArrowTypes.toArrowSchema(rowType, primaryKey);
            TableOptions existing;
            try {
                existing = openOrCreate(schema);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot create or open the Kiln table at " + tablePath + ": " + e, e);
            }
            String difference =
                    FlinkArrowTypes.difference(existing.schema().getFields(), schema.getFields());
            if (difference == null && !existing.primaryKey().equals(primaryKey)) {
                difference =
                        "the table's primary key is "
                                + existing.primaryKey()
                                + ", but the sink's is "
                                + primaryKey;
            }
            if (difference == null
                    && bucketCount != null
                    && existing.bucketCount() != bucketCount) {
                difference =
                        "the table has "
                                + existing.bucketCount()
                                + " buckets, but the sink is built for "
                                + bucketCount;
            }
            if (difference == null
                    && compactionCompressionLevel != null
                    && !compactionCompressionLevel.equals(existing.compactionCompressionLevel())) {
                difference =
                        "the table's compaction compression level is "
                                + existing.compactionCompressionLevel()
                                + " (fixed when the table is created), but the sink sets "
                                + compactionCompressionLevel;
            }
            if (difference == null
                    && bottommostFilterFalsePositiveRate != null
                    && !bottommostFilterFalsePositiveRate.equals(
                            existing.bottommostFilterFalsePositiveRate())) {
                difference =
                        "the table's bottommost filter false-positive rate is "
                                + existing.bottommostFilterFalsePositiveRate()
                                + " (fixed when the table is created), but the sink sets "
                                + bottommostFilterFalsePositiveRate;
            }
            if (difference != null) {
                throw new TableMismatchException(
                        "the Kiln table at "
                                + tablePath
                                + " does not match the sink: "
                                + difference);
            }
            TableOptions.Builder write =
                    TableOptions.builder(existing.schema(), existing.primaryKey())
                            .bucketCount(existing.bucketCount())
                            .targetPageBytes(
                                    targetPageBytes != null
                                            ? targetPageBytes
                                            : existing.targetPageBytes())
                            .pageSizeBasis(
                                    pageSizeBasis != null
                                            ? pageSizeBasis
                                            : existing.pageSizeBasis())
                            .filterFalsePositiveRate(
                                    filterFalsePositiveRate != null
                                            ? filterFalsePositiveRate
                                            : existing.filterFalsePositiveRate())
                            .compression(compression != null ? compression : existing.compression())
                            .generationFormatVersion(existing.generationFormatVersion())
                            // Compaction writes from the table's own metadata, like the level.
                            .bottommostFilterFalsePositiveRate(
                                    existing.bottommostFilterFalsePositiveRate());
            if (write.build().compression().codec() == PageCompression.Codec.ZSTD) {
                // Compaction writes from the table's own metadata; kept here for completeness.
                write.compactionCompressionLevel(existing.compactionCompressionLevel());
            }
            SinkSettings settings =
                    new SinkSettings(
                            tablePath,
                            rowType,
                            write.build(),
                            memtableBytes,
                            warming,
                            writeThrough,
                            List.copyOf(warmers),
                            warmDeadline != null ? warmDeadline : cache.warmDeadline(),
                            warmConcurrency != null ? warmConcurrency : cache.maxConcurrentWarms(),
                            cache,
                            name,
                            operatorUids,
                            compaction ? policy.build() : null,
                            expiry,
                            orphansOlderThan);
            return new KilnSink<>(settings, converter);
        }

        private TableOptions openOrCreate(Schema schema) throws IOException {
            try {
                return KilnTable.open(tablePath).options();
            } catch (TableNotFoundException absent) {
                TableOptions.Builder options =
                        TableOptions.builder(schema, primaryKey)
                                .bucketCount(
                                        bucketCount != null ? bucketCount : DEFAULT_BUCKET_COUNT);
                if (targetPageBytes != null) {
                    options.targetPageBytes(targetPageBytes);
                }
                if (pageSizeBasis != null) {
                    options.pageSizeBasis(pageSizeBasis);
                }
                if (compactionCompressionLevel != null) {
                    options.compactionCompressionLevel(compactionCompressionLevel);
                }
                if (filterFalsePositiveRate != null) {
                    options.filterFalsePositiveRate(filterFalsePositiveRate);
                }
                if (bottommostFilterFalsePositiveRate != null) {
                    options.bottommostFilterFalsePositiveRate(bottommostFilterFalsePositiveRate);
                }
                if (compression != null) {
                    options.compression(compression);
                }
                try {
                    return KilnTable.create(tablePath, options.build()).options();
                } catch (TableAlreadyExistsException raced) {
                    return KilnTable.open(tablePath).options();
                }
            }
        }

        private static int positive(String option, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(option + " must be positive, but was " + value);
            }
            return value;
        }

        private static long positive(String option, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(option + " must be positive, but was " + value);
            }
            return value;
        }
    }

    /** The converter of a sink of {@link RowData}. */
    private static final class IdentityConverter implements RowDataConverter<RowData> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(RowData row) {
            return row;
        }
    }
}
