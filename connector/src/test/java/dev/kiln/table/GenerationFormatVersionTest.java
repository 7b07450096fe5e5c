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
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.ArrayList;
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
 * The generation format version is a table option recorded at creation: a new table's writers write
 * the latest version, a table created before the option keeps writing the version older readers
 * read, and one table answers and compacts across generations of both versions.
 */
class GenerationFormatVersionTest {

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
    void aNewTableRecordsTheLatestVersionAndItsWritersWriteIt() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable.create(path, TableOptions.builder(KilnTableTest.SCHEMA, List.of("id")).build());
        KilnTable table = KilnTable.open(path);
        assertThat(table.options().generationFormatVersion())
                .isEqualTo(GenerationWriter.FORMAT_VERSION)
                .isEqualTo(3);
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
        assertAnswers(table, table.latestManifest(), reference);

        Compaction merged =
                new GenerationMerger(table, io, allocator).merge(0, List.of(old, recent), true);
        assertThat(versionOf(table, merged.output()))
                .isEqualTo(GenerationWriter.FORMAT_VERSION_BASE64_INDEX);
        Manifest after = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(merged)));
        assertAnswers(table, after, reference);
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
        for (int version : new int[] {0, 1, 4, -3}) {
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

    private static byte[] checksummed(ObjectMapper mapper, ObjectNode file) throws Exception {
        CRC32C crc = new CRC32C();
        crc.update(mapper.writeValueAsBytes(file.get("body")));
        file.put("crc32c", crc.getValue());
        return mapper.writeValueAsBytes(file);
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

    private void assertAnswers(KilnTable table, Manifest manifest, Map<Long, String> reference)
            throws Exception {
        Snapshot snapshot = new Snapshot(table, manifest, GenerationLookup.direct(io, allocator));
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < 500; id++) {
            keys.add(table.options().keyCodec().encode(id));
        }
        List<LookupResult> results = snapshot.lookupAll(keys).get(30, TimeUnit.SECONDS);
        for (int id = 0; id < keys.size(); id++) {
            LookupResult r = results.get(id);
            String value =
                    r.status() == LookupResult.Status.FOUND ? r.values().get(1).toString() : null;
            assertThat(value).as("key %d", id).isEqualTo(reference.get((long) id));
        }
    }
}
