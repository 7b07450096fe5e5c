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
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Manifest expiry, and orphan cleanup of what only expired versions named. */
class ExpiryTest {

    @TempDir java.nio.file.Path dir;

    private KilnTable table;
    private final List<GenerationRef> written = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        table = KilnTable.create(new Path(dir.resolve("table").toUri()), KilnTableTest.options(1));
    }

    /** Versions 1..10, each replacing the previous generation by a new one. */
    private void commitTenReplacements() throws IOException {
        for (int v = 1; v <= 10; v++) {
            GenerationRef next = stored("data/bucket-0/g" + v + ".arrow");
            List<String> retired =
                    written.isEmpty() ? List.of() : List.of(written.get(written.size() - 1).path());
            table.commit(new Commit("w", v, List.of(next), retired));
            written.add(next);
        }
    }

    @Test
    void expiryKeepsTheNewestVersionsAndReadersOfExpiredOnesGetATypedError() throws Exception {
        commitTenReplacements();

        List<Long> removed = table.expireVersions(3, Duration.ZERO, Clock.systemUTC());

        assertThat(removed).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(table.latestManifest().version()).isEqualTo(10);
        assertThat(table.manifest(8).generations()).containsExactly(written.get(7));
        assertThatThrownBy(() -> table.manifest(5))
                .isInstanceOf(VersionExpiredException.class)
                .hasMessageContaining("version 5")
                .hasMessageContaining("oldest version retained is 8");
        assertThatThrownBy(() -> table.manifest(11))
                .as("a version not yet published is not an expired one")
                .isInstanceOf(FileNotFoundException.class)
                .isNotInstanceOf(VersionExpiredException.class);
        assertThat(table.expireVersions(3, Duration.ZERO, Clock.systemUTC())).isEmpty();
    }

    @Test
    void cleanupAfterExpiryDeletesOnlyWhatNoRetainedVersionNames() throws Exception {
        commitTenReplacements();
        table.expireVersions(3, Duration.ZERO, Clock.systemUTC());
        // Ten minutes later, by the storage's clock.
        KilnTable later =
                KilnTable.open(
                        new StorageClockFileSystem(
                                () ->
                                        System.currentTimeMillis()
                                                + Duration.ofMinutes(10).toMillis()),
                        table.root());

        List<Path> deleted = later.removeOrphans(Duration.ofMinutes(1), Clock.systemUTC());

        List<String> deletedNames = deleted.stream().map(Path::getName).toList();
        for (int v = 1; v <= 7; v++) {
            assertThat(deletedNames).contains("g" + v + ".arrow");
        }
        for (int v = 8; v <= 10; v++) {
            assertThat(Files.exists(local(written.get(v - 1).path())))
                    .as("g%d is named by retained version %d", v, v)
                    .isTrue();
        }
    }

    @Test
    void aStaleVersionHintNamingAnExpiredVersionIsListedPast() throws Exception {
        commitTenReplacements();
        table.expireVersions(
                2, Duration.ZERO, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1)));
        // A slower committer's hint, written after the newer ones.
        Files.writeString(dir.resolve("table").resolve("_kiln").resolve("version-hint"), "5\n");

        assertThat(table.latestManifest().version()).isEqualTo(10);
        assertThat(table.latestVersion()).isEqualTo(10);
        assertThat(table.snapshot(GenerationLookup.direct(null, null)).manifest().version())
                .isEqualTo(10);
    }

    @Test
    void youngVersionsAreKeptWhateverTheCount() throws Exception {
        commitTenReplacements();
        Clock past = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
        Clock future = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));

        assertThat(table.expireVersions(1, Duration.ofHours(1), past)).isEmpty();
        assertThat(table.expireVersions(1, Duration.ofHours(1), Clock.systemUTC())).isEmpty();
        assertThat(table.expireVersions(1, Duration.ofHours(1), future)).hasSize(10);
        assertThat(table.latestManifest().version()).isEqualTo(10);
    }

    @Test
    void optionsAreValidatedNamingTheOption() {
        assertThatThrownBy(() -> table.expireVersions(0, Duration.ZERO, Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepLast");
        assertThatThrownBy(() -> table.expireVersions(1, Duration.ofSeconds(-1), Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepFor");
    }

    private GenerationRef stored(String relative) throws IOException {
        java.nio.file.Path file = local(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[100]);
        return KilnTableTest.ref(relative, 0);
    }

    private java.nio.file.Path local(String relative) {
        return dir.resolve("table").resolve(relative);
    }
}
