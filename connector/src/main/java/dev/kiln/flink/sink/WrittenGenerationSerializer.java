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
 * sequence and the flush time. Version 2: a flag and a compaction before them. Version 3: the
 * write-through checksum after them (0 when read from older versions). Thread-safe (stateless).
 */
@Internal
public final class WrittenGenerationSerializer
        implements SimpleVersionedSerializer<WrittenGeneration> {

    static final int VERSION = 3;

    /** The version before write-through: no checksum. */
    static final int VERSION_NO_CHECKSUM = 2;

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
            out.writeLong(written.checksum());
        }
        return bytes.toByteArray();
    }

    @Override
    public WrittenGeneration deserialize(int version, byte[] serialized) throws IOException {
        if (version < VERSION_FLUSH_ONLY || version > VERSION) {
            throw Serialization.unknownVersion(
                    "written generation", version, VERSION_FLUSH_ONLY, VERSION);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            if (version >= VERSION_NO_CHECKSUM && in.readBoolean()) {
                Compaction compaction = Serialization.readCompaction(in);
                long sequence = in.readLong();
                long writtenAt = in.readLong();
                long checksum = version == VERSION ? in.readLong() : 0;
                return WrittenGeneration.compacted(compaction, sequence, writtenAt, checksum);
            }
            GenerationRef ref = Serialization.readRef(in);
            long sequence = in.readLong();
            long flushedAt = in.readLong();
            long checksum = version == VERSION ? in.readLong() : 0;
            return new WrittenGeneration(ref, sequence, flushedAt, null, checksum);
        }
    }
}
