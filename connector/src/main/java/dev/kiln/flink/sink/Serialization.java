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

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The binary form of what the sink's serializers share. */
final class Serialization {

    private Serialization() {}

    static void writeRef(DataOutputStream out, GenerationRef ref) throws IOException {
        out.writeUTF(ref.path());
        out.writeInt(ref.bucket());
        writeBytes(out, ref.minKey());
        writeBytes(out, ref.maxKey());
        out.writeLong(ref.rowCount());
        out.writeLong(ref.sizeBytes());
    }

    static GenerationRef readRef(DataInputStream in) throws IOException {
        String path = in.readUTF();
        int bucket = in.readInt();
        byte[] minKey = readBytes(in);
        byte[] maxKey = readBytes(in);
        long rowCount = in.readLong();
        long sizeBytes = in.readLong();
        return new GenerationRef(path, bucket, minKey, maxKey, rowCount, sizeBytes);
    }

    static void writeCompaction(DataOutputStream out, Compaction compaction) throws IOException {
        out.writeInt(compaction.bucket());
        out.writeBoolean(compaction.output() != null);
        if (compaction.output() != null) {
            writeRef(out, compaction.output());
        }
        out.writeInt(compaction.inputs().size());
        for (String input : compaction.inputs()) {
            out.writeUTF(input);
        }
    }

    static Compaction readCompaction(DataInputStream in) throws IOException {
        int bucket = in.readInt();
        GenerationRef output = in.readBoolean() ? readRef(in) : null;
        int count = in.readInt();
        if (count < 1) {
            throw new IOException("corrupt compaction: " + count + " inputs");
        }
        List<String> inputs = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            inputs.add(in.readUTF());
        }
        try {
            return new Compaction(bucket, output, inputs);
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt compaction: " + e.getMessage(), e);
        }
    }

    /**
     * Throws the error a serializer gives for a version it cannot read, naming what and the
     * versions it knows.
     */
    static IOException unknownVersion(String what, int version, int known) {
        return unknownVersion(what, version, known, known);
    }

    /** As {@link #unknownVersion(String, int, int)}, for a serializer that reads several. */
    static IOException unknownVersion(String what, int version, int oldest, int newest) {
        return new IOException(
                "cannot read a "
                        + what
                        + " of serialization version "
                        + version
                        + ": this Kiln version reads "
                        + (oldest == newest
                                ? "version " + newest
                                : "versions " + oldest + " to " + newest)
                        + " (was the state written by a newer Kiln?)");
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        if (bytes == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < -1) {
            throw new IOException("corrupt length " + length);
        }
        if (length == -1) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
