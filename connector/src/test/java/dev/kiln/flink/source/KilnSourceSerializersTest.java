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

import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KilnSourceSerializersTest {

    private final BucketSplitSerializer splits = new BucketSplitSerializer();
    private final KilnEnumeratorStateSerializer states = new KilnEnumeratorStateSerializer();

    @Test
    void splitsAndStatesRoundTrip() throws IOException {
        BucketSplit split = new BucketSplit(7, 42, true, 1_000_000_000_000L, 50, "id-1");
        assertThat(splits.deserialize(splits.getVersion(), splits.serialize(split)))
                .isEqualTo(split);
        KilnEnumeratorState state =
                new KilnEnumeratorState(
                        List.of(split, new BucketSplit(0, 42, false, 0, BucketSplit.NO_STOP, null)),
                        true);
        assertThat(states.deserialize(states.getVersion(), states.serialize(state)))
                .isEqualTo(state);
        KilnEnumeratorState empty = new KilnEnumeratorState(List.of(), false);
        assertThat(states.deserialize(states.getVersion(), states.serialize(empty)))
                .isEqualTo(empty);
        assertThat(split.splitId()).isEqualTo("bucket-7");
    }

    /**
     * Every combination of identity (none, empty, ASCII, beyond the BMP), stop (none, 0, a
     * version), snapshot or changes, and extreme positions round-trips, alone and in a state.
     */
    @Test
    void aMatrixOfSplitsRoundTrips() throws IOException {
        List<BucketSplit> all = new ArrayList<>();
        String[] ids = {null, "", "d2329b99-eff7-4a27-ad6d-c61f43706113", "t\u00e9\ud83d\ude00"};
        long[] stops = {BucketSplit.NO_STOP, 0, 42, BucketSplit.NO_STOP - 1};
        long[] versions = {0, 42, Long.MAX_VALUE - 1};
        long[] rows = {0, 1, Long.MAX_VALUE};
        int bucket = 0;
        for (String id : ids) {
            for (long stop : stops) {
                for (boolean snapshot : new boolean[] {true, false}) {
                    for (long version : versions) {
                        for (long emitted : rows) {
                            BucketSplit split =
                                    new BucketSplit(
                                            bucket++ % 5 == 0 ? Integer.MAX_VALUE : bucket,
                                            version,
                                            snapshot,
                                            emitted,
                                            stop,
                                            id);
                            byte[] bytes = splits.serialize(split);
                            BucketSplit read = splits.deserialize(splits.getVersion(), bytes);
                            assertThat(read).isEqualTo(split);
                            assertThat(read.tableId()).isEqualTo(id);
                            assertThat(read.splitId()).isEqualTo(split.splitId());
                            all.add(split);
                        }
                    }
                }
            }
        }
        assertThat(all).hasSize(4 * 4 * 2 * 3 * 3);
        KilnEnumeratorState state = new KilnEnumeratorState(all, true);
        assertThat(states.deserialize(states.getVersion(), states.serialize(state)))
                .isEqualTo(state);
    }

    /** Splits and states of the bounded scan before the source followed versions (version 1). */
    @Test
    void version1IsReadAsABoundedSnapshot() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(20);
        out.writeInt(3);
        out.writeLong(42);
        out.writeLong(7);
        byte[] v1 = out.getCopyOfBuffer();
        assertThat(splits.deserialize(1, v1)).isEqualTo(new BucketSplit(3, 42, true, 7, 42, null));
        DataOutputSerializer state = new DataOutputSerializer(24);
        state.writeInt(1);
        state.write(v1);
        assertThat(states.deserialize(1, state.getCopyOfBuffer()))
                .isEqualTo(
                        new KilnEnumeratorState(
                                List.of(new BucketSplit(3, 42, true, 7, 42, null)), true));
    }

    @Test
    void unknownVersionsAndDamagedBytesAreNamed() throws IOException {
        byte[] bytes = splits.serialize(new BucketSplit(1, 2, false, 3, 4, null));
        assertThatThrownBy(() -> splits.deserialize(3, bytes))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "cannot read a Kiln source split of serializer version 3 (this reader"
                                + " supports 1 to 2)");
        assertThatThrownBy(
                        () ->
                                states.deserialize(
                                        9,
                                        states.serialize(new KilnEnumeratorState(List.of(), true))))
                .hasMessageContaining("enumerator state of serializer version 9");
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> splits.deserialize(2, longer))
                .hasMessage("a serialized Kiln split has 1 bytes past its end");
        byte[] negative = splits.serialize(new BucketSplit(1, 2, false, 3, 4, null));
        negative[0] = (byte) 0x80;
        assertThatThrownBy(() -> splits.deserialize(2, negative))
                .hasMessageContaining("a serialized Kiln split is invalid: bucket -");
        byte[] huge = states.serialize(new KilnEnumeratorState(List.of(), true));
        huge[1] = 0x7F;
        assertThatThrownBy(() -> states.deserialize(2, huge)).hasMessageContaining("claims");
    }
}
