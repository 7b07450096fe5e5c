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

import dev.kiln.format.GenerationWriter;
import dev.kiln.format.PageCompression;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStreamSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sink's builder: table creation, checks against an existing table, options, uids. */
class KilnSinkBuilderTest {

    @TempDir java.nio.file.Path dir;

    private Path path() {
        return new Path(dir.resolve("t").toUri());
    }

    @Test
    void createsTheTableAndAcceptsItAgain() throws Exception {
        KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY).bucketCount(5).build();
        KilnTable table = KilnTable.open(path());
        assertThat(table.options().bucketCount()).isEqualTo(5);
        assertThat(table.options().primaryKey()).isEqualTo(SinkTestData.KEY);

        KilnSink<RowData> again =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY).build();
        assertThat(again.settings().writeOptions().bucketCount()).isEqualTo(5);
    }

    @Test
    void aNewTableRecordsTheCompressionAndASinkMayOverrideItForItsFlushes() throws Exception {
        KilnSink<RowData> first =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY).build();
        assertThat(first.settings().writeOptions().compression())
                .isEqualTo(TableOptions.DEFAULT_COMPRESSION);
        assertThat(KilnTable.open(path()).options().compression())
                .isEqualTo(TableOptions.DEFAULT_COMPRESSION);

        KilnSink<RowData> lz4 =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                        .compression(PageCompression.LZ4_FRAME)
                        .build();
        assertThat(lz4.settings().writeOptions().compression())
                .isEqualTo(PageCompression.LZ4_FRAME);
        assertThat(lz4.settings().writeOptions().newWriter().compression())
                .isEqualTo(PageCompression.LZ4_FRAME);
        assertThat(KilnTable.open(path()).options().compression())
                .as("the table keeps its own")
                .isEqualTo(TableOptions.DEFAULT_COMPRESSION);

        Path other = new Path(dir.resolve("none").toUri());
        KilnSink.forRowData(other, SinkTestData.ROW_TYPE, SinkTestData.KEY)
                .compression(PageCompression.NONE)
                .build();
        assertThat(KilnTable.open(other).options().compression()).isEqualTo(PageCompression.NONE);
    }

    @Test
    void theSinkWritesTheTablesGenerationFormatVersion() throws Exception {
        KilnSink<RowData> created =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY).build();
        assertThat(created.settings().writeOptions().generationFormatVersion())
                .isEqualTo(GenerationWriter.FORMAT_VERSION);

        // A table that older readers still read (as one created before the option): the sink
        // keeps writing its version.
        Path older = new Path(dir.resolve("older").toUri());
        TableOptions table = KilnTable.open(path()).options();
        KilnTable.create(
                older,
                TableOptions.builder(table.schema(), table.primaryKey())
                        .bucketCount(table.bucketCount())
                        .generationFormatVersion(GenerationWriter.FORMAT_VERSION_BASE64_INDEX)
                        .build());
        KilnSink<RowData> onOlder =
                KilnSink.forRowData(older, SinkTestData.ROW_TYPE, SinkTestData.KEY).build();
        assertThat(onOlder.settings().writeOptions().generationFormatVersion())
                .isEqualTo(GenerationWriter.FORMAT_VERSION_BASE64_INDEX);
    }

    @Test
    void aNewTableRecordsThePageSizeBasisAndTheCompactionLevelWhichIsFixedAfterwards()
            throws Exception {
        KilnSink<RowData> first =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                        .pageSizeBasis(TableOptions.PageSizeBasis.STORED)
                        .compactionCompressionLevel(19)
                        .build();
        assertThat(first.settings().writeOptions().newWriter().sizesPagesByStoredBytes()).isTrue();
        TableOptions table = KilnTable.open(path()).options();
        assertThat(table.pageSizeBasis()).isEqualTo(TableOptions.PageSizeBasis.STORED);
        assertThat(table.compactionCompression()).isEqualTo(PageCompression.zstd(19));

        // A later sink keeps the table's, may count its flushes' pages in Arrow bytes, and may
        // not change the compaction level.
        KilnSink<RowData> again =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                        .pageSizeBasis(TableOptions.PageSizeBasis.DECODED)
                        .compactionCompressionLevel(19)
                        .build();
        assertThat(again.settings().writeOptions().newWriter().sizesPagesByStoredBytes()).isFalse();
        assertThat(KilnTable.open(path()).options().pageSizeBasis())
                .isEqualTo(TableOptions.PageSizeBasis.STORED);
        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                        .compactionCompressionLevel(9)
                                        .build())
                .isInstanceOf(TableMismatchException.class)
                .hasMessageContaining("compaction compression level is 19")
                .hasMessageContaining("9");
        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                        .compactionCompressionLevel(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compactionCompressionLevel");
        Path none = new Path(dir.resolve("none").toUri());
        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(none, SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                        .compression(PageCompression.NONE)
                                        .compactionCompressionLevel(19)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compactionCompressionLevel")
                .hasMessageContaining("zstd only");
    }

    @Test
    void aNewTableRecordsTheBottommostFilterRateWhichIsFixedAfterwards() throws Exception {
        KilnSink<RowData> first =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                        .bottommostFilterFalsePositiveRate(0.9)
                        .build();
        TableOptions table = KilnTable.open(path()).options();
        assertThat(table.bottommostFilterFalsePositiveRate()).isEqualTo(0.9);
        assertThat(table.newBottommostCompactionWriter().filterFalsePositiveRate()).isEqualTo(0.9);
        assertThat(first.settings().writeOptions().bottommostFilterFalsePositiveRate())
                .isEqualTo(0.9);
        // Flushes keep the table's rate.
        assertThat(first.settings().writeOptions().newWriter().filterFalsePositiveRate())
                .isEqualTo(table.filterFalsePositiveRate());

        // A later sink keeps it, and may not change it.
        KilnSink<RowData> again =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY).build();
        assertThat(again.settings().writeOptions().bottommostFilterFalsePositiveRate())
                .isEqualTo(0.9);
        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                        .bottommostFilterFalsePositiveRate(0.5)
                                        .build())
                .isInstanceOf(TableMismatchException.class)
                .hasMessageContaining("bottommost filter false-positive rate is 0.9")
                .hasMessageContaining("0.5");
        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                        .bottommostFilterFalsePositiveRate(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bottommostFilterFalsePositiveRate");
    }

    @Test
    void anExistingTableOfAnotherShapeIsATypedErrorNamingTheDifference() {
        KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY).bucketCount(4).build();

        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                        .bucketCount(8)
                                        .build())
                .isInstanceOf(TableMismatchException.class)
                .hasMessageContaining(path().toString())
                .hasMessageContaining("4 buckets")
                .hasMessageContaining("8");
        RowType otherType =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                        DataTypes.FIELD("v", DataTypes.INT()),
                                        DataTypes.FIELD("s", DataTypes.STRING()))
                                .getLogicalType();
        assertThatThrownBy(() -> KilnSink.forRowData(path(), otherType, SinkTestData.KEY).build())
                .isInstanceOf(TableMismatchException.class)
                .hasMessageContaining("'v'");
        RowType keyedByS =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                        DataTypes.FIELD("v", DataTypes.BIGINT()),
                                        DataTypes.FIELD("s", DataTypes.STRING().notNull()))
                                .getLogicalType();
        assertThatThrownBy(() -> KilnSink.forRowData(path(), keyedByS, List.of("id", "s")).build())
                .isInstanceOf(TableMismatchException.class)
                .hasMessageContaining("'s'");
    }

    @Test
    void compactionIsOnByDefaultAndExpiryOff() {
        SinkSettings defaults =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                        .build()
                        .settings();
        assertThat(defaults.compaction().maxGenerations())
                .isEqualTo(dev.kiln.table.CompactionPolicy.DEFAULT_MAX_GENERATIONS);
        assertThat(defaults.compaction().tierFactor())
                .isEqualTo(dev.kiln.table.CompactionPolicy.DEFAULT_TIER_FACTOR);
        assertThat(defaults.expiry()).isNull();
        assertThat(defaults.orphansOlderThan()).isNull();

        SinkSettings set =
                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                        .compactionMaxGenerations(3)
                        .compactionTierFactor(8)
                        .expireVersions(10, java.time.Duration.ofHours(1))
                        .removeOrphans(java.time.Duration.ofHours(6))
                        .build()
                        .settings();
        assertThat(set.compaction().maxGenerations()).isEqualTo(3);
        assertThat(set.compaction().tierFactor()).isEqualTo(8);
        assertThat(set.expiry())
                .isEqualTo(new SinkSettings.Expiry(10, java.time.Duration.ofHours(1)));
        assertThat(set.orphansOlderThan()).isEqualTo(java.time.Duration.ofHours(6));

        assertThat(
                        KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY)
                                .compaction(false)
                                .build()
                                .settings()
                                .compaction())
                .isNull();
    }

    @Test
    void optionsAreValidatedNamingThem() {
        var builder = KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, SinkTestData.KEY);
        assertThatThrownBy(() -> builder.bucketCount(0)).hasMessageContaining("bucketCount");
        assertThatThrownBy(() -> builder.memtableBytes(-1)).hasMessageContaining("memtableBytes");
        assertThatThrownBy(() -> builder.warmDeadline(java.time.Duration.ZERO))
                .hasMessageContaining("warmDeadline");
        assertThatThrownBy(() -> builder.warmConcurrency(0))
                .hasMessageContaining("warmConcurrency");
        assertThatThrownBy(() -> builder.filterFalsePositiveRate(1))
                .hasMessageContaining("filterFalsePositiveRate");
        assertThatThrownBy(() -> builder.name(" ")).hasMessageContaining("name");
        assertThatThrownBy(() -> builder.compactionMaxGenerations(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compactionMaxGenerations");
        assertThatThrownBy(() -> builder.compactionTierFactor(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compactionTierFactor");
        assertThatThrownBy(() -> builder.expireVersions(0, java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expireVersions keepLast");
        assertThatThrownBy(() -> builder.expireVersions(1, java.time.Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expireVersions keepFor");
        assertThatThrownBy(() -> builder.removeOrphans(java.time.Duration.ofSeconds(59)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("removeOrphans olderThan must be at least PT1M");
        assertThatThrownBy(
                        () ->
                                KilnSink.forRowData(path(), SinkTestData.ROW_TYPE, List.of("nope"))
                                        .build())
                .hasMessageContaining("nope");
    }

    @Test
    void everyAddedOperatorHasAUidDerivedFromTheSinks() {
        StreamGraph graph = graphOfASinkWithUid("orders-kiln");
        List<String> uids =
                graph.getStreamNodes().stream().map(StreamNode::getTransformationUID).toList();
        assertThat(uids)
                .contains(
                        "orders-kiln",
                        "orders-kiln: " + SinkTopology.GENERATIONS_UID,
                        "orders-kiln: " + SinkTopology.WARM_UID,
                        "orders-kiln: " + SinkTopology.AGGREGATOR_UID,
                        "Sink Committer: orders-kiln");
        StreamNode aggregator =
                graph.getStreamNodes().stream()
                        .filter(
                                n ->
                                        ("orders-kiln: " + SinkTopology.AGGREGATOR_UID)
                                                .equals(n.getTransformationUID()))
                        .findFirst()
                        .orElseThrow();
        assertThat(aggregator.getParallelism()).isOne();
        assertThat(aggregator.getMaxParallelism()).isOne();
    }

    @Test
    void aSinkWithoutUidTranslatesAndItsOperatorsGetNone() {
        StreamGraph graph = graphOfASinkWithUid(null);
        List<String> uids =
                graph.getStreamNodes().stream()
                        .map(StreamNode::getTransformationUID)
                        .filter(java.util.Objects::nonNull)
                        .toList();
        assertThat(uids).containsExactly("events");
        assertThat(graph.getStreamNodes())
                .extracting(StreamNode::getOperatorName)
                .anyMatch(name -> name.contains("commit aggregator"));
    }

    /** Returns the stream graph of a job writing with a sink whose uid is {@code uid} (or none). */
    private StreamGraph graphOfASinkWithUid(String uid) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(3);
        env.enableCheckpointing(1_000);
        DataStreamSink<?> sink =
                SinkTestData.events(env, 0, 10, 10, SinkTestData.from(0))
                        .sinkTo(
                                KilnSink.forType(
                                                path(),
                                                SinkTestData.ROW_TYPE,
                                                SinkTestData.KEY,
                                                new SinkTestData.Converter())
                                        .build());
        if (uid != null) {
            sink.uid(uid);
        }
        return env.getStreamGraph();
    }
}
