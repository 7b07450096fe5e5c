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

import dev.kiln.table.GenerationRef;

import org.apache.flink.streaming.api.connector.sink2.CommittableSummary;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The functions of {@link SinkTopology}, and how it finds the sink's uid. */
class SinkTopologyTest {

    @Test
    void bucketsGoToTheirSubtaskModuloTheParallelism() {
        SinkTopology.BucketPartitioner partitioner = new SinkTopology.BucketPartitioner();
        assertThat(partitioner.partition(0, 3)).isZero();
        assertThat(partitioner.partition(4, 3)).isEqualTo(1);
        assertThat(partitioner.partition(5, 8)).isEqualTo(5);
    }

    @Test
    void onlyGenerationsPassTheWritersSummariesAreDroppedAndGenerationsAreKeyedByPath() {
        CommittableWithLineage<WrittenGeneration> generation =
                SinkFixtures.lineage(
                        new GenerationRef("data/bucket-0/g.arrow", 0, null, null, 0, 10), 1, 1);
        SinkTopology.IsGeneration filter = new SinkTopology.IsGeneration();
        assertThat(filter.filter(generation)).isTrue();
        assertThat(filter.filter(new CommittableSummary<WrittenGeneration>(0, 1, 1L, 1, 0)))
                .isFalse();
        assertThat(new SinkTopology.GenerationPath().getKey(generation))
                .isEqualTo(generation.getCommittable().keyPath());
    }

    @Test
    void theWriterUidIsFoundThroughPartitionings() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Integer> writer = env.fromData(1, 2, 3).map(i -> i).uid("orders-kiln");
        assertThat(SinkTopology.writerUid(writer.rebalance().getTransformation()))
                .isEqualTo("orders-kiln");
        assertThat(SinkTopology.writerUid(writer.getTransformation())).isEqualTo("orders-kiln");
        assertThat(SinkTopology.writerUid(env.fromData(1).map(i -> i).getTransformation()))
                .isNull();
    }
}
