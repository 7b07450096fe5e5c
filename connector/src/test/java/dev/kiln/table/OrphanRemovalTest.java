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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link OrphanRemoval}'s steps alone: the candidates, the storage's clock, the cutoff claim. */
class OrphanRemovalTest {

    @TempDir java.nio.file.Path dir;

    private ManifestStore store;
    private OrphanRemoval removal;

    @BeforeEach
    void setUp() throws IOException {
        Path root = new Path(dir.resolve("table").toUri());
        KilnTable.create(root, options(2));
        store = new ManifestStore(root.getFileSystem(), root, 2);
        removal = new OrphanRemoval(store);
    }

    private void write(String relative, long modified) throws IOException {
        java.nio.file.Path file = dir.resolve("table").resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[100]);
        Files.setLastModifiedTime(file, FileTime.fromMillis(modified));
    }

    @Test
    void candidatesAreOldFilesDirectlyInBucketFoldersOnly() throws IOException {
        write("data/bucket-0/old", 1_000);
        write("data/bucket-1/old", 1_000);
        write("data/bucket-0/new", 3_000);
        write("data/bucket-0/nested/old", 1_000);
        write("data/loose", 1_000);
        write("data/other/old", 1_000);
        write("elsewhere/old", 1_000);

        Map<String, Path> candidates = removal.candidates(2_000);

        assertThat(candidates).containsOnlyKeys("data/bucket-0/old", "data/bucket-1/old");
        assertThat(candidates.get("data/bucket-0/old"))
                .isEqualTo(store.paths().resolve("data/bucket-0/old"));
    }

    @Test
    void theStoragesClockIsAMarkersModificationTimeAndTheMarkerIsGone() throws IOException {
        long before = System.currentTimeMillis();

        long storage = removal.storageMillis();

        assertThat(storage).isBetween(before - 5_000, System.currentTimeMillis() + 5_000);
        java.nio.file.Path temp = dir.resolve("table").resolve(TablePaths.TEMP_DIR);
        if (Files.exists(temp)) {
            try (var left = Files.list(temp)) {
                assertThat(left.toList()).isEmpty();
            }
        }
    }

    @Test
    void claimingACutoffPublishesItOnceAndCollectsEveryVersionsGenerations() throws IOException {
        GenerationRef a = ref("data/bucket-0/a", 0);
        GenerationRef b = ref("data/bucket-1/b", 1);
        store.publishVersion(new Manifest(1, List.of(a), List.of(), Map.of("c", 1L), 0));
        store.publishVersion(new Manifest(2, List.of(b), List.of("data/bucket-0/a"), Map.of(), 0));
        Set<String> named = new HashSet<>();

        removal.claimCutoff(5_000, named, 0);

        assertThat(named).containsExactlyInAnyOrder(a.path(), b.path());
        Manifest claim = store.latestManifest();
        assertThat(claim.version()).isEqualTo(3);
        assertThat(claim.orphanCutoffMillis()).isEqualTo(5_000);
        assertThat(claim.generations()).containsExactly(b);
        assertThat(claim.retired()).isEmpty();

        removal.claimCutoff(4_000, new HashSet<>(), 3);
        assertThat(store.latestVersion()).isEqualTo(3);
    }
}
