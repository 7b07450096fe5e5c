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

package dev.kiln.table;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.LookupResult;
import dev.kiln.format.PageCompression;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A table whose generations mix how they were written: old uncompressed generations next to new LZ4
 * and ZSTD ones, and generation format versions 2 and 3, answer lookups as one table; a compaction
 * across them writes the table's codec and format version; the table metadata records both (a table
 * from before the options writes uncompressed pages in format version 2, what older readers read).
 */
class MixedCompressionTest {

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private RangeReader io;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(2);
        io = RangeReader.onFileSystem(ioPool);
    }

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    @Test
    void oldUncompressedAndNewCompressedGenerationsReadAndCompactAsOneTable() throws Exception {
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                .targetPageBytes(1024)
                                .build());
        assertThat(table.options().compression()).isEqualTo(TableOptions.DEFAULT_COMPRESSION);
        Map<Long, String> reference = new TreeMap<>();
        List<GenerationRef> written = new ArrayList<>();
        PageCompression[] codecs = {
            PageCompression.NONE,
            PageCompression.NONE,
            PageCompression.LZ4_FRAME,
            PageCompression.zstd(1),
            PageCompression.ZSTD
        };
        for (int g = 0; g < codecs.length; g++) {
            Map<Long, String> rows = new TreeMap<>();
            for (long id = g * 50L; id < g * 50L + 300; id++) {
                rows.put(id, id % 13 == 0 ? null : "g" + g + "-" + id + "-ünï");
            }
            GenerationWriter writer =
                    GenerationWriter.builder(table.options().schema(), List.of("id"))
                            .targetPageBytes(1024)
                            .compression(codecs[g])
                            .build();
            GenerationRef ref = GenerationFiles.write(table, writer, allocator, 0, rows);
            assertThat(pageCodecs(table, ref)).containsOnly(codecs[g].codec());
            written.add(ref);
            reference.putAll(rows);
            table.commit(new Commit("w", g + 1, List.of(ref), List.of()));
        }
        assertTableEquals(table, table.latestManifest(), reference);

        Compaction merged =
                new GenerationMerger(table, io, allocator).merge(0, List.copyOf(written), true);
        Manifest after = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(merged)));
        assertThat(after.generations()).containsExactly(merged.output());
        assertThat(pageCodecs(table, merged.output()))
                .containsOnly(TableOptions.DEFAULT_COMPRESSION.codec());
        assertTableEquals(table, after, reference);
    }

    @Test
    void theTableMetadataRecordsTheCodecAndAnOldTableWritesUncompressed() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable.create(
                path,
                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                        .compression(PageCompression.zstd(7))
                        .build());
        assertThat(KilnTable.open(path).options().compression()).isEqualTo(PageCompression.zstd(7));

        // The metadata of a table created before the option: no compression fields.
        byte[] bytes =
                TableJson.writeTable(
                        TableOptions.builder(KilnTableTest.SCHEMA, List.of("id")).build(), "id-1");
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode file = (ObjectNode) mapper.readTree(bytes);
        ObjectNode body = (ObjectNode) file.get("body");
        assertThat(body.has("compression")).isTrue();
        body.remove("compression");
        body.remove("compressionLevel");
        assertThat(body.has("pageSizeBasis")).isTrue();
        body.remove("pageSizeBasis");
        body.remove("compactionCompressionLevel");
        CRC32C crc = new CRC32C();
        crc.update(mapper.writeValueAsBytes(body));
        file.put("crc32c", crc.getValue());
        TableOptions old = TableJson.readTable(path, mapper.writeValueAsBytes(file)).options();
        assertThat(old.compression()).isEqualTo(PageCompression.NONE);
        assertThat(old.newWriter().compression()).isEqualTo(PageCompression.NONE);
        // ... and counts pages in Arrow bytes, compacting with the table's codec.
        assertThat(old.pageSizeBasis()).isEqualTo(TableOptions.PageSizeBasis.DECODED);
        assertThat(old.newWriter().sizesPagesByStoredBytes()).isFalse();
        assertThat(old.compactionCompressionLevel()).isNull();
        assertThat(old.newCompactionWriter().compression()).isEqualTo(PageCompression.NONE);
    }

    @Test
    void compactionWritesTheCompactionLevelAndFlushesTheTableLevel() throws Exception {
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                .targetPageBytes(2048)
                                .compression(PageCompression.zstd(1))
                                .compactionCompressionLevel(19)
                                .build());
        assertThat(table.options().compactionCompression()).isEqualTo(PageCompression.zstd(19));
        assertThat(table.options().newWriter().compression()).isEqualTo(PageCompression.zstd(1));
        Map<Long, String> reference = new TreeMap<>();
        List<GenerationRef> written = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            Map<Long, String> rows = new TreeMap<>();
            for (long id = g * 100L; id < g * 100L + 400; id++) {
                rows.put(id, id % 17 == 0 ? null : "value-" + (id * 7919 % 1000) + "-g" + g);
            }
            GenerationRef ref =
                    GenerationFiles.write(table, table.options().newWriter(), allocator, 0, rows);
            written.add(ref);
            reference.putAll(rows);
            table.commit(new Commit("w", g + 1, List.of(ref), List.of()));
        }
        Compaction merged =
                new GenerationMerger(table, io, allocator).merge(0, List.copyOf(written), true);
        Manifest after = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(merged)));
        assertTableEquals(table, after, reference);

        // The output is what a level-19 writer makes of the merged rows (deletes dropped), not
        // a level-1 one.
        Map<Long, String> live = new TreeMap<>(reference);
        live.values().removeIf(java.util.Objects::isNull);
        long[] sizes = new long[2];
        int i = 0;
        for (int level : new int[] {19, 1}) {
            GenerationRef direct =
                    GenerationFiles.write(
                            table,
                            GenerationWriter.builder(table.options().schema(), List.of("id"))
                                    .targetPageBytes(2048)
                                    .compression(PageCompression.zstd(level))
                                    .build(),
                            allocator,
                            0,
                            live);
            sizes[i++] = direct.sizeBytes();
        }
        assertThat(sizes[0]).isNotEqualTo(sizes[1]);
        assertThat(merged.output().sizeBytes()).isEqualTo(sizes[0]);
    }

    @Test
    void pageSizeBasisAndCompactionLevelAreRecordedAndValidatedNamingTheOption() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        TableOptions options =
                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                        .pageSizeBasis(TableOptions.PageSizeBasis.STORED)
                        .compactionCompressionLevel(12)
                        .build();
        KilnTable.create(path, options);
        TableOptions read = KilnTable.open(path).options();
        assertThat(read).isEqualTo(options);
        assertThat(read.pageSizeBasis()).isEqualTo(TableOptions.PageSizeBasis.STORED);
        assertThat(read.compactionCompressionLevel()).isEqualTo(12);
        assertThat(read.newWriter().sizesPagesByStoredBytes()).isTrue();
        assertThat(read.newCompactionWriter().sizesPagesByStoredBytes()).isTrue();
        assertThat(read.newCompactionWriter().compression()).isEqualTo(PageCompression.zstd(12));
        assertThat(TableOptions.builder(KilnTableTest.SCHEMA, List.of("id")).build())
                .satisfies(
                        o -> {
                            assertThat(o.pageSizeBasis())
                                    .isEqualTo(TableOptions.PageSizeBasis.DECODED);
                            assertThat(o.compactionCompressionLevel()).isNull();
                            assertThat(o.compactionCompression()).isEqualTo(o.compression());
                            assertThat(o.newWriter().sizesPagesByStoredBytes()).isFalse();
                        });

        assertThatThrownBy(
                        () ->
                                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                        .compactionCompressionLevel(23))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compactionCompressionLevel")
                .hasMessageContaining("23");
        assertThatThrownBy(
                        () ->
                                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                        .compression(PageCompression.NONE)
                                        .compactionCompressionLevel(19)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("compactionCompressionLevel")
                .hasMessageContaining("zstd only");
        assertThatThrownBy(() -> TableOptions.PageSizeBasis.parse("write.page-size.basis", "rows"))
                .hasMessageContaining("write.page-size.basis")
                .hasMessageContaining("rows");
        assertThat(TableOptions.PageSizeBasis.parse("o", " Stored "))
                .isEqualTo(TableOptions.PageSizeBasis.STORED);

        // An unknown basis in the metadata is an unreadable table, named.
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode file = (ObjectNode) mapper.readTree(TableJson.writeTable(options, "id-1"));
        ObjectNode body = (ObjectNode) file.get("body");
        body.put("pageSizeBasis", "rows");
        assertThatThrownBy(() -> TableJson.readTable(path, checksummed(mapper, file)))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("pageSizeBasis");
    }

    @Test
    void aNewTableRecordsTheLatestVersionAndItsWritersWriteIt() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable.create(path, TableOptions.builder(KilnTableTest.SCHEMA, List.of("id")).build());
        KilnTable table = KilnTable.open(path);
        assertThat(table.options().generationFormatVersion())
                .isEqualTo(GenerationWriter.FORMAT_VERSION)
                .isEqualTo(4);
        GenerationRef written = GenerationFiles.write(table, allocator, 0, rows(0, 200));
        assertThat(versionOf(table, written)).isEqualTo(GenerationWriter.FORMAT_VERSION);
    }

    @Test
    void aTableCreatedBeforeTheOptionWritesAndCompactsTheOlderVersion() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable.create(path, TableOptions.builder(KilnTableTest.SCHEMA, List.of("id")).build());
        withoutFormatVersion(path);
        KilnTable table = KilnTable.open(path);
        assertThat(table.options().generationFormatVersion())
                .isEqualTo(GenerationWriter.FORMAT_VERSION_BASE64_INDEX);

        // One generation of each version (the newer one as a newer writer would add it), with
        // deletes, then a compaction across both: it writes the table's version.
        Map<Long, String> reference = new TreeMap<>();
        Map<Long, String> first = rows(0, 300);
        GenerationRef old = GenerationFiles.write(table, allocator, 0, first);
        assertThat(versionOf(table, old)).isEqualTo(GenerationWriter.FORMAT_VERSION_BASE64_INDEX);
        reference.putAll(first);
        table.commit(new Commit("w", 1, List.of(old), List.of()));
        Map<Long, String> second = rows(150, 450);
        second.put(7L, null);
        GenerationWriter newer =
                GenerationWriter.builder(table.options().schema(), List.of("id"))
                        .formatVersion(GenerationWriter.FORMAT_VERSION)
                        .build();
        GenerationRef recent = GenerationFiles.write(table, newer, allocator, 0, second);
        assertThat(versionOf(table, recent)).isEqualTo(GenerationWriter.FORMAT_VERSION);
        reference.putAll(second);
        table.commit(new Commit("w", 2, List.of(recent), List.of()));
        assertTableEquals(table, table.latestManifest(), reference);

        Compaction merged =
                new GenerationMerger(table, io, allocator).merge(0, List.of(old, recent), true);
        assertThat(versionOf(table, merged.output()))
                .isEqualTo(GenerationWriter.FORMAT_VERSION_BASE64_INDEX);
        Manifest after = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(merged)));
        assertTableEquals(table, after, reference);
    }

    @Test
    void theVersionIsRecordedAsSetAndAnUnknownOneIsRefusedNamingTheOption() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        TableOptions options =
                TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                        .generationFormatVersion(GenerationWriter.FORMAT_VERSION_BASE64_INDEX)
                        .build();
        KilnTable.create(path, options);
        assertThat(KilnTable.open(path).options()).isEqualTo(options);
        assertThat(KilnTable.open(path).options().generationFormatVersion())
                .isEqualTo(GenerationWriter.FORMAT_VERSION_BASE64_INDEX);
        for (int version : new int[] {0, 1, 5, -3}) {
            assertThatThrownBy(
                            () ->
                                    TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                            .generationFormatVersion(version))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("generationFormatVersion")
                    .hasMessageContaining(Integer.toString(version));
        }
        // An unknown version in stored metadata makes the table unreadable, named.
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode file = (ObjectNode) mapper.readTree(TableJson.writeTable(options, "id-1"));
        ((ObjectNode) file.get("body")).put("generationFormatVersion", 9);
        assertThatThrownBy(() -> TableJson.readTable(path, checksummed(mapper, file)))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("generationFormatVersion");
    }

    /** A string key and a string value: what the string views of format version 4 store. */
    private static final Schema STRING_KEYED =
            new Schema(
                    List.of(
                            new Field("k", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
                            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    @Test
    void aTableMixingUtf8AndStringViewGenerationsAnswersMergesAndCompactsRight() throws Exception {
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(STRING_KEYED, List.of("k"))
                                .bucketCount(1)
                                .targetPageBytes(1024)
                                .build());
        GenerationWriter utf8 =
                GenerationWriter.builder(STRING_KEYED, List.of("k"))
                        .targetPageBytes(1024)
                        .compression(TableOptions.DEFAULT_COMPRESSION)
                        .formatVersion(GenerationWriter.FORMAT_VERSION_RAW_INDEX)
                        .build();
        GenerationWriter views = table.options().newWriter();
        // Oldest first: a Utf8 generation (as a table's older writer made it), two of views, one
        // of version 4 whose long value keeps its column Utf8; overlapping keys, deletes.
        List<GenerationRef> written = new ArrayList<>();
        Map<String, String> reference = new TreeMap<>();
        Object[][] plan = {{utf8, 0, ""}, {views, 100, ""}, {views, 250, ""}, {views, 320, "+"}};
        for (int g = 0; g < plan.length; g++) {
            Map<String, String> rows = new TreeMap<>();
            int from = (Integer) plan[g][1];
            for (int i = from; i < from + 300; i++) {
                rows.put(stringKey(i), i % 19 == g ? null : "g" + g + "-" + i % 1000 + plan[g][2]);
            }
            if (!((String) plan[g][2]).isEmpty()) {
                rows.put(stringKey(from + 1), "a value over twelve bytes");
            }
            GenerationRef ref = writeStrings(table, (GenerationWriter) plan[g][0], rows);
            written.add(ref);
            reference.putAll(rows);
            table.commit(new Commit("w", g + 1, List.of(ref), List.of()));
        }
        assertThat(viewsOf(table, written.get(0))).isEmpty();
        assertThat(viewsOf(table, written.get(1))).containsExactly("k", "name");
        assertThat(viewsOf(table, written.get(3))).containsExactly("k");
        assertStringTableEquals(table, table.latestManifest(), reference);

        // The rows a merge yields (as the source's bucket reads and compaction read them), newest
        // per key, in key order, across Utf8 and view generations.
        List<GenerationRef> newestFirst = new ArrayList<>(written);
        java.util.Collections.reverse(newestFirst);
        Map<String, String> merged = new java.util.LinkedHashMap<>();
        try (NewestRowMerge rows = new NewestRowMerge(table, newestFirst, io, allocator)) {
            assertThat(rows.stringViewColumns()).isEmpty(); // the Utf8 generation has none
            while (rows.next()) {
                org.apache.arrow.vector.VarCharVector k =
                        (org.apache.arrow.vector.VarCharVector) rows.vectors()[0];
                org.apache.arrow.vector.VarCharVector name =
                        (org.apache.arrow.vector.VarCharVector) rows.vectors()[1];
                String key = new String(k.get(rows.row()), StandardCharsets.UTF_8);
                assertThat(rows.key()).isEqualTo(table.options().keyCodec().encode(key));
                merged.put(
                        key,
                        rows.deleted()
                                ? null
                                : new String(name.get(rows.row()), StandardCharsets.UTF_8));
            }
        }
        assertThat(merged).isEqualTo(reference);
        assertThat(new ArrayList<>(merged.keySet())).isEqualTo(sortedByEncodedKey(table, merged));

        // Compacting the two view generations keeps views; compacting all four, Utf8 where an
        // input had Utf8.
        Compaction ofViews =
                new GenerationMerger(table, io, allocator)
                        .merge(0, List.of(written.get(1), written.get(2)), false);
        assertThat(viewsOf(table, ofViews.output())).containsExactly("k", "name");
        Manifest afterViews =
                table.commit(new Commit("c", 1, List.of(), List.of(), List.of(ofViews)));
        assertStringTableEquals(table, afterViews, reference);
        Compaction ofAll =
                new GenerationMerger(table, io, allocator)
                        .merge(0, List.of(written.get(0), ofViews.output(), written.get(3)), true);
        assertThat(viewsOf(table, ofAll.output())).isEmpty();
        Manifest after = table.commit(new Commit("c", 2, List.of(), List.of(), List.of(ofAll)));
        assertThat(after.generations()).containsExactly(ofAll.output());
        assertStringTableEquals(table, after, reference);
    }

    /** Keys of 1 to 12 bytes, prefixes of one another among them. */
    private static String stringKey(int i) {
        return Integer.toString(i % 97, 36) + "é".repeat(i / 97 % 4) + (i % 3 == 0 ? "" : "~" + i);
    }

    private static List<String> sortedByEncodedKey(KilnTable table, Map<String, String> rows) {
        List<String> keys = new ArrayList<>(rows.keySet());
        keys.sort(
                (a, b) ->
                        dev.kiln.format.KeyCodec.compare(
                                table.options().keyCodec().encode(a),
                                table.options().keyCodec().encode(b)));
        return keys;
    }

    private GenerationRef writeStrings(
            KilnTable table, GenerationWriter writer, Map<String, String> rows) throws Exception {
        String path = table.newGenerationPath(0);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(STRING_KEYED, allocator)) {
            BitSet deletes = new BitSet();
            int row = 0;
            for (Map.Entry<String, String> e : rows.entrySet()) {
                ((org.apache.arrow.vector.VarCharVector) root.getVector("k"))
                        .setSafe(row, e.getKey().getBytes(StandardCharsets.UTF_8));
                if (e.getValue() == null) {
                    deletes.set(row);
                    root.getVector("name").setNull(row);
                } else {
                    ((org.apache.arrow.vector.VarCharVector) root.getVector("name"))
                            .setSafe(row, e.getValue().getBytes(StandardCharsets.UTF_8));
                }
                row++;
            }
            root.setRowCount(row);
            return GenerationRef.of(
                    path, 0, writer.write(table.resolve(path), root, deletes, allocator));
        }
    }

    private java.util.Set<String> viewsOf(KilnTable table, GenerationRef ref) throws Exception {
        return Generation.open(io, table.resolve(ref.path()))
                .get(30, TimeUnit.SECONDS)
                .stringViewColumns();
    }

    /** Every key of {@code reference} and keys between them, looked up in {@code manifest}. */
    private void assertStringTableEquals(
            KilnTable table, Manifest manifest, Map<String, String> reference) throws Exception {
        List<String> keys = new ArrayList<>();
        for (String k : reference.keySet()) {
            keys.add(k);
            keys.add(k + "\0");
            keys.add(k + "é");
        }
        assertAnswers(table, manifest, keys, reference);
    }

    /** Rewrites the table's metadata as a Kiln before the option wrote it: without the field. */
    private static void withoutFormatVersion(Path root) throws Exception {
        java.nio.file.Path metadata =
                java.nio.file.Path.of(new TablePaths(root).tableFile().toUri());
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode file = (ObjectNode) mapper.readTree(Files.readAllBytes(metadata));
        ObjectNode body = (ObjectNode) file.get("body");
        assertThat(body.has("generationFormatVersion")).isTrue();
        body.remove("generationFormatVersion");
        Files.write(metadata, checksummed(mapper, file));
    }

    private static Map<Long, String> rows(long from, long to) {
        Map<Long, String> rows = new TreeMap<>();
        for (long id = from; id < to; id++) {
            rows.put(id, id % 17 == 0 ? null : "v" + from + "-" + id + (id % 5 == 0 ? "" : "-ü"));
        }
        return rows;
    }

    private int versionOf(KilnTable table, GenerationRef ref) throws Exception {
        Generation g = Generation.open(io, table.resolve(ref.path())).get(30, TimeUnit.SECONDS);
        return g.formatVersion();
    }

    /** {@code file} as bytes, its {@code crc32c} set to the checksum of its (edited) body. */
    static byte[] checksummed(ObjectMapper mapper, ObjectNode file) throws Exception {
        CRC32C crc = new CRC32C();
        crc.update(mapper.writeValueAsBytes(file.get("body")));
        file.put("crc32c", crc.getValue());
        return mapper.writeValueAsBytes(file);
    }

    private void assertTableEquals(KilnTable table, Manifest manifest, Map<Long, String> reference)
            throws Exception {
        List<Long> keys = new ArrayList<>();
        for (long id = 0; id < 600; id++) {
            keys.add(id);
        }
        assertAnswers(table, manifest, keys, reference);
    }

    /** Looks {@code keys} up in {@code manifest}: each answers its value in {@code reference}. */
    private <K> void assertAnswers(
            KilnTable table, Manifest manifest, List<K> keys, Map<K, String> reference)
            throws Exception {
        Snapshot snapshot = new Snapshot(table, manifest, GenerationLookup.direct(io, allocator));
        List<byte[]> encoded = new ArrayList<>();
        for (K k : keys) {
            encoded.add(table.options().keyCodec().encode(k));
        }
        List<LookupResult> results = snapshot.lookupAll(encoded).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < keys.size(); i++) {
            LookupResult r = results.get(i);
            String value =
                    r.status() == LookupResult.Status.FOUND
                            ? (String) text(r.values().get(1))
                            : null;
            assertThat(value).as("key '%s'", keys.get(i)).isEqualTo(reference.get(keys.get(i)));
        }
    }

    private static Object text(Object value) {
        return value == null ? null : value.toString();
    }

    /** The codec of every page of generation {@code g}, from its record batch headers. */
    private static List<PageCompression.Codec> pageCodecs(KilnTable table, GenerationRef g)
            throws Exception {
        byte[] file = Files.readAllBytes(java.nio.file.Path.of(table.resolve(g.path()).toUri()));
        List<PageCompression.Codec> codecs = new ArrayList<>();
        int at = 8; // "ARROW1" and padding; then the schema message, then the pages
        boolean schema = true;
        while (true) {
            int length = ByteBuffer.wrap(file, at + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (length == 0) {
                return codecs;
            }
            Message message =
                    Message.getRootAsMessage(ByteBuffer.wrap(file, at + 8, length).slice());
            if (!schema) {
                RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
                codecs.add(
                        batch.compression() == null
                                ? PageCompression.Codec.NONE
                                : batch.compression().codec() == 0
                                        ? PageCompression.Codec.LZ4_FRAME
                                        : PageCompression.Codec.ZSTD);
            }
            schema = false;
            at += 8 + length + (int) message.bodyLength();
        }
    }
}
