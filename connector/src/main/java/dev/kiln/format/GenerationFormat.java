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

package dev.kiln.format;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Constants of the generation file format and the codec of its index, which is stored (Base64) in
 * the Arrow footer's custom metadata. See {@code docs/format.md}.
 *
 * <p>Index layout (big-endian), format version 1: int version; int key column count, then each name
 * (modified UTF-8); long row count; long tombstone count; int page count, then per page: int row
 * count, int CRC32C of the page's block bytes, int length and bytes of the page's first encoded
 * key; int length and bytes of the largest encoded key; the Bloom filter ({@link BloomFilter}).
 */
final class GenerationFormat {

    static final int FORMAT_VERSION = 1;

    static final String KIND_COLUMN = "_kiln_kind";
    static final String META_VERSION = "kiln.format.version";
    static final String META_INDEX = "kiln.index";
    static final String META_INDEX_CRC = "kiln.index.crc32c";

    /** The Arrow IPC file magic, at both ends of the file. */
    static final byte[] MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};

    private GenerationFormat() {}

    static Field kindField() {
        return new Field(KIND_COLUMN, FieldType.notNullable(new ArrowType.Int(8, true)), null);
    }

    static int crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        return (int) crc.getValue();
    }

    /** The parsed index of a generation. */
    static final class Index {
        final List<String> keyColumns;
        final long rowCount;
        final long tombstoneCount;
        final int[] pageRows;
        final int[] pageCrcs;
        final byte[][] firstKeys;
        final byte[] maxKey;
        final BloomFilter filter;

        Index(
                List<String> keyColumns,
                long rowCount,
                long tombstoneCount,
                int[] pageRows,
                int[] pageCrcs,
                byte[][] firstKeys,
                byte[] maxKey,
                BloomFilter filter) {
            this.keyColumns = keyColumns;
            this.rowCount = rowCount;
            this.tombstoneCount = tombstoneCount;
            this.pageRows = pageRows;
            this.pageCrcs = pageCrcs;
            this.firstKeys = firstKeys;
            this.maxKey = maxKey;
            this.filter = filter;
        }

        byte[] serialize() {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeInt(FORMAT_VERSION);
                out.writeInt(keyColumns.size());
                for (String c : keyColumns) {
                    out.writeUTF(c);
                }
                out.writeLong(rowCount);
                out.writeLong(tombstoneCount);
                out.writeInt(pageRows.length);
                for (int p = 0; p < pageRows.length; p++) {
                    out.writeInt(pageRows[p]);
                    out.writeInt(pageCrcs[p]);
                    out.writeInt(firstKeys[p].length);
                    out.write(firstKeys[p]);
                }
                out.writeInt(maxKey.length);
                out.write(maxKey);
                ByteBuffer filterBytes = ByteBuffer.allocate(filter.serializedSize());
                filter.writeTo(filterBytes);
                out.write(filterBytes.array());
                out.flush();
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new IllegalStateException("writing to memory cannot fail", e);
            }
        }

        /**
         * Parses an index.
         *
         * @throws IOException or {@link IllegalArgumentException} if the bytes are not a valid
         *     index
         */
        static Index parse(byte[] bytes) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            int version = in.readInt();
            if (version != FORMAT_VERSION) {
                throw new IOException("index declares version " + version);
            }
            int columns = in.readInt();
            checkCount(columns, bytes.length, "key column count");
            List<String> keyColumns = new ArrayList<>(columns);
            for (int i = 0; i < columns; i++) {
                keyColumns.add(in.readUTF());
            }
            long rowCount = in.readLong();
            long tombstones = in.readLong();
            int pages = in.readInt();
            checkCount(pages, bytes.length, "page count");
            int[] pageRows = new int[pages];
            int[] pageCrcs = new int[pages];
            byte[][] firstKeys = new byte[pages][];
            for (int p = 0; p < pages; p++) {
                pageRows[p] = in.readInt();
                pageCrcs[p] = in.readInt();
                firstKeys[p] = readBytes(in, bytes.length);
            }
            byte[] maxKey = readBytes(in, bytes.length);
            byte[] rest = in.readAllBytes();
            ByteBuffer filterBytes = ByteBuffer.wrap(rest);
            BloomFilter filter = BloomFilter.readFrom(filterBytes);
            if (filterBytes.hasRemaining()) {
                throw new IOException(filterBytes.remaining() + " bytes after the filter");
            }
            return new Index(
                    List.copyOf(keyColumns),
                    rowCount,
                    tombstones,
                    pageRows,
                    pageCrcs,
                    firstKeys,
                    maxKey,
                    filter);
        }

        private static byte[] readBytes(DataInputStream in, int limit) throws IOException {
            int n = in.readInt();
            checkCount(n, limit, "key length");
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        private static void checkCount(int n, int limit, String what) throws IOException {
            if (n < 0 || n > limit) {
                throw new IOException("invalid " + what + " " + n);
            }
        }
    }
}
