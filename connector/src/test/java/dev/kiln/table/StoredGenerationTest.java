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

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link StoredGeneration} alone: what a commit refuses to name. */
class StoredGenerationTest {

    @TempDir java.nio.file.Path dir;

    private ManifestStore store;
    private final Manifest base = new Manifest(3, List.of(), List.of(), Map.of(), 5_000_000);

    @BeforeEach
    void setUp() throws IOException {
        Path root = new Path(dir.resolve("table").toUri());
        KilnTable.create(root, options(1));
        store = new ManifestStore(root.getFileSystem(), root, 1);
    }

    private java.nio.file.Path write(String relative, int bytes, long modified) throws IOException {
        java.nio.file.Path file = dir.resolve("table").resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[bytes]);
        Files.setLastModifiedTime(file, FileTime.fromMillis(modified));
        return file;
    }

    @Test
    void aWholeFileNewerThanTheCutoffPasses() throws IOException {
        write("data/bucket-0/a", 100, 6_000_000);

        assertThatCode(() -> StoredGeneration.check(store, ref("data/bucket-0/a", 0), base))
                .doesNotThrowAnyException();
    }

    @Test
    void aMissingFileOrAFolderIsRefused() throws IOException {
        assertThatThrownBy(() -> StoredGeneration.check(store, ref("data/bucket-0/a", 0), base))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining("there is no file");

        Files.createDirectories(dir.resolve("table/data/bucket-0/d"));
        assertThatThrownBy(() -> StoredGeneration.check(store, ref("data/bucket-0/d", 0), base))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining("is a folder");
    }

    @Test
    void aFileOfAnotherSizeIsRefused() throws IOException {
        write("data/bucket-0/a", 99, 6_000_000);

        assertThatThrownBy(() -> StoredGeneration.check(store, ref("data/bucket-0/a", 0), base))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining("99 bytes");
    }

    @Test
    void aFileOlderThanTheBasesOrphanCutoffIsRefused() throws IOException {
        write("data/bucket-0/a", 100, 4_999_999);

        assertThatThrownBy(() -> StoredGeneration.check(store, ref("data/bucket-0/a", 0), base))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining("orphan cutoff 5000000 of version 3");
    }

    @Test
    void aFileReachedThroughALinkIsRefused() throws IOException {
        java.nio.file.Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        write("../elsewhere/a", 100, 6_000_000);
        Files.createDirectories(dir.resolve("table/data"));
        Files.createSymbolicLink(dir.resolve("table/data/bucket-0"), elsewhere);

        assertThatThrownBy(() -> StoredGeneration.check(store, ref("data/bucket-0/a", 0), base))
                .isInstanceOf(LinkedPathException.class);
    }
}
