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

import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.data.RowKeyExtractor;

import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessageTypeInfo;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.transformations.PartitionTransformation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators a {@link KilnSink} adds around its writer: before it, the partitioning by bucket;
 * after it, the warm-before-commit step keyed by generation path and the commit aggregator, with
 * their uids derived from the sink's. Stateless; its functions run on the task threads Flink gives
 * them.
 */
final class SinkTopology {

    // The sink's logger: where its users look for its warnings.
    private static final Logger LOG = LoggerFactory.getLogger(KilnSink.class);

    static final String GENERATIONS_UID = "kiln-generations";
    static final String WARM_UID = "kiln-warm-before-commit";
    static final String AGGREGATOR_UID = "kiln-commit-aggregator";

    private SinkTopology() {}

    /** Sends bucket {@code b} of {@code input} to writer subtask {@code b mod parallelism}. */
    static <IN> DataStream<IN> partitionByBucket(
            DataStream<IN> input, RowDataConverter<IN> converter, SinkSettings settings) {
        return input.partitionCustom(
                new BucketPartitioner(),
                new BucketOf<>(
                        converter,
                        new RowKeyExtractor(
                                settings.rowType(), settings.writeOptions().primaryKey()),
                        settings.writeOptions().bucketCount()));
    }

    /**
     * Adds, after the writer, the warm-before-commit step and the aggregator that makes one
     * committable per checkpoint, all sent to the committer's subtask 0.
     */
    static DataStream<CommittableMessage<KilnCommittable>> warmAndAggregate(
            DataStream<CommittableMessage<WrittenGeneration>> written, SinkSettings settings) {
        TypeInformation<CommittableMessage<WrittenGeneration>> generationType =
                CommittableMessageTypeInfo.of(WrittenGenerationSerializer::new);
        TypeInformation<CommittableMessage<KilnCommittable>> committableType =
                CommittableMessageTypeInfo.of(KilnCommittableSerializer::new);
        String name = settings.name();
        SingleOutputStreamOperator<CommittableMessage<WrittenGeneration>> generations =
                written.filter(new IsGeneration()).name(name + " generations");
        SingleOutputStreamOperator<CommittableMessage<WrittenGeneration>> warmed =
                generations
                        .keyBy(new GenerationPath())
                        .transform(
                                name + " warm before commit",
                                generationType,
                                new WarmBeforeCommitOperatorFactory(settings));
        SingleOutputStreamOperator<CommittableMessage<KilnCommittable>> aggregated =
                warmed.global()
                        .transform(
                                name + " commit aggregator",
                                committableType,
                                new CommitAggregator(name, settings.tablePath().toString()))
                        .setParallelism(1)
                        .setMaxParallelism(1);
        // Flink has given the writer the sink's uid by now, if the sink has one, and prefixes the
        // uids set here with it; it refuses uids here on a sink without one.
        String sinkUid = writerUid(written.getTransformation());
        if (settings.operatorUids() && sinkUid != null && !sinkUid.isEmpty()) {
            generations.uid(GENERATIONS_UID);
            warmed.uid(WARM_UID);
            aggregated.uid(AGGREGATOR_UID);
        } else if (settings.operatorUids()) {
            LOG.warn(
                    "The Kiln sink of {} has no uid: its operators' state is matched by Flink's"
                            + " generated hashes, which a changed job graph does not keep. Set one"
                            + " (sinkTo(...).uid(...)) before taking savepoints to redeploy from.",
                    settings.tablePath());
        }
        // Flink's committer runs at the sink's parallelism: send everything to its subtask 0.
        return aggregated.global();
    }

    /** Returns the uid of the writer {@code written} comes from, through partitionings. */
    static String writerUid(Transformation<?> written) {
        Transformation<?> writer = written;
        while (writer instanceof PartitionTransformation && writer.getInputs().size() == 1) {
            writer = writer.getInputs().get(0);
        }
        return writer.getUid();
    }

    /** Bucket {@code b} goes to writer subtask {@code b mod parallelism}. */
    static final class BucketPartitioner implements Partitioner<Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public int partition(Integer bucket, int numPartitions) {
            return bucket % numPartitions;
        }
    }

    /** The bucket of an element. */
    static final class BucketOf<T> implements KeySelector<T, Integer> {
        private static final long serialVersionUID = 1L;
        private final RowDataConverter<T> converter;
        private final RowKeyExtractor keys;
        private final int bucketCount;

        BucketOf(RowDataConverter<T> converter, RowKeyExtractor keys, int bucketCount) {
            this.converter = converter;
            this.keys = keys;
            this.bucketCount = bucketCount;
        }

        @Override
        public Integer getKey(T element) {
            return keys.bucket(converter.convert(element), bucketCount);
        }
    }

    /** Keeps the generations, drops the writers' summaries (the aggregator makes its own). */
    static final class IsGeneration
            implements FilterFunction<CommittableMessage<WrittenGeneration>> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean filter(CommittableMessage<WrittenGeneration> message) {
            return message instanceof CommittableWithLineage;
        }
    }

    /** Keys a generation by its path. */
    static final class GenerationPath
            implements KeySelector<CommittableMessage<WrittenGeneration>, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(CommittableMessage<WrittenGeneration> message) {
            return ((CommittableWithLineage<WrittenGeneration>) message).getCommittable().keyPath();
        }
    }
}
