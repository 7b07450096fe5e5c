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
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * Serializes {@link BucketSplit}s. Version 1: bucket (int), table version (long), rows emitted
 * (long). Stateless and thread-safe.
 */
final class BucketSplitSerializer implements SimpleVersionedSerializer<BucketSplit> {

    static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(BucketSplit split) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(20);
        write(split, out);
        return out.getCopyOfBuffer();
    }

    @Override
    public BucketSplit deserialize(int version, byte[] serialized) throws IOException {
        checkVersion(version, "split");
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        BucketSplit split = read(in);
        if (in.available() != 0) {
            throw new IOException(
                    "a serialized Kiln split has " + in.available() + " bytes past its end");
        }
        return split;
    }

    static void write(BucketSplit split, DataOutputView out) throws IOException {
        out.writeInt(split.bucket());
        out.writeLong(split.version());
        out.writeLong(split.rowsEmitted());
    }

    static BucketSplit read(DataInputView in) throws IOException {
        int bucket = in.readInt();
        long version = in.readLong();
        long rows = in.readLong();
        if (bucket < 0 || version < 0 || rows < 0) {
            throw new IOException(
                    "a serialized Kiln split is invalid: bucket "
                            + bucket
                            + ", version "
                            + version
                            + ", rows emitted "
                            + rows);
        }
        return new BucketSplit(bucket, version, rows);
    }

    static void checkVersion(int version, String what) throws IOException {
        if (version != VERSION) {
            throw new IOException(
                    "cannot read a Kiln scan "
                            + what
                            + " of serializer version "
                            + version
                            + " (this reader supports "
                            + VERSION
                            + ")");
        }
    }
}
