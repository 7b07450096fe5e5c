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

import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Constants of the generation file format and the codec of its index. See {@code docs/format.md}.
 *
 * <p>Format version 4 is version 3 whose string columns may be stored as Arrow's string views
 * ({@code Utf8View}), every value inline in its view (at most 12 bytes; no variadic data buffers);
 * the writer chooses per generation and column ({@link StringViews}). Readers read them as {@code
 * Utf8}.
 *
 * <p>Format version 3 stores the index as raw bytes in the file's body, after the last record batch
 * and the IPC end-of-stream marker and before the Arrow footer (which Arrow readers skip: they read
 * only the blocks the footer lists); the footer's custom metadata gives its offset ({@value
 * #META_INDEX_OFFSET}), length ({@value #META_INDEX_LENGTH}) and CRC32C ({@value #META_INDEX_CRC}).
 * Format version 2 stored the same index Base64-encoded in the footer's custom metadata ({@value
 * #META_INDEX}); it is still read.
 *
 * <p>Index layout (big-endian), format versions 2 to 4: int version; int key column count, then
 * each name (modified UTF-8); long footer fingerprint ({@link #footerFingerprint}); long row count;
 * long tombstone count; int page count, then per page: int row count, int CRC32C of the page's
 * block bytes, int length and bytes of the page's first encoded key; int length and bytes of the
 * largest encoded key; the Bloom filter ({@link BloomFilter}).
 *
 * <p>Version 1 (no fingerprint: the footer's schema and record-batch blocks were covered by no
 * checksum) is not read: there were no users of it.
 */
final class GenerationFormat {

    /**
     * The newest version: version 3 whose string columns may be stored as Arrow string views
     * ({@code Utf8View}, inline only; {@link StringViews}).
     */
    static final int FORMAT_VERSION = 4;

    /** The index as raw bytes before the footer; string columns only as {@code Utf8}. */
    static final int FORMAT_VERSION_RAW_INDEX = 3;

    /** The oldest version read: the index Base64-encoded in the footer's metadata. */
    static final int FORMAT_VERSION_BASE64_INDEX = 2;

    static final String KIND_COLUMN = "_kiln_kind";
    static final String META_VERSION = "kiln.format.version";

    /** Format version 2: the index, Base64-encoded. */
    static final String META_INDEX = "kiln.index";

    /** Format version 3: the index's offset in the file, a decimal number. */
    static final String META_INDEX_OFFSET = "kiln.index.offset";

    /** Format version 3: the index's length in bytes, a decimal number. */
    static final String META_INDEX_LENGTH = "kiln.index.length";

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

    /**
     * Returns the fingerprint that binds a footer to its checksummed index: XXH64 (seed 0) of a
     * canonical serialization of the file's schema (every field's name, nullability, type with all
     * its parameters, dictionary encoding, metadata and children, in order, and the schema's
     * metadata), the key columns and every record-batch block (offset, metadata length, body
     * length). The footer itself carries no checksum; with this fingerprint in the index, any
     * change to what the reader takes from the footer fails the open.
     */
    static long footerFingerprint(
            Schema fileSchema, List<String> keyColumns, List<ArrowBlock> blocks) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            writeFields(out, fileSchema.getFields());
            writeMetadata(out, fileSchema.getCustomMetadata());
            out.writeInt(keyColumns.size());
            for (String c : keyColumns) {
                writeString(out, c);
            }
            out.writeInt(blocks.size());
            for (ArrowBlock b : blocks) {
                out.writeLong(b.getOffset());
                out.writeInt(b.getMetadataLength());
                out.writeLong(b.getBodyLength());
            }
            out.flush();
            return XxHash64.hash(bytes.toByteArray(), 0);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    private static void writeFields(DataOutputStream out, List<Field> fields) throws IOException {
        out.writeInt(fields.size());
        for (Field f : fields) {
            writeString(out, f.getName());
            out.writeBoolean(f.isNullable());
            writeType(out, f.getType());
            DictionaryEncoding dictionary = f.getDictionary();
            out.writeBoolean(dictionary != null);
            if (dictionary != null) {
                out.writeLong(dictionary.getId());
                out.writeBoolean(dictionary.isOrdered());
                writeType(out, dictionary.getIndexType());
            }
            writeMetadata(out, f.getMetadata());
            writeFields(out, f.getChildren());
        }
    }

    private static void writeType(DataOutputStream out, ArrowType type) throws IOException {
        ArrowType.ArrowTypeID id = type.getTypeID();
        writeString(out, id.name());
        switch (id) {
            case Int:
                out.writeInt(((ArrowType.Int) type).getBitWidth());
                out.writeBoolean(((ArrowType.Int) type).getIsSigned());
                break;
            case FloatingPoint:
                writeString(out, ((ArrowType.FloatingPoint) type).getPrecision().name());
                break;
            case FixedSizeBinary:
                out.writeInt(((ArrowType.FixedSizeBinary) type).getByteWidth());
                break;
            case Decimal:
                {
                    ArrowType.Decimal d = (ArrowType.Decimal) type;
                    out.writeInt(d.getPrecision());
                    out.writeInt(d.getScale());
                    out.writeInt(d.getBitWidth());
                    break;
                }
            case Date:
                writeString(out, ((ArrowType.Date) type).getUnit().name());
                break;
            case Time:
                writeString(out, ((ArrowType.Time) type).getUnit().name());
                out.writeInt(((ArrowType.Time) type).getBitWidth());
                break;
            case Timestamp:
                {
                    ArrowType.Timestamp t = (ArrowType.Timestamp) type;
                    writeString(out, t.getUnit().name());
                    out.writeBoolean(t.getTimezone() != null);
                    if (t.getTimezone() != null) {
                        writeString(out, t.getTimezone());
                    }
                    break;
                }
            case Duration:
                writeString(out, ((ArrowType.Duration) type).getUnit().name());
                break;
            case Interval:
                writeString(out, ((ArrowType.Interval) type).getUnit().name());
                break;
            case Bool:
            case Utf8:
            case Utf8View:
            case LargeUtf8:
            case Binary:
            case LargeBinary:
                break;
            default:
                // Types generations cannot hold: the open fails on them anyway (checkSchema).
                writeString(out, type.toString());
        }
    }

    private static void writeMetadata(DataOutputStream out, Map<String, String> metadata)
            throws IOException {
        // Arrow reads absent metadata as an empty map: both are written as no entries.
        Map<String, String> sorted = metadata == null ? Map.of() : new TreeMap<>(metadata);
        out.writeInt(sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /**
     * Checks that generations can hold rows of {@code schema} (the user's columns, without the
     * row-kind column): column names are unique and not {@value #KIND_COLUMN}, and every column is
     * of a flat type with valid parameters: integers of 8, 16, 32 or 64 bits, floating point,
     * boolean, string and binary (also large), fixed-size binary, decimal (128 or 256 bits), date,
     * time, timestamp, duration, interval; no dictionary encoding, no nested types.
     *
     * @throws IllegalArgumentException naming the first column that does not fit
     */
    static void checkSchema(Schema schema) {
        Set<String> names = new HashSet<>();
        for (Field f : schema.getFields()) {
            String name = f.getName();
            if (name == null) {
                throw new IllegalArgumentException("a column has no name");
            }
            if (name.equals(KIND_COLUMN)) {
                throw new IllegalArgumentException(
                        "column name '" + KIND_COLUMN + "' is reserved for the row kind");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("column '" + name + "' appears twice");
            }
            if (f.getDictionary() != null) {
                throw new IllegalArgumentException(
                        "column '"
                                + name
                                + "' is dictionary-encoded, which generations do not hold");
            }
            if (!f.getChildren().isEmpty() || !isSupported(f.getType())) {
                throw new IllegalArgumentException(
                        "column '"
                                + name
                                + "' has type "
                                + f.getType()
                                + (f.getChildren().isEmpty() ? "" : " with children")
                                + ", which generations do not hold (supported: integers of 8,"
                                + " 16, 32 or 64 bits, floating point, boolean, string, binary,"
                                + " fixed-size binary, decimal of 128 or 256 bits, date, time,"
                                + " timestamp, duration, interval; no nested types)");
            }
        }
    }

    private static boolean isSupported(ArrowType type) {
        switch (type.getTypeID()) {
            case Int:
                return isIntWidth(((ArrowType.Int) type).getBitWidth());
            case FloatingPoint:
                return ((ArrowType.FloatingPoint) type).getPrecision() != null;
            case FixedSizeBinary:
                return ((ArrowType.FixedSizeBinary) type).getByteWidth() > 0;
            case Decimal:
                {
                    ArrowType.Decimal d = (ArrowType.Decimal) type;
                    int maxPrecision = d.getBitWidth() == 128 ? 38 : 76;
                    return (d.getBitWidth() == 128 || d.getBitWidth() == 256)
                            && d.getPrecision() >= 1
                            && d.getPrecision() <= maxPrecision
                            && d.getScale() <= d.getPrecision();
                }
            case Date:
                return ((ArrowType.Date) type).getUnit() != null;
            case Time:
                return isTimeWidth((ArrowType.Time) type);
            case Timestamp:
                return ((ArrowType.Timestamp) type).getUnit() != null;
            case Duration:
                return ((ArrowType.Duration) type).getUnit() != null;
            case Interval:
                return ((ArrowType.Interval) type).getUnit() != null;
            case Bool:
            case Utf8:
            case LargeUtf8:
            case Binary:
            case LargeBinary:
                return true;
            default:
                return false;
        }
    }

    /** Whether {@code bits} is the width of an integer type Arrow has vectors for. */
    static boolean isIntWidth(int bits) {
        return bits == 8 || bits == 16 || bits == 32 || bits == 64;
    }

    /** Whether a time type's width fits its unit (32 bits for s and ms, 64 for us and ns). */
    static boolean isTimeWidth(ArrowType.Time type) {
        if (type.getUnit() == null) {
            return false;
        }
        switch (type.getUnit()) {
            case SECOND:
            case MILLISECOND:
                return type.getBitWidth() == 32;
            default:
                return type.getBitWidth() == 64;
        }
    }

    /** The parsed index of a generation. */
    static final class Index {
        final int version;
        final List<String> keyColumns;
        final long footerFingerprint;
        final long rowCount;
        final long tombstoneCount;
        final int[] pageRows;
        final int[] pageCrcs;
        final byte[][] firstKeys;
        final byte[] maxKey;
        final BloomFilter filter;

        Index(
                int version,
                List<String> keyColumns,
                long footerFingerprint,
                long rowCount,
                long tombstoneCount,
                int[] pageRows,
                int[] pageCrcs,
                byte[][] firstKeys,
                byte[] maxKey,
                BloomFilter filter) {
            this.version = version;
            this.keyColumns = keyColumns;
            this.footerFingerprint = footerFingerprint;
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
                out.writeInt(version);
                out.writeInt(keyColumns.size());
                for (String c : keyColumns) {
                    out.writeUTF(c);
                }
                out.writeLong(footerFingerprint);
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
         * Parses an index of a file in format version {@code version}.
         *
         * @throws IOException or {@link IllegalArgumentException} if the bytes are not a valid
         *     index of that version
         */
        static Index parse(byte[] bytes, int version) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            int declared = in.readInt();
            if (declared != version) {
                throw new IOException(
                        "index declares version " + declared + " in a file of version " + version);
            }
            int columns = in.readInt();
            checkCount(columns, bytes.length, "key column count");
            List<String> keyColumns = new ArrayList<>(columns);
            for (int i = 0; i < columns; i++) {
                keyColumns.add(in.readUTF());
            }
            long fingerprint = in.readLong();
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
                    version,
                    List.copyOf(keyColumns),
                    fingerprint,
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
