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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.kiln.table.KilnTableTest.commit;
import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a version records of its changes ({@link Manifest#added}, {@link
 * Manifest#publishedAtMillis}), how a reader finds a bucket's changes in it ({@link
 * Manifest#changesNewestFirst}), and how a time is turned into a version ({@link
 * KilnTable#firstVersionPublishedAtOrAfter}); manifests of an older Kiln included.
 */
class ManifestChangesTest {

    @TempDir java.nio.file.Path dir;

    private Path root;

    @BeforeEach
    void setUp() {
        root = new Path(dir.resolve("table").toUri());
    }

    @Test
    void aCommitRecordsWhatItAddedButNotItsCompactionOutputsAndWhenItWasPublished()
            throws IOException {
        KilnTable table = KilnTable.create(root, options(2));
        GenerationRef a = stored("data/bucket-0/a.arrow", 0);
        GenerationRef b = stored("data/bucket-0/b.arrow", 0);
        table.commit(commit("w", 1, List.of(a), List.of()));
        table.commit(commit("w", 2, List.of(b), List.of()));
        GenerationRef merged = stored("data/bucket-0/m.arrow", 0);
        GenerationRef c = stored("data/bucket-0/c.arrow", 0);
        GenerationRef d = stored("data/bucket-1/d.arrow", 1);
        long before = System.currentTimeMillis();

        Manifest published =
                table.commit(
                        new Commit(
                                "w",
                                3,
                                List.of(c, d),
                                List.of(),
                                List.of(new Compaction(0, merged, List.of(a.path(), b.path())))));

        long after = System.currentTimeMillis();
        Manifest read = KilnTable.open(root).manifest(published.version());
        assertThat(read).isEqualTo(published);
        assertThat(read.generations()).containsExactly(merged, c, d);
        assertThat(read.added()).containsExactly(c.path(), d.path());
        assertThat(read.publishedAtMillis()).isBetween(before, after);
        assertThat(read.changesNewestFirst(0, null)).containsExactly(c);
        assertThat(read.changesNewestFirst(1, null)).containsExactly(d);

        Manifest compactionOnly =
                table.commit(
                        new Commit(
                                "w",
                                4,
                                List.of(),
                                List.of(),
                                List.of(
                                        new Compaction(
                                                0,
                                                stored("data/bucket-0/n.arrow", 0),
                                                List.of(merged.path(), c.path())))));
        assertThat(compactionOnly.added()).isEmpty();
        assertThat(compactionOnly.changesNewestFirst(0, null)).isEmpty();
        assertThat(compactionOnly.changesNewestFirst(1, null)).isEmpty();
    }

    @Test
    void anOrphanCleanupsClaimAddsNothing() throws IOException {
        KilnTable table = KilnTable.create(root, options(2));
        GenerationRef a = stored("data/bucket-0/a.arrow", 0);
        long committed = table.commit(commit("w", 1, List.of(a), List.of())).version();
        java.nio.file.Path orphan = local("data/bucket-1/orphan.arrow");
        Files.createDirectories(orphan.getParent());
        Files.write(orphan, new byte[100]);
        Files.setLastModifiedTime(orphan, FileTime.fromMillis(1_000));
        long before = System.currentTimeMillis();

        assertThat(table.removeOrphans(Duration.ofMinutes(1), Clock.systemUTC())).hasSize(1);

        Manifest claim = KilnTable.open(root).latestManifest();
        assertThat(claim.version()).as("the cleanup published a claim").isEqualTo(committed + 1);
        assertThat(claim.orphanCutoffMillis()).isPositive();
        assertThat(claim.added()).isNotNull().isEmpty();
        assertThat(claim.publishedAtMillis()).isBetween(before, System.currentTimeMillis());
        assertThat(claim.changesNewestFirst(0, null)).isEmpty();
        assertThat(claim.changesNewestFirst(1, null)).isEmpty();
    }

    /** A manifest as an older Kiln wrote it, without the new fields, reads with their defaults. */
    @Test
    void aManifestWithoutTheNewFieldsReadsAsUnrecorded() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef a = stored("data/bucket-0/a.arrow", 0);
        table.commit(commit("w", 1, List.of(a), List.of()));
        rewrite(
                1,
                fields -> {
                    fields.remove("added");
                    fields.remove("publishedAtMillis");
                });
        Manifest v1 = KilnTable.open(root).manifest(1);
        assertThat(v1.added()).isNull();
        assertThat(v1.publishedAtMillis()).isZero();
        assertThat(v1.generations()).containsExactly(a);

        rewrite(
                1,
                fields -> {
                    fields.remove("added");
                    fields.remove("publishedAtMillis");
                    fields.remove("orphanCutoffMillis");
                });
        Manifest oldest = KilnTable.open(root).manifest(1);
        assertThat(oldest.added()).isNull();
        assertThat(oldest.publishedAtMillis()).isZero();
        assertThat(oldest.orphanCutoffMillis()).isZero();
    }

    /**
     * A field a newer Kiln adds to a manifest is ignored, as this Kiln's own additions would have
     * wanted older ones to (a change of meaning bumps the format version instead).
     */
    @Test
    void aFieldANewerKilnAddsIsIgnored() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef a = stored("data/bucket-0/a.arrow", 0);
        Manifest written = table.commit(commit("w", 1, List.of(a), List.of()));
        rewrite(1, fields -> fields.put("someFutureField", "x"));
        assertThat(KilnTable.open(root).manifest(1)).isEqualTo(written);
    }

    /**
     * The table an older Kiln wrote (the pre-split compatibility fixture): no version records what
     * it added, so a version's changes are its new generations; a version that also retired some (a
     * compaction) cannot tell them from compaction outputs and says so, naming itself.
     */
    @Test
    void anOlderKilnsVersionsChangesAreTheirNewGenerationsUnlessTheyCompacted() throws Exception {
        java.nio.file.Path fixture =
                Paths.get(getClass().getResource("/compat/pre-split/table").toURI());
        copy(fixture, dir.resolve("table"));
        KilnTable table = KilnTable.open(root);
        long latest = table.latestVersion();
        assertThat(latest).isEqualTo(16);
        int compacted = 0;
        for (long version = 1; version <= latest; version++) {
            Manifest manifest = table.manifest(version);
            Manifest previous = table.manifest(version - 1);
            assertThat(manifest.added()).isNull();
            assertThat(manifest.publishedAtMillis()).isZero();
            for (int bucket = 0; bucket < table.options().bucketCount(); bucket++) {
                int b = bucket;
                if (!manifest.retired().isEmpty()) {
                    UnknownChangesException unknown =
                            catchThrowableOfType(
                                    UnknownChangesException.class,
                                    () -> manifest.changesNewestFirst(b, previous));
                    assertThat(unknown.version()).isEqualTo(version);
                    assertThat(unknown).hasMessageStartingWith("version " + version + " was");
                    continue;
                }
                Set<String> before = new HashSet<>();
                previous.generations().forEach(g -> before.add(g.path()));
                List<GenerationRef> expected =
                        manifest.newestFirst(bucket).stream()
                                .filter(g -> !before.contains(g.path()))
                                .toList();
                assertThat(expected).as("version %d adds to bucket %d", version, bucket).hasSize(1);
                assertThat(manifest.changesNewestFirst(bucket, previous))
                        .containsExactlyElementsOf(expected);
            }
            if (!manifest.retired().isEmpty()) {
                compacted++;
            }
        }
        assertThat(compacted).as("the fixture compacts").isEqualTo(3);
    }

    @Test
    void changesAreABucketsAddedGenerationsNewestFirst() throws IOException {
        GenerationRef old = ref("data/bucket-0/old.arrow", 0);
        GenerationRef a = ref("data/bucket-0/a.arrow", 0);
        GenerationRef b = ref("data/bucket-1/b.arrow", 1);
        GenerationRef c = ref("data/bucket-0/c.arrow", 0);
        GenerationRef out = ref("data/bucket-1/out.arrow", 1);
        Manifest manifest =
                new Manifest(
                        5,
                        List.of(old, a, out, b, c),
                        List.of("data/bucket-1/in.arrow"),
                        Map.of(),
                        0,
                        List.of(a.path(), b.path(), c.path()),
                        1_000);

        assertThat(manifest.changesNewestFirst(0, null)).containsExactly(c, a);
        assertThat(manifest.changesNewestFirst(1, null)).containsExactly(b);
        assertThat(manifest.changesNewestFirst(2, null)).isEmpty();
        assertThat(manifest.newestFirst(0)).containsExactly(c, a, old);
    }

    @Test
    void anOlderKilnsChangesAreTheDifferenceWithThePreviousVersion() throws IOException {
        GenerationRef kept = ref("data/bucket-0/kept.arrow", 0);
        GenerationRef a = ref("data/bucket-0/a.arrow", 0);
        GenerationRef b = ref("data/bucket-0/b.arrow", 0);
        GenerationRef other = ref("data/bucket-1/other.arrow", 1);
        Manifest previous = new Manifest(3, List.of(kept), List.of(), Map.of(), 0);
        Manifest legacy = new Manifest(4, List.of(kept, a, other, b), List.of(), Map.of(), 0);

        assertThat(legacy.changesNewestFirst(0, previous)).containsExactly(b, a);
        assertThat(legacy.changesNewestFirst(1, previous)).containsExactly(other);
        assertThatThrownBy(() -> legacy.changesNewestFirst(0, null))
                .as("the previous version is required")
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("previous");

        Manifest legacyCompaction = new Manifest(7, List.of(a), List.of(kept.path()), Map.of(), 0);
        assertThatThrownBy(() -> legacyCompaction.changesNewestFirst(0, previous))
                .isInstanceOf(UnknownChangesException.class)
                .hasMessageStartingWith("version 7 was written by an older Kiln")
                .satisfies(e -> assertThat(((UnknownChangesException) e).version()).isEqualTo(7));
        assertThatThrownBy(() -> legacyCompaction.changesNewestFirst(1, previous))
                .as("even for a bucket it did not compact")
                .isInstanceOf(UnknownChangesException.class);
    }

    /**
     * Times are exact: a version published at {@code t} is found for {@code t} and not for {@code t
     * + 1}; a time after the latest gives the next version; a manifest without a time is timed by
     * its file; an expired version is never returned.
     */
    @Test
    void aTimeFindsTheFirstRetainedVersionPublishedThenOrLater() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        for (int v = 1; v <= 4; v++) {
            table.commit(
                    commit("w", v, List.of(stored("data/bucket-0/" + v + ".arrow", 0)), List.of()));
        }
        for (int v = 1; v <= 4; v++) {
            long millis = v * 1_000L;
            rewrite(v, fields -> fields.put("publishedAtMillis", millis));
        }
        // Version 0 (the table's creation) records no time: its file's is used.
        assertThat(table.manifest(0).publishedAtMillis()).isZero();
        Files.setLastModifiedTime(manifestFile(0), FileTime.fromMillis(500));
        KilnTable reopened = KilnTable.open(root);

        assertThat(reopened.firstVersionPublishedAtOrAfter(Long.MIN_VALUE)).isZero();
        assertThat(reopened.firstVersionPublishedAtOrAfter(500)).isZero();
        assertThat(reopened.firstVersionPublishedAtOrAfter(501)).isEqualTo(1);
        assertThat(reopened.firstVersionPublishedAtOrAfter(1_000)).isEqualTo(1);
        assertThat(reopened.firstVersionPublishedAtOrAfter(1_001)).isEqualTo(2);
        assertThat(reopened.firstVersionPublishedAtOrAfter(2_999)).isEqualTo(3);
        assertThat(reopened.firstVersionPublishedAtOrAfter(3_000)).isEqualTo(3);
        assertThat(reopened.firstVersionPublishedAtOrAfter(4_000)).isEqualTo(4);
        assertThat(reopened.firstVersionPublishedAtOrAfter(4_001))
                .as("after the latest: only later versions")
                .isEqualTo(5);
        assertThat(reopened.firstVersionPublishedAtOrAfter(Long.MAX_VALUE)).isEqualTo(5);

        assertThat(
                        reopened.expireVersions(
                                2,
                                Duration.ZERO,
                                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))))
                .containsExactly(0L, 1L, 2L);

        assertThat(reopened.firstVersionPublishedAtOrAfter(0)).isEqualTo(3);
        assertThat(reopened.firstVersionPublishedAtOrAfter(1_000)).isEqualTo(3);
        assertThat(reopened.firstVersionPublishedAtOrAfter(3_001)).isEqualTo(4);
        assertThat(reopened.firstVersionPublishedAtOrAfter(4_001)).isEqualTo(5);
    }

    /** Rewrites manifest {@code version}'s fields with {@code edit}, with a valid checksum. */
    private void rewrite(long version, Consumer<ObjectNode> edit) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode file = (ObjectNode) mapper.readTree(Files.readAllBytes(manifestFile(version)));
        JsonNode body = file.get("body");
        edit.accept((ObjectNode) body.get("manifest"));
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(mapper.writeValueAsBytes(body));
        file.put("crc32c", crc.getValue());
        Files.write(manifestFile(version), mapper.writeValueAsBytes(file));
    }

    private GenerationRef stored(String relative, int bucket) throws IOException {
        java.nio.file.Path file = local(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[100]);
        return ref(relative, bucket);
    }

    private java.nio.file.Path local(String relative) {
        return dir.resolve("table").resolve(relative);
    }

    private java.nio.file.Path manifestFile(long version) {
        return dir.resolve(
                "table/_kiln/manifests/" + String.format("manifest-%020d.json", version));
    }

    private static void copy(java.nio.file.Path from, java.nio.file.Path to) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(from)) {
            for (java.nio.file.Path source : (Iterable<java.nio.file.Path>) files::iterator) {
                java.nio.file.Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}
