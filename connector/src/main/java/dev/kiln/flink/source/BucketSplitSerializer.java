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
 * Serializes {@link BucketSplit}s. Version 2 holds the whole position; version 1 (the bounded scan
 * before the source followed versions: bucket, version, rows emitted) is read as a split emitting
 * the full snapshot of its version and stopping there.
 */
final class BucketSplitSerializer implements SimpleVersionedSerializer<BucketSplit> {

    static final int VERSION = 2;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(BucketSplit split) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        write(split, out);
        return out.getCopyOfBuffer();
    }

    @Override
    public BucketSplit deserialize(int version, byte[] serialized) throws IOException {
        checkVersion(version, "split");
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        BucketSplit split = read(version, in);
        if (in.available() != 0) {
            throw new IOException(
                    "a serialized Kiln split has " + in.available() + " bytes past its end");
        }
        return split;
    }

    static void write(BucketSplit split, DataOutputView out) throws IOException {
        out.writeInt(split.bucket());
        out.writeLong(split.version());
        out.writeBoolean(split.snapshot());
        out.writeLong(split.rowsEmitted());
        out.writeLong(split.stopVersion());
        out.writeBoolean(split.tableId() != null);
        if (split.tableId() != null) {
            out.writeUTF(split.tableId());
        }
    }

    static BucketSplit read(int version, DataInputView in) throws IOException {
        int bucket = in.readInt();
        long position = in.readLong();
        boolean snapshot = true;
        long rows;
        long stop = position;
        String tableId = null;
        if (version == 1) {
            rows = in.readLong();
        } else {
            snapshot = in.readBoolean();
            rows = in.readLong();
            stop = in.readLong();
            if (in.readBoolean()) {
                tableId = in.readUTF();
            }
        }
        if (bucket < 0 || position < 0 || rows < 0 || stop < 0) {
            throw new IOException(
                    "a serialized Kiln split is invalid: bucket "
                            + bucket
                            + ", version "
                            + position
                            + ", rows emitted "
                            + rows
                            + ", stop version "
                            + stop);
        }
        return new BucketSplit(bucket, position, snapshot, rows, stop, tableId);
    }

    static void checkVersion(int version, String what) throws IOException {
        if (version < 1 || version > VERSION) {
            throw new IOException(
                    "cannot read a Kiln source "
                            + what
                            + " of serializer version "
                            + version
                            + " (this reader supports 1 to "
                            + VERSION
                            + ")");
        }
    }
}
