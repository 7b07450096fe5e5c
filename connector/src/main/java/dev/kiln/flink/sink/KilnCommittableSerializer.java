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
import java.util.ArrayList;
import java.util.List;

/**
 * Versioned serializer of {@link KilnCommittable}s, which live in the committer's state between a
 * checkpoint and its commit. Version 1: committer id, checkpoint id, flush time, then the count and
 * the generation references in commit order. Thread-safe (stateless).
 */
@Internal
public final class KilnCommittableSerializer implements SimpleVersionedSerializer<KilnCommittable> {

    static final int VERSION = 2;

    /** The version before compactions: generations to add only. */
    static final int VERSION_ADD_ONLY = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(KilnCommittable committable) throws IOException {
        ByteArrayOutputStream bytes =
                new ByteArrayOutputStream(64 + 96 * committable.generations().size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(committable.committerId());
            out.writeLong(committable.checkpointId());
            out.writeLong(committable.flushedAtMillis());
            out.writeInt(committable.generations().size());
            for (GenerationRef ref : committable.generations()) {
                Serialization.writeRef(out, ref);
            }
            out.writeInt(committable.compactions().size());
            for (Compaction compaction : committable.compactions()) {
                Serialization.writeCompaction(out, compaction);
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public KilnCommittable deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION && version != VERSION_ADD_ONLY) {
            throw Serialization.unknownVersion(
                    "Kiln committable", version, VERSION_ADD_ONLY, VERSION);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            String committerId = in.readUTF();
            long checkpointId = in.readLong();
            long createdAt = in.readLong();
            int count = in.readInt();
            if (count < 0) {
                throw new IOException("corrupt Kiln committable: " + count + " generations");
            }
            List<GenerationRef> generations = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                generations.add(Serialization.readRef(in));
            }
            List<Compaction> compactions = new ArrayList<>();
            if (version == VERSION) {
                int compacted = in.readInt();
                if (compacted < 0) {
                    throw new IOException(
                            "corrupt Kiln committable: " + compacted + " compactions");
                }
                for (int i = 0; i < compacted; i++) {
                    compactions.add(Serialization.readCompaction(in));
                }
            }
            return new KilnCommittable(
                    committerId, checkpointId, createdAt, generations, compactions);
        }
    }
}
