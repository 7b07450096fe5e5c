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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static dev.kiln.table.KilnTableTest.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link VersionExpiry} alone: the retention policy over manifests of known ages. */
class VersionExpiryTest {

    @TempDir java.nio.file.Path dir;

    private final Instant now = Instant.parse("2026-01-01T12:00:00Z");
    private final Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    private ManifestStore store;
    private VersionExpiry expiry;

    /** Versions 0..5, version {@code v} published {@code 6 - v} hours before {@link #now}. */
    @BeforeEach
    void setUp() throws IOException {
        Path root = new Path(dir.resolve("table").toUri());
        KilnTable.create(root, options(1));
        store = new ManifestStore(root.getFileSystem(), root, 1);
        for (long v = 1; v <= 5; v++) {
            store.publishVersion(new Manifest(v, List.of(), List.of(), Map.of(), 0));
        }
        for (long v = 0; v <= 5; v++) {
            Files.setLastModifiedTime(local(v), FileTime.from(now.minus(Duration.ofHours(6 - v))));
        }
    }

    private java.nio.file.Path local(long version) {
        return java.nio.file.Path.of(store.paths().manifest(version).toUri());
    }

    @Test
    void keepsTheNewestCountWhateverTheirAge() throws IOException {
        assertThat(expiry().expire(2, Duration.ZERO, clock)).containsExactly(0L, 1L, 2L, 3L);
        assertThat(store.oldestVersion()).isEqualTo(4);
        assertThat(store.latestVersion()).isEqualTo(5);
    }

    @Test
    void keepsRecentVersionsWhateverTheCount() throws IOException {
        assertThat(expiry().expire(1, Duration.ofMinutes(150), clock))
                .containsExactly(0L, 1L, 2L, 3L);
        assertThat(expiry().expire(1, Duration.ofHours(10), clock)).isEmpty();
    }

    @Test
    void stopsAtTheFirstRecentVersionSoTheRetainedOnesAreTheNewestRun() throws IOException {
        Files.setLastModifiedTime(local(1), FileTime.from(now));

        assertThat(expiry().expire(1, Duration.ofMinutes(30), clock)).containsExactly(0L);
        assertThat(store.oldestVersion()).isEqualTo(1);
    }

    @Test
    void rejectsOptionsOutOfRange() {
        assertThatThrownBy(() -> expiry().expire(0, Duration.ZERO, clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepLast");
        assertThatThrownBy(() -> expiry().expire(1, Duration.ofSeconds(-1), clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepFor");
    }

    private VersionExpiry expiry() {
        if (expiry == null) {
            expiry = new VersionExpiry(store);
        }
        return expiry;
    }
}
