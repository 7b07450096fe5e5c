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

package dev.kiln.flink;

import dev.kiln.table.GenerationRef;

import org.junit.jupiter.api.Test;

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

    @Test
    void committerIdsRoundTrip() throws IOException {
        CommitterIdSerializer serializer = new CommitterIdSerializer();
        assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize("kiln-x")))
                .isEqualTo("kiln-x");
    }

    @Test
    void anUnknownVersionIsAClearError() {
        assertThatThrownBy(() -> new WrittenGenerationSerializer().deserialize(2, new byte[0]))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("written generation")
                .hasMessageContaining("version 2");
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
