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

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScanSerializersTest {

    private final BucketSplitSerializer splits = new BucketSplitSerializer();
    private final ScanEnumeratorStateSerializer states = new ScanEnumeratorStateSerializer();

    @Test
    void splitsAndStatesRoundTrip() throws IOException {
        BucketSplit split = new BucketSplit(7, 42, 1_000_000_000_000L);
        assertThat(splits.deserialize(splits.getVersion(), splits.serialize(split)))
                .isEqualTo(split);
        ScanEnumeratorState state =
                new ScanEnumeratorState(List.of(split, new BucketSplit(0, 42, 0)));
        assertThat(states.deserialize(states.getVersion(), states.serialize(state)))
                .isEqualTo(state);
        ScanEnumeratorState empty = new ScanEnumeratorState(List.of());
        assertThat(states.deserialize(states.getVersion(), states.serialize(empty)))
                .isEqualTo(empty);
        assertThat(split.splitId()).isEqualTo("bucket-7");
    }

    @Test
    void unknownVersionsAndDamagedBytesAreNamed() throws IOException {
        byte[] bytes = splits.serialize(new BucketSplit(1, 2, 3));
        assertThatThrownBy(() -> splits.deserialize(2, bytes))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "cannot read a Kiln scan split of serializer version 2 (this reader"
                                + " supports 1)");
        assertThatThrownBy(
                        () ->
                                states.deserialize(
                                        9, states.serialize(new ScanEnumeratorState(List.of()))))
                .hasMessageContaining("enumerator state of serializer version 9");
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> splits.deserialize(1, longer))
                .hasMessage("a serialized Kiln split has 1 bytes past its end");
        byte[] negative = splits.serialize(new BucketSplit(1, 2, 3));
        negative[0] = (byte) 0x80;
        assertThatThrownBy(() -> splits.deserialize(1, negative))
                .hasMessageContaining("a serialized Kiln split is invalid: bucket -");
        byte[] huge = states.serialize(new ScanEnumeratorState(List.of()));
        huge[0] = 0x7F;
        assertThatThrownBy(() -> states.deserialize(1, huge)).hasMessageContaining("claims");
    }
}
