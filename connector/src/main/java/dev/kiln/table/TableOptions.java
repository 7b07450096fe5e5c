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

package dev.kiln.table;

import dev.kiln.format.GenerationWriter;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.PageCompression;

import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

import org.apache.arrow.vector.types.pojo.Schema;

import javax.annotation.Nullable;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * What a table is, fixed when it is created: the row schema, the primary key, the bucket count, and
 * how generations are written (page size and what it counts, key filter false-positive rate, page
 * compression, and compaction outputs' ZSTD level and, for bottommost outputs, key filter rate).
 *
 * <p>Immutable, thread-safe and {@link Serializable} (Flink ships it to tasks): the schema is held
 * as Arrow's JSON form. Built and validated by {@link #builder}; every error names the option. A
 * DataStream job builds them from a Flink row type with {@code
 * dev.kiln.flink.data.FlinkArrowTypes#tableOptions(RowType, List)}, which names no Arrow type (the
 * {@code sql} jar relocates Arrow).
 */
@PublicEvolving
public final class TableOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * The most buckets a table can have: {@code 2^15 = 32768}, Flink's highest max parallelism.
     * Bucket {@code b} is written by writer subtask {@code b mod parallelism}, so more buckets than
     * a job can have subtasks spread the writes no further; they only make more, smaller
     * generations (and more bucket folders for orphan cleanup to list).
     */
    public static final int MAX_BUCKET_COUNT = 1 << 15;

    /**
     * The page compression of a new table: ZSTD at level {@value
     * PageCompression#DEFAULT_ZSTD_LEVEL} (chosen by measurement, see {@code docs/design.md}). A
     * table whose metadata names no compression (created before the option existed) writes
     * uncompressed pages, so that readers of an older Kiln keep reading its new generations.
     */
    public static final PageCompression DEFAULT_COMPRESSION = PageCompression.ZSTD;

    private final String schemaJson;
    private final List<String> primaryKey;
    private final int bucketCount;
    private final long targetPageBytes;
    private final PageSizeBasis pageSizeBasis;
    private final double filterFalsePositiveRate;
    private final PageCompression compression;
    @Nullable private final Integer compactionCompressionLevel;
    @Nullable private final Integer generationFormatVersion;
    @Nullable private final Double bottommostFilterFalsePositiveRate;
    private transient Schema schema;

    private TableOptions(Builder builder) {
        this.schemaJson = builder.schema.toJson();
        this.schema = builder.schema;
        this.primaryKey = List.copyOf(builder.primaryKey);
        this.bucketCount = builder.bucketCount;
        this.targetPageBytes = builder.targetPageBytes;
        this.pageSizeBasis = builder.pageSizeBasis;
        this.filterFalsePositiveRate = builder.filterFalsePositiveRate;
        this.compression = builder.compression;
        this.compactionCompressionLevel = builder.compactionCompressionLevel;
        this.generationFormatVersion = builder.generationFormatVersion;
        this.bottommostFilterFalsePositiveRate = builder.bottommostFilterFalsePositiveRate;
    }

    /**
     * What {@link #targetPageBytes} counts: the page's Arrow buffers as a reader holds them decoded
     * ({@link #DECODED}, the default), or the page's bytes on storage, compressed ({@link
     * #STORED}). See {@code docs/format.md}.
     */
    @PublicEvolving
    public enum PageSizeBasis {
        /**
         * Pages are cut at the target in Arrow bytes: every page takes about the same memory in a
         * cache, whatever the codec; a compressed page is smaller on storage.
         */
        DECODED("decoded"),
        /**
         * Pages are cut at about the target in bytes on storage ({@code
         * GenerationWriter.Builder#targetStoredPageBytes}): a compressed page holds more rows, and
         * takes more memory decoded (at most {@value
         * GenerationWriter#MAX_DECODED_PER_STORED_PAGE_BYTES} times the target).
         */
        STORED("stored");

        private final String optionValue;

        PageSizeBasis(String optionValue) {
            this.optionValue = optionValue;
        }

        /** Returns how options name it: {@code decoded} or {@code stored}. */
        public String optionValue() {
            return optionValue;
        }

        /**
         * Parses {@code decoded} or {@code stored} (case ignored).
         *
         * @param option how the caller names the setting, for the error
         * @throws IllegalArgumentException naming {@code option} if {@code value} is neither
         */
        public static PageSizeBasis parse(String option, String value) {
            String name = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
            for (PageSizeBasis basis : values()) {
                if (basis.optionValue.equals(name)) {
                    return basis;
                }
            }
            throw new IllegalArgumentException(
                    option + " must be one of decoded, stored, but was '" + value + "'");
        }
    }

    /**
     * Returns a builder of options for rows of {@code schema} keyed by {@code primaryKey} (one or
     * more columns, in key order).
     *
     * <p>Internal: its signature names an Arrow type, which the {@code sql} jar relocates, so a job
     * calling it fails to link against that jar. A DataStream job uses {@code
     * dev.kiln.flink.data.FlinkArrowTypes#tableOptions(RowType, List)}.
     */
    @Internal
    public static Builder builder(Schema schema, List<String> primaryKey) {
        return new Builder(schema, primaryKey);
    }

    /**
     * Returns the schema of the table's rows.
     *
     * <p>Internal: its signature names an Arrow type (see {@link #builder}). A DataStream job uses
     * {@code dev.kiln.flink.data.FlinkArrowTypes#rowType(TableOptions)}.
     */
    @Internal
    public Schema schema() {
        if (schema == null) {
            try {
                schema = Schema.fromJSON(schemaJson);
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable schema JSON in table options", e);
            }
        }
        return schema;
    }

    /** Returns the primary-key columns, in key order. */
    public List<String> primaryKey() {
        return primaryKey;
    }

    /**
     * Returns {@code count} if it is a valid bucket count, in {@code [1, }{@value
     * #MAX_BUCKET_COUNT}{@code ]}.
     *
     * @param option how the caller names the setting, for the error
     * @throws IllegalArgumentException naming {@code option} if {@code count} is out of range
     */
    public static int checkBucketCount(String option, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException(option + " must be positive, but was " + count);
        }
        if (count > MAX_BUCKET_COUNT) {
            throw new IllegalArgumentException(
                    option + " must be at most " + MAX_BUCKET_COUNT + ", but was " + count);
        }
        return count;
    }

    /**
     * Returns {@code rate} if it is a valid key filter false-positive rate, in (0, 1).
     *
     * @param option how the caller names the setting, for the error
     * @throws IllegalArgumentException naming {@code option} if {@code rate} is out of range
     */
    public static double checkFilterFalsePositiveRate(String option, double rate) {
        if (!(rate > 0 && rate < 1)) {
            throw new IllegalArgumentException(option + " must be in (0, 1), but was " + rate);
        }
        return rate;
    }

    /** Returns the number of buckets: a key's bucket is {@code KeyCodec.bucket(key, count)}. */
    public int bucketCount() {
        return bucketCount;
    }

    /** Returns the page size generations are written with, counted as {@link #pageSizeBasis}. */
    public long targetPageBytes() {
        return targetPageBytes;
    }

    /** Returns what {@link #targetPageBytes} counts. */
    public PageSizeBasis pageSizeBasis() {
        // null in a form serialized before the option existed
        return pageSizeBasis == null ? PageSizeBasis.DECODED : pageSizeBasis;
    }

    /** Returns the false-positive rate generation key filters are sized for. */
    public double filterFalsePositiveRate() {
        return filterFalsePositiveRate;
    }

    /**
     * Returns the false-positive rate the key filters of bottommost compaction outputs are sized
     * for, or {@code null} if they are sized for {@link #filterFalsePositiveRate} like the others.
     * A bottommost output is written by a compaction whose run starts at its bucket's oldest
     * generation (the one that drops tombstones): it holds most of the bucket's rows and is probed
     * only for keys every newer generation's filter let through, so its filter saves reads only for
     * keys absent from the whole table.
     */
    @Nullable
    public Double bottommostFilterFalsePositiveRate() {
        return bottommostFilterFalsePositiveRate;
    }

    /** Returns how the buffers of new generations' pages are compressed. */
    public PageCompression compression() {
        return compression;
    }

    /**
     * Returns the ZSTD level of the generations compaction writes, or {@code null} if they are
     * written with {@link #compression} like the others.
     */
    @Nullable
    public Integer compactionCompressionLevel() {
        return compactionCompressionLevel;
    }

    /**
     * Returns how compaction outputs' page buffers are compressed: {@link #compression}, at {@link
     * #compactionCompressionLevel} if one is set.
     */
    public PageCompression compactionCompression() {
        return compactionCompressionLevel == null
                ? compression
                : PageCompression.zstd(compactionCompressionLevel);
    }

    /** Returns the codec of the primary key. */
    public KeyCodec keyCodec() {
        return KeyCodec.of(schema(), primaryKey);
    }

    /** Returns the bucket of encoded key {@code key}. */
    public int bucketOf(byte[] key) {
        return KeyCodec.bucket(key, bucketCount);
    }

    /**
     * Returns the format version of the generation files this table's writers write: {@link
     * GenerationWriter#FORMAT_VERSION} for a table created with this Kiln unless set otherwise, the
     * version recorded at its creation for a table created before ({@link
     * GenerationWriter#FORMAT_VERSION_BASE64_INDEX} if none was: so that readers of an older Kiln
     * keep reading its new generations). Readers read every version.
     */
    public int generationFormatVersion() {
        // null in a form serialized before the option existed
        return generationFormatVersion == null
                ? GenerationWriter.FORMAT_VERSION_BASE64_INDEX
                : generationFormatVersion;
    }

    /** Returns a writer of generations of this table. */
    public GenerationWriter newWriter() {
        return newWriter(compression, filterFalsePositiveRate);
    }

    /**
     * Returns a writer of compaction outputs: {@link #newWriter} with {@link
     * #compactionCompression}.
     */
    public GenerationWriter newCompactionWriter() {
        return newWriter(compactionCompression(), filterFalsePositiveRate);
    }

    /**
     * Returns a writer of bottommost compaction outputs (see {@link
     * #bottommostFilterFalsePositiveRate}): {@link #newCompactionWriter} with key filters sized for
     * {@link #bottommostFilterFalsePositiveRate} if one is set.
     */
    public GenerationWriter newBottommostCompactionWriter() {
        return newWriter(
                compactionCompression(),
                bottommostFilterFalsePositiveRate == null
                        ? filterFalsePositiveRate
                        : bottommostFilterFalsePositiveRate);
    }

    private GenerationWriter newWriter(PageCompression pageCompression, double filterRate) {
        GenerationWriter.Builder writer =
                GenerationWriter.builder(schema(), primaryKey)
                        .filterFalsePositiveRate(filterRate)
                        .compression(pageCompression)
                        .formatVersion(generationFormatVersion());
        return (pageSizeBasis() == PageSizeBasis.STORED
                        ? writer.targetStoredPageBytes(targetPageBytes)
                        : writer.targetPageBytes(targetPageBytes))
                .build();
    }

    String schemaJson() {
        return schemaJson;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TableOptions other
                && schemaJson.equals(other.schemaJson)
                && primaryKey.equals(other.primaryKey)
                && bucketCount == other.bucketCount
                && targetPageBytes == other.targetPageBytes
                && pageSizeBasis() == other.pageSizeBasis()
                && Double.compare(filterFalsePositiveRate, other.filterFalsePositiveRate) == 0
                && compression.equals(other.compression)
                && Objects.equals(compactionCompressionLevel, other.compactionCompressionLevel)
                && generationFormatVersion() == other.generationFormatVersion()
                && Objects.equals(
                        bottommostFilterFalsePositiveRate, other.bottommostFilterFalsePositiveRate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                schemaJson,
                primaryKey,
                bucketCount,
                targetPageBytes,
                pageSizeBasis(),
                filterFalsePositiveRate,
                compression,
                compactionCompressionLevel,
                generationFormatVersion(),
                bottommostFilterFalsePositiveRate);
    }

    @Override
    public String toString() {
        return "TableOptions{primaryKey="
                + primaryKey
                + ", bucketCount="
                + bucketCount
                + ", targetPageBytes="
                + targetPageBytes
                + ", pageSizeBasis="
                + pageSizeBasis().optionValue()
                + ", filterFalsePositiveRate="
                + filterFalsePositiveRate
                + ", compression="
                + compression
                + ", compactionCompressionLevel="
                + compactionCompressionLevel
                + ", generationFormatVersion="
                + generationFormatVersion()
                + ", bottommostFilterFalsePositiveRate="
                + bottommostFilterFalsePositiveRate
                + ", schema="
                + schema()
                + "}";
    }

    /**
     * Builds {@link TableOptions}; validates each option as it is set (the writer options by the
     * {@link GenerationWriter.Builder} that will use them). Not thread-safe.
     */
    @PublicEvolving
    public static final class Builder {
        private final Schema schema;
        private final List<String> primaryKey;
        private final GenerationWriter.Builder writer;
        private int bucketCount = 1;
        private long targetPageBytes = GenerationWriter.DEFAULT_TARGET_PAGE_BYTES;
        private PageSizeBasis pageSizeBasis = PageSizeBasis.DECODED;
        private double filterFalsePositiveRate =
                GenerationWriter.DEFAULT_FILTER_FALSE_POSITIVE_RATE;
        private PageCompression compression = DEFAULT_COMPRESSION;
        @Nullable private Integer compactionCompressionLevel;
        private int generationFormatVersion = GenerationWriter.FORMAT_VERSION;
        @Nullable private Double bottommostFilterFalsePositiveRate;

        private Builder(Schema schema, List<String> primaryKey) {
            this.schema = requireNonNull(schema, "schema");
            this.primaryKey = List.copyOf(requireNonNull(primaryKey, "primaryKey"));
            // Validates the key columns (present, non-empty, key-able types), naming the column.
            this.writer = GenerationWriter.builder(schema, primaryKey);
        }

        /**
         * Sets the number of buckets (default 1); must be in {@code [1, }{@value
         * #MAX_BUCKET_COUNT}{@code ]}.
         *
         * @throws IllegalArgumentException naming {@code bucketCount} if out of range
         */
        public Builder bucketCount(int count) {
            this.bucketCount = checkBucketCount("bucketCount", count);
            return this;
        }

        /** Sets the target page size of generations (default 128 KiB); must be positive. */
        public Builder targetPageBytes(long bytes) {
            writer.targetPageBytes(bytes);
            this.targetPageBytes = bytes;
            return this;
        }

        /**
         * Sets what {@link #targetPageBytes} counts (default {@link PageSizeBasis#DECODED}, which
         * is also what a table whose metadata names none has).
         */
        public Builder pageSizeBasis(PageSizeBasis basis) {
            this.pageSizeBasis = requireNonNull(basis, "pageSizeBasis");
            return this;
        }

        /** Sets the key filter's false-positive rate (default 1%); must be in (0, 1). */
        public Builder filterFalsePositiveRate(double rate) {
            writer.filterFalsePositiveRate(rate);
            this.filterFalsePositiveRate = rate;
            return this;
        }

        /**
         * Sets the false-positive rate of the key filters of bottommost compaction outputs (see
         * {@link TableOptions#bottommostFilterFalsePositiveRate}; default: none, {@link
         * #filterFalsePositiveRate}). A higher rate takes filter bytes off most of the table's rows
         * (at 1%, about 1.2 B per row; at 0.9, 0.03) for storage reads of keys absent from the
         * whole table: each such lookup of an uncached bottommost generation reads a page with this
         * probability. The files are the same format whatever the rate: every Kiln reads them.
         * {@code null} clears it.
         *
         * @throws IllegalArgumentException naming {@code bottommostFilterFalsePositiveRate} unless
         *     the rate is in (0, 1)
         */
        public Builder bottommostFilterFalsePositiveRate(@Nullable Double rate) {
            this.bottommostFilterFalsePositiveRate =
                    rate == null
                            ? null
                            : checkFilterFalsePositiveRate(
                                    "bottommostFilterFalsePositiveRate", rate);
            return this;
        }

        /**
         * Sets how the buffers of new generations' pages are compressed (default {@link
         * #DEFAULT_COMPRESSION}). Readers decode every codec, so changing it affects only the
         * generations written afterwards.
         */
        public Builder compression(PageCompression compression) {
            this.compression = requireNonNull(compression, "compression");
            return this;
        }

        /**
         * Sets the ZSTD level of the generations compaction writes (default: none, the level of
         * {@link #compression}); cold rows, rewritten anyway, may take a slower, smaller level.
         * Only with ZSTD {@link #compression} ({@link #build} checks). {@code null} clears it.
         *
         * @throws IllegalArgumentException naming {@code compactionCompressionLevel} unless the
         *     level is in [{@value PageCompression#MIN_ZSTD_LEVEL}, {@value
         *     PageCompression#MAX_ZSTD_LEVEL}]
         */
        public Builder compactionCompressionLevel(@Nullable Integer level) {
            if (level != null) {
                PageCompression.parse(
                        "compression", "zstd", "compactionCompressionLevel", level); // validates
            }
            this.compactionCompressionLevel = level;
            return this;
        }

        /**
         * Sets the format version of the generation files written (default {@link
         * GenerationWriter#FORMAT_VERSION}: short strings as Arrow string views); {@link
         * GenerationWriter#FORMAT_VERSION_RAW_INDEX} keeps them readable by a Kiln older than
         * version {@link GenerationWriter#FORMAT_VERSION} (strings always {@code Utf8}), {@link
         * GenerationWriter#FORMAT_VERSION_BASE64_INDEX} by a Kiln older than version {@link
         * GenerationWriter#FORMAT_VERSION_RAW_INDEX}, at about 0.4 B per row more.
         *
         * @throws IllegalArgumentException naming {@code generationFormatVersion} if it is none
         */
        public Builder generationFormatVersion(int version) {
            writer.formatVersion(version);
            this.generationFormatVersion = version;
            return this;
        }

        /**
         * Returns the options.
         *
         * @throws IllegalArgumentException naming {@code compactionCompressionLevel} if it is set
         *     but {@link #compression} is not ZSTD
         */
        public TableOptions build() {
            if (compactionCompressionLevel != null
                    && compression.codec() != PageCompression.Codec.ZSTD) {
                throw new IllegalArgumentException(
                        "compactionCompressionLevel applies to zstd only, but compression is '"
                                + compression.codec().optionValue()
                                + "'");
            }
            return new TableOptions(this);
        }
    }
}
