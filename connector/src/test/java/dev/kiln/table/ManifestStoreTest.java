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

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static dev.kiln.table.KilnTableTest.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ManifestStore} alone: the version hint, probing, listing and publishing versions. */
class ManifestStoreTest {

    @TempDir java.nio.file.Path dir;

    private Path root;
    private ManifestStore store;

    @BeforeEach
    void setUp() throws IOException {
        root = new Path(dir.resolve("table").toUri());
        KilnTable.create(root, options(1));
        store = new ManifestStore(root.getFileSystem(), root, 1);
    }

    private void publishUpTo(long last) throws IOException {
        for (long v = 1; v <= last; v++) {
            store.publishVersion(new Manifest(v, List.of(), List.of(), Map.of(), 0));
        }
    }

    private void hint(String text) throws IOException {
        Files.writeString(
                dir.resolve("table").resolve(TablePaths.VERSION_HINT),
                text,
                StandardCharsets.US_ASCII);
    }

    @Test
    void publishingAVersionPointsTheHintAtIt() throws IOException {
        publishUpTo(3);

        assertThat(store.readHint()).isEqualTo(3);
        assertThat(store.latestVersion()).isEqualTo(3);
        assertThat(store.latestManifest().version()).isEqualTo(3);
    }

    @Test
    void aHintThatHoldsNoVersionIsIgnored() throws IOException {
        publishUpTo(2);
        for (String garbage :
                List.of("", "abc", "-1", "1".repeat(ManifestStore.MAX_HINT_BYTES + 1))) {
            hint(garbage);

            assertThat(store.readHint()).as(garbage).isEqualTo(-1);
            assertThat(store.latestVersion()).as(garbage).isEqualTo(2);
        }
        Files.delete(dir.resolve("table").resolve(TablePaths.VERSION_HINT));
        assertThat(store.readHint()).isEqualTo(-1);
        assertThat(store.latestManifest().version()).isEqualTo(2);
    }

    @Test
    void aLaggingHintIsProbedForwardUpToTheLimitThenListed() throws IOException {
        publishUpTo(KilnTable.MAX_HINT_PROBES + 2);
        hint("1\n");

        assertThat(store.probe(1)).isEqualTo(-1);
        assertThat(store.probe(2)).isEqualTo(KilnTable.MAX_HINT_PROBES + 2);
        assertThat(store.latestVersion()).isEqualTo(KilnTable.MAX_HINT_PROBES + 2);
        assertThat(store.listLatestVersion()).isEqualTo(KilnTable.MAX_HINT_PROBES + 2);
    }

    @Test
    void aHintAheadOfTheLatestVersionFallsBackToListing() throws IOException {
        publishUpTo(2);
        hint("7");

        assertThat(store.latestVersion()).isEqualTo(2);
        assertThat(store.latestManifest().version()).isEqualTo(2);
    }

    @Test
    void aMissingVersionIsExpiredIfOlderThanTheOldestPresentElseNotFound() throws IOException {
        publishUpTo(2);
        Files.delete(java.nio.file.Path.of(store.paths().manifest(0).toUri()));

        assertThat(store.oldestVersion()).isEqualTo(1);
        assertThatThrownBy(() -> store.manifest(0)).isInstanceOf(VersionExpiredException.class);
        assertThatThrownBy(() -> store.manifest(3)).isInstanceOf(FileNotFoundException.class);
        assertThatThrownBy(() -> store.manifest(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aVersionIsPublishedOnceAndTheLastVersionHasNoSuccessor() throws IOException {
        publishUpTo(1);

        assertThatThrownBy(
                        () ->
                                store.publishVersion(
                                        new Manifest(1, List.of(), List.of(), Map.of(), 0)))
                .isInstanceOf(ManifestConflictException.class);
        assertThat(store.manifest(1).committed()).isEmpty();
        assertThat(ManifestStore.nextVersion(store.manifest(1))).isEqualTo(2);
        assertThatThrownBy(
                        () ->
                                ManifestStore.nextVersion(
                                        new Manifest(
                                                Long.MAX_VALUE, List.of(), List.of(), Map.of(), 0)))
                .isInstanceOf(InvalidManifestException.class);
    }

    @Test
    void listingTellsANonTableFromATableWithoutManifests() throws IOException {
        Path nothing = new Path(dir.resolve("nothing").toUri());
        ManifestStore none = new ManifestStore(nothing.getFileSystem(), nothing, 1);
        assertThatThrownBy(none::listLatestVersion)
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(nothing.toString());

        try (var manifests = Files.list(dir.resolve("table").resolve(TablePaths.MANIFEST_DIR))) {
            for (java.nio.file.Path manifest : manifests.toList()) {
                Files.delete(manifest);
            }
        }
        assertThatThrownBy(store::listLatestVersion).isInstanceOf(InvalidManifestException.class);
    }
}
