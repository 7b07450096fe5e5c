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

import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips of every serializer of the sink, and their refusal of unknown versions. */
class SinkSerializersTest {

    private static final GenerationRef REF =
            new GenerationRef(
                    "data/bucket-3/g-1.arrow", 3, new byte[] {1, 2}, new byte[] {9}, 42, 1234);
    private static final GenerationRef EMPTY =
            new GenerationRef("data/bucket-0/g-2.arrow", 0, null, null, 0, 7);

    @Test
    void writtenGenerationsRoundTrip() throws IOException {
        WrittenGenerationSerializer serializer = new WrittenGenerationSerializer();
        WrittenGeneration written = new WrittenGeneration(REF, 17, 1234567L);
        WrittenGeneration back =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(written));
        assertThat(back.flushSequence()).isEqualTo(17);
        assertThat(back.flushedAtMillis()).isEqualTo(1234567L);
        assertSameRef(back.generation(), REF);
        assertThat(back.checksum()).isZero();
    }

    @Test
    void theWriteThroughChecksumRoundTripsAndIsZeroFromVersionTwo() throws IOException {
        WrittenGenerationSerializer serializer = new WrittenGenerationSerializer();
        WrittenGeneration written = new WrittenGeneration(REF, 17, 1234567L, null, -42L);
        byte[] bytes = serializer.serialize(written);
        assertThat(serializer.deserialize(serializer.getVersion(), bytes).checksum())
                .isEqualTo(-42L);
        // Version 2 is version 3 without the trailing checksum.
        byte[] version2 = java.util.Arrays.copyOf(bytes, bytes.length - Long.BYTES);
        WrittenGeneration old = serializer.deserialize(2, version2);
        assertThat(old.checksum()).isZero();
        assertThat(old.flushSequence()).isEqualTo(17);
        assertSameRef(old.generation(), REF);
    }

    @Test
    void committablesRoundTrip() throws IOException {
        KilnCommittableSerializer serializer = new KilnCommittableSerializer();
        KilnCommittable committable =
                new KilnCommittable("kiln-\u00e9-1", 8, 99L, List.of(REF, EMPTY));
        KilnCommittable back =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(committable));
        assertThat(back.committerId()).isEqualTo("kiln-\u00e9-1");
        assertThat(back.checkpointId()).isEqualTo(8);
        assertThat(back.flushedAtMillis()).isEqualTo(99L);
        assertThat(back.generations()).hasSize(2);
        assertSameRef(back.generations().get(0), REF);
        assertSameRef(back.generations().get(1), EMPTY);
    }

    private static final Compaction COMPACTION =
            new Compaction(3, REF, List.of("data/bucket-3/a.arrow", "data/bucket-3/b.arrow"));
    private static final Compaction EMPTIED =
            new Compaction(0, null, List.of("data/bucket-0/c.arrow"));

    /** A compaction's output handed over keeps its checksum, so its warm takes it. */
    @Test
    void aCompactionsWriteThroughChecksumRoundTrips() throws IOException {
        WrittenGenerationSerializer serializer = new WrittenGenerationSerializer();
        WrittenGeneration written = WrittenGeneration.compacted(COMPACTION, 5, 77L, -42L);
        WrittenGeneration back =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(written));
        assertThat(back).isEqualTo(written);
        assertThat(back.checksum()).isEqualTo(-42L);
    }

    @Test
    void compactionOutputsRoundTrip() throws IOException {
        WrittenGenerationSerializer serializer = new WrittenGenerationSerializer();
        for (Compaction compaction : List.of(COMPACTION, EMPTIED)) {
            WrittenGeneration written = WrittenGeneration.compacted(compaction, 5, 77L);
            WrittenGeneration back =
                    serializer.deserialize(serializer.getVersion(), serializer.serialize(written));
            assertThat(back.isCompaction()).isTrue();
            assertThat(back.compaction()).isEqualTo(compaction);
            assertThat(back.generation()).isEqualTo(compaction.output());
            assertThat(back.flushSequence()).isEqualTo(5);
            assertThat(back.flushedAtMillis()).isEqualTo(77L);
            assertThat(back.keyPath())
                    .isEqualTo(
                            compaction.output() != null
                                    ? compaction.output().path()
                                    : compaction.inputs().get(0));
        }
        assertSameRef(
                serializer
                        .deserialize(
                                serializer.getVersion(),
                                serializer.serialize(WrittenGeneration.compacted(COMPACTION, 5, 7)))
                        .generation(),
                REF);
    }

    @Test
    void committablesWithCompactionsRoundTrip() throws IOException {
        KilnCommittableSerializer serializer = new KilnCommittableSerializer();
        KilnCommittable committable =
                new KilnCommittable("kiln-1", 9, 3L, List.of(EMPTY), List.of(COMPACTION, EMPTIED));
        KilnCommittable back =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(committable));
        assertThat(back.generations()).hasSize(1);
        assertSameRef(back.generations().get(0), EMPTY);
        assertThat(back.compactions()).containsExactly(COMPACTION, EMPTIED);
        assertSameRef(back.compactions().get(0).output(), REF);
    }

    /** Bytes as version 1 (before compactions) wrote them: state of a job run on that version. */
    @Test
    void version1IsStillRead() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeRefV1(out, REF);
            out.writeLong(17);
            out.writeLong(1234567L);
        }
        WrittenGeneration written =
                new WrittenGenerationSerializer().deserialize(1, bytes.toByteArray());
        assertThat(written.isCompaction()).isFalse();
        assertThat(written.flushSequence()).isEqualTo(17);
        assertThat(written.flushedAtMillis()).isEqualTo(1234567L);
        assertSameRef(written.generation(), REF);

        bytes.reset();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF("kiln-old");
            out.writeLong(8);
            out.writeLong(99L);
            out.writeInt(2);
            writeRefV1(out, REF);
            writeRefV1(out, EMPTY);
        }
        KilnCommittable committable =
                new KilnCommittableSerializer().deserialize(1, bytes.toByteArray());
        assertThat(committable.committerId()).isEqualTo("kiln-old");
        assertThat(committable.checkpointId()).isEqualTo(8);
        assertThat(committable.flushedAtMillis()).isEqualTo(99L);
        assertThat(committable.generations()).hasSize(2);
        assertSameRef(committable.generations().get(0), REF);
        assertSameRef(committable.generations().get(1), EMPTY);
        assertThat(committable.compactions()).isEmpty();
    }

    private static void writeRefV1(DataOutputStream out, GenerationRef ref) throws IOException {
        out.writeUTF(ref.path());
        out.writeInt(ref.bucket());
        if (ref.minKey() == null) {
            out.writeInt(-1);
            out.writeInt(-1);
        } else {
            out.writeInt(ref.minKey().length);
            out.write(ref.minKey());
            out.writeInt(ref.maxKey().length);
            out.write(ref.maxKey());
        }
        out.writeLong(ref.rowCount());
        out.writeLong(ref.sizeBytes());
    }

    @Test
    void committerIdsRoundTrip() throws IOException {
        CommitterIdSerializer serializer = new CommitterIdSerializer();
        assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize("kiln-x")))
                .isEqualTo("kiln-x");
    }

    @Test
    void anUnknownVersionIsAClearError() {
        assertThatThrownBy(() -> new WrittenGenerationSerializer().deserialize(4, new byte[0]))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("written generation")
                .hasMessageContaining("version 4")
                .hasMessageContaining("versions 1 to 3");
        assertThatThrownBy(() -> new KilnCommittableSerializer().deserialize(7, new byte[0]))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Kiln committable")
                .hasMessageContaining("version 7");
        assertThatThrownBy(() -> new CommitterIdSerializer().deserialize(0, new byte[0]))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("committer id")
                .hasMessageContaining("version 0");
    }

    private static void assertSameRef(GenerationRef actual, GenerationRef expected) {
        assertThat(actual.path()).isEqualTo(expected.path());
        assertThat(actual.bucket()).isEqualTo(expected.bucket());
        assertThat(actual.minKey()).isEqualTo(expected.minKey());
        assertThat(actual.maxKey()).isEqualTo(expected.maxKey());
        assertThat(actual.rowCount()).isEqualTo(expected.rowCount());
        assertThat(actual.sizeBytes()).isEqualTo(expected.sizeBytes());
    }
}
