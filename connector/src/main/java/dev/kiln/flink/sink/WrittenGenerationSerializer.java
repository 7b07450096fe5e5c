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

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Versioned serializer of {@link WrittenGeneration}s (what travels from the writer to the warm
 * step). Version 1: the generation reference (path, bucket, key range, rows, size), then the flush
 * sequence and the flush time. Thread-safe (stateless).
 */
@Internal
public final class WrittenGenerationSerializer
        implements SimpleVersionedSerializer<WrittenGeneration> {

    static final int VERSION = 2;

    /** The version before compactions: a flush only. */
    static final int VERSION_FLUSH_ONLY = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(WrittenGeneration written) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeBoolean(written.isCompaction());
            if (written.isCompaction()) {
                Serialization.writeCompaction(out, written.compaction());
            } else {
                Serialization.writeRef(out, written.generation());
            }
            out.writeLong(written.flushSequence());
            out.writeLong(written.flushedAtMillis());
        }
        return bytes.toByteArray();
    }

    @Override
    public WrittenGeneration deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION && version != VERSION_FLUSH_ONLY) {
            throw Serialization.unknownVersion(
                    "written generation", version, VERSION_FLUSH_ONLY, VERSION);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            if (version == VERSION && in.readBoolean()) {
                Compaction compaction = Serialization.readCompaction(in);
                return WrittenGeneration.compacted(compaction, in.readLong(), in.readLong());
            }
            return new WrittenGeneration(Serialization.readRef(in), in.readLong(), in.readLong());
        }
    }
}
