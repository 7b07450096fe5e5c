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

import static dev.kiln.table.KilnTableTest.commit;
import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Symbolic links under a table root on {@code file://}: cleanup never follows one or deletes
 * outside the bucket folders, and neither commit nor a lookup accepts a generation reached through
 * one.
 */
class TableLinksTest {

    private static final Duration GRACE = Duration.ofHours(1);

    @TempDir java.nio.file.Path dir;

    private java.nio.file.Path tableDir;
    private java.nio.file.Path outside;
    private Instant now;

    @BeforeEach
    void setUp() throws IOException {
        tableDir = dir.resolve("table");
        outside = Files.createDirectories(dir.resolve("outside"));
        now = Instant.now();
    }

    private KilnTable create(int buckets) throws IOException {
        return KilnTable.create(new Path(tableDir.toUri()), options(buckets));
    }

    private List<Path> removeOrphans(KilnTable table) throws IOException {
        return table.removeOrphans(GRACE, Clock.fixed(now, ZoneOffset.UTC));
    }

    /** Writes 100 bytes at {@code file}, last modified two hours ago: an orphan if unnamed. */
    private java.nio.file.Path old(java.nio.file.Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[100]);
        Files.setLastModifiedTime(file, FileTime.from(now.minus(Duration.ofHours(2))));
        return file;
    }

    @Test
    void cleanupNeverFollowsALinkedBucketFolder() throws IOException {
        KilnTable table = create(2);
        java.nio.file.Path victim = old(outside.resolve("victim.arrow"));
        Files.createDirectories(tableDir.resolve("data"));
        Files.createSymbolicLink(tableDir.resolve("data/bucket-1"), outside);
        java.nio.file.Path orphan = old(tableDir.resolve("data/bucket-0/orphan.arrow"));

        List<Path> removed = removeOrphans(table);

        assertThat(Files.exists(victim)).isTrue();
        assertThat(Files.isSymbolicLink(tableDir.resolve("data/bucket-1"))).isTrue();
        assertThat(Files.exists(orphan)).isFalse();
        assertThat(removed).hasSize(1);
    }

    @Test
    void cleanupNeverFollowsALinkedDataFolder() throws IOException {
        KilnTable table = create(1);
        java.nio.file.Path victim = old(outside.resolve("bucket-0/victim.arrow"));
        Files.createSymbolicLink(tableDir.resolve("data"), outside);

        assertThat(removeOrphans(table)).isEmpty();

        assertThat(Files.exists(victim)).isTrue();
    }

    @Test
    void cleanupOnlyRemovesRegularFilesOfBucketFolders() throws IOException {
        KilnTable table = create(1);
        java.nio.file.Path target = old(outside.resolve("target.arrow"));
        List<java.nio.file.Path> kept =
                List.of(
                        old(tableDir.resolve("data/stray.arrow")),
                        old(tableDir.resolve("data/other/x.arrow")),
                        old(tableDir.resolve("data/bucket-x/y.arrow")),
                        old(tableDir.resolve("data/bucket-0/nested/z.arrow")));
        java.nio.file.Path link =
                Files.createSymbolicLink(tableDir.resolve("data/bucket-0/link.arrow"), target);
        java.nio.file.Path orphan = old(tableDir.resolve("data/bucket-0/orphan.arrow"));

        List<Path> removed = removeOrphans(table);

        assertThat(removed).containsExactly(table.resolve("data/bucket-0/orphan.arrow"));
        for (java.nio.file.Path file : kept) {
            assertThat(Files.exists(file)).as(file.toString()).isTrue();
        }
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.exists(target)).isTrue();
    }

    @Test
    void commitRejectsAGenerationThatIsALinkNamingIt() throws IOException {
        KilnTable table = create(1);
        java.nio.file.Path target = old(outside.resolve("g.arrow"));
        Files.createDirectories(tableDir.resolve("data/bucket-0"));
        Files.createSymbolicLink(tableDir.resolve("data/bucket-0/g.arrow"), target);

        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                1,
                                                List.of(ref("data/bucket-0/g.arrow", 0)),
                                                List.of())))
                .isInstanceOf(LinkedPathException.class)
                .hasMessageContaining("data/bucket-0/g.arrow");
        assertThat(table.latestManifest().version()).isZero();
    }

    @Test
    void commitRejectsAGenerationInALinkedFolderNamingTheLink() throws IOException {
        KilnTable table = create(2);
        old(outside.resolve("h.arrow"));
        Files.createDirectories(tableDir.resolve("data"));
        Files.createSymbolicLink(tableDir.resolve("data/bucket-1"), outside);

        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                1,
                                                List.of(ref("data/bucket-1/h.arrow", 1)),
                                                List.of())))
                .isInstanceOf(LinkedPathException.class)
                .hasMessageContaining("data/bucket-1");
        assertThat(table.latestManifest().version()).isZero();
    }
}
