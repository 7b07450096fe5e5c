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

package dev.kiln.flink.lookup;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.KeyEncoder;
import dev.kiln.flink.data.RowConversion;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Experimental;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.Row;

import javax.annotation.Nullable;

import java.io.IOException;
import java.io.Serializable;

import static java.util.Objects.requireNonNull;

/**
 * Point lookups of a Kiln table from Flink's async I/O: the entry point of {@link
 * KilnLookupFunction}.
 *
 * <pre>{@code
 * Path table = new Path("s3://bucket/tables/customers");
 * DataStream<Order> orders = ...;
 * DataStream<Enriched> enriched =
 *         AsyncDataStream.unorderedWait(
 *                 KilnLookup.partitionByBucket(orders, (Order o) -> o.customerId, table),
 *                 KilnLookup.builder(table)
 *                         .partitionedByBucket()
 *                         .keyOf((Order o) -> o.customerId)
 *                         .build((order, customer) -> new Enriched(order, customer),
 *                                 TypeInformation.of(Enriched.class)),
 *                 1, TimeUnit.SECONDS, 1000);
 * }</pre>
 */
@PublicEvolving
public final class KilnLookup {

    private KilnLookup() {}

    /** Returns a builder of a lookup function of the table at {@code tablePath}. */
    public static Builder builder(Path tablePath) {
        return new Builder(requireNonNull(tablePath, "tablePath"));
    }

    /**
     * Returns {@code stream} partitioned so that every key of bucket {@code b} goes to subtask
     * {@code b % parallelism} of the next operator: a {@link KilnLookupFunction} built with {@link
     * Builder#partitionedByBucket()} then caches and warms only its own buckets. The same rule as
     * the Kiln sink's writers. Reads the table's options (blocking) when called.
     *
     * @throws IOException if the table cannot be opened
     */
    public static <IN> DataStream<IN> partitionByBucket(
            DataStream<IN> stream, KeyFunction<IN> keyOf, Path tablePath) throws IOException {
        return partitionByBucket(stream, keyOf, KilnTable.open(tablePath).options());
    }

    /**
     * Like {@link #partitionByBucket(DataStream, KeyFunction, Path)}, with the table's options
     * given instead of read: for a job built before its table exists (see {@link
     * Builder#tableOptions}). No I/O.
     */
    public static <IN> DataStream<IN> partitionByBucket(
            DataStream<IN> stream, KeyFunction<IN> keyOf, TableOptions tableOptions) {
        KeyEncoder keys = new KeyEncoder(requireNonNull(tableOptions, "tableOptions"));
        return stream.partitionCustom(new BucketPartitioner(), new BucketOf<>(keyOf, keys));
    }

    /** What to look up for an input: its key, see {@link #keyOf}. */
    @FunctionalInterface
    @PublicEvolving
    public interface KeyFunction<IN> extends Serializable {
        /**
         * Returns the primary key of {@code input}: the value of a single-column key ({@code Long},
         * {@code String}, {@code LocalDate}, …), an {@code Object[]} of the key columns' values in
         * key order, or a {@link RowData} of the key columns (internal data).
         */
        Object keyOf(IN input) throws Exception;
    }

    /**
     * Makes the output of an input and the row found for it.
     *
     * <p>The row's lifetime follows Flink's object reuse. Off (the default), {@code row} is a copy:
     * it may be kept, returned or emitted. On ({@code pipeline.object-reuse}), {@code row} may be a
     * view of the cached page that is valid only during this call and reused for the next input
     * (Flink's contract: a function must not remember objects it was handed after the call
     * returns): read its fields here, and do not keep, return or emit the row itself, nor put it in
     * the output; copy it ({@code RowDataSerializer#copy}) to keep it. Values read from it ({@code
     * StringData}, {@code byte[]}, {@code DecimalData}, {@code TimestampData}, numbers) are copies
     * and may be kept. See {@link KilnLookupFunction} and {@code docs/lookup.md}.
     */
    @FunctionalInterface
    @PublicEvolving
    public interface ResultFunction<IN, OUT> extends Serializable {
        /**
         * Returns the output for {@code input}, or {@code null} to emit nothing.
         *
         * @param row the newest row of the key, or {@code null} if the table has none (never
         *     written, or deleted); under object reuse valid only during this call (see above)
         */
        @Nullable
        OUT apply(IN input, @Nullable RowData row) throws Exception;
    }

    /**
     * What to emit for an input and the row found for it as a {@link Row} (see {@link
     * KeyedBuilder#buildForRows}).
     */
    @FunctionalInterface
    @Experimental
    public interface RowResultFunction<IN, OUT> extends Serializable {
        /**
         * Returns the output for {@code input}, or {@code null} to emit nothing.
         *
         * @param row the newest row of the key with the default conversion classes of the table's
         *     columns ({@code String}, {@code LocalDateTime}, ...), or {@code null} if the table
         *     has none
         */
        @Nullable
        OUT apply(IN input, @Nullable Row row) throws Exception;
    }

    /** Builds a {@link KilnLookupFunction}. Not thread-safe. */
    @PublicEvolving
    public static final class Builder {
        private final Path tablePath;
        private LookupOptions options = LookupOptions.defaults();
        private boolean partitionedByBucket;
        @Nullable private TableOptions tableOptions;

        private Builder(Path tablePath) {
            this.tablePath = tablePath;
        }

        /** Sets the options (default {@link LookupOptions#defaults()}). */
        public Builder options(LookupOptions options) {
            this.options = requireNonNull(options, "options");
            return this;
        }

        /**
         * Says that the input is partitioned with {@link #partitionByBucket}: each subtask then
         * owns (warms) only the buckets {@code b} with {@code b % parallelism == its index}.
         * Without it every subtask owns every bucket. A lookup of a bucket not owned is still
         * answered, correctly, and counted.
         */
        public Builder partitionedByBucket() {
            this.partitionedByBucket = true;
            return this;
        }

        /**
         * Sets the options of the table (schema, primary key, bucket count: those it is, or will
         * be, created with), so that the job can be built and started before its table exists.
         * Until the table is created every key is answered as absent (the result function gets
         * {@code null}); a lookup then follows the table from the first version it finds, warmed
         * before it answers from it, after checking that the table has this schema, primary key and
         * bucket count ({@link dev.kiln.table.IncompatibleTableException} if not). Without them,
         * the table is read when the function is built (for {@link KeyedBuilder#build()}) and
         * opened, and must exist then.
         */
        public Builder tableOptions(TableOptions tableOptions) {
            this.tableOptions = requireNonNull(tableOptions, "tableOptions");
            return this;
        }

        /** Sets how an input's key is found. */
        public <IN> KeyedBuilder<IN> keyOf(KeyFunction<IN> keyOf) {
            return new KeyedBuilder<>(this, requireNonNull(keyOf, "keyOf"));
        }
    }

    /** Builds a {@link KilnLookupFunction} once the key is known. Not thread-safe. */
    @PublicEvolving
    public static final class KeyedBuilder<IN> {
        private final Builder builder;
        private final KeyFunction<IN> keyOf;

        private KeyedBuilder(Builder builder, KeyFunction<IN> keyOf) {
            this.builder = builder;
            this.keyOf = keyOf;
        }

        /**
         * Returns a function that emits the row found for each input, and nothing when there is
         * none, typed {@code InternalTypeInfo.of(rowType)} of the table's row type, which this
         * reads (blocking) from the table now, or takes from {@link Builder#tableOptions} if set.
         * The function checks when it opens that the table still has that row type. The rows
         * emitted are copies, with or without object reuse (the operator emits them after the page
         * they were read from may be released).
         *
         * @throws IOException if the table cannot be opened
         */
        public KilnLookupFunction<IN, RowData> build() throws IOException {
            TableOptions table =
                    builder.tableOptions != null
                            ? builder.tableOptions
                            : KilnTable.open(builder.tablePath).options();
            RowType rowType = FlinkArrowTypes.toRowType(table.schema());
            return new KilnLookupFunction<>(
                    builder.tablePath,
                    builder.options,
                    builder.tableOptions,
                    builder.partitionedByBucket,
                    keyOf,
                    (input, row) -> row,
                    InternalTypeInfo.of(rowType),
                    rowType);
        }

        /**
         * As {@link #build(ResultFunction, TypeInformation)}, with the row found handed over as a
         * {@link Row} (Flink's default conversion classes of the table's columns) rather than as
         * internal {@link RowData}, which stays the faster path. The table's row type is read
         * (blocking) from the table now, or taken from {@link Builder#tableOptions} if set.
         *
         * @throws IOException if the table cannot be opened
         */
        @Experimental
        public <OUT> KilnLookupFunction<IN, OUT> buildForRows(
                RowResultFunction<IN, OUT> result, TypeInformation<OUT> outputType)
                throws IOException {
            TableOptions table =
                    builder.tableOptions != null
                            ? builder.tableOptions
                            : KilnTable.open(builder.tablePath).options();
            return build(
                    new RowResults<>(
                            requireNonNull(result, "result"),
                            FlinkArrowTypes.toRowType(table.schema())),
                    outputType);
        }

        /**
         * Returns a function that emits {@code result.apply(input, rowOrNull)} for each input, or
         * nothing when that returns {@code null} (so both inner and left joins can be written).
         * With Flink's object reuse enabled, {@code result} may be handed a view of the row valid
         * only during its call (see {@link ResultFunction}).
         */
        public <OUT> KilnLookupFunction<IN, OUT> build(
                ResultFunction<IN, OUT> result, TypeInformation<OUT> outputType) {
            return new KilnLookupFunction<>(
                    builder.tablePath,
                    builder.options,
                    builder.tableOptions,
                    builder.partitionedByBucket,
                    keyOf,
                    requireNonNull(result, "result"),
                    requireNonNull(outputType, "outputType"),
                    null);
        }
    }

    /** Hands a {@link RowResultFunction} the row found as a {@link Row}. */
    private static final class RowResults<IN, OUT> implements ResultFunction<IN, OUT> {
        private static final long serialVersionUID = 1L;
        private final RowResultFunction<IN, OUT> result;
        private final RowConversion.ToRow toRow;

        RowResults(RowResultFunction<IN, OUT> result, RowType rowType) {
            this.result = result;
            this.toRow = RowConversion.toRow(rowType);
        }

        @Override
        public OUT apply(IN input, @Nullable RowData row) throws Exception {
            return result.apply(input, toRow.convert(row));
        }
    }

    /** The bucket of an input's key. */
    private static final class BucketOf<IN> implements KeySelector<IN, Integer> {
        private static final long serialVersionUID = 1L;
        private final KeyFunction<IN> keyOf;
        private final KeyEncoder keys;

        BucketOf(KeyFunction<IN> keyOf, KeyEncoder keys) {
            this.keyOf = requireNonNull(keyOf, "keyOf");
            this.keys = keys;
        }

        @Override
        public Integer getKey(IN input) throws Exception {
            return keys.bucketOf(keys.encode(keyOf.keyOf(input)));
        }
    }

    /** Bucket {@code b} goes to channel {@code b % n}. */
    static final class BucketPartitioner implements Partitioner<Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public int partition(Integer bucket, int numPartitions) {
            return bucket % numPartitions;
        }
    }
}
