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

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Serializes {@link KilnEnumeratorState}. Version 1 (the bounded scan's remaining splits) is read
 * as state whose splits were made.
 */
final class KilnEnumeratorStateSerializer
        implements SimpleVersionedSerializer<KilnEnumeratorState> {

    @Override
    public int getVersion() {
        return BucketSplitSerializer.VERSION;
    }

    @Override
    public byte[] serialize(KilnEnumeratorState state) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(8 + 64 * state.unassigned().size());
        out.writeBoolean(state.splitsCreated());
        out.writeInt(state.unassigned().size());
        for (BucketSplit split : state.unassigned()) {
            BucketSplitSerializer.write(split, out);
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public KilnEnumeratorState deserialize(int version, byte[] serialized) throws IOException {
        BucketSplitSerializer.checkVersion(version, "enumerator state");
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        boolean created = version == 1 || in.readBoolean();
        int count = in.readInt();
        if (count < 0 || count > serialized.length / 20) {
            throw new IOException("a serialized Kiln enumerator state claims " + count + " splits");
        }
        List<BucketSplit> splits = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            splits.add(BucketSplitSerializer.read(version, in));
        }
        if (in.available() != 0) {
            throw new IOException(
                    "a serialized Kiln enumerator state has "
                            + in.available()
                            + " bytes past its end");
        }
        return new KilnEnumeratorState(splits, created);
    }
}
