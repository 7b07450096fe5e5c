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

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.kiln.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KilnTableTest {

    static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    @TempDir java.nio.file.Path dir;

    private Path root;
    private ExecutorService threads;

    @BeforeEach
    void setUp() {
        root = new Path(dir.resolve("table").toUri());
        threads = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
    }

    static TableOptions options(int buckets) {
        return TableOptions.builder(SCHEMA, List.of("id")).bucketCount(buckets).build();
    }

    /** A reference to a generation of 100 bytes, without writing it. */
    static GenerationRef ref(String path, int bucket) {
        return new GenerationRef(path, bucket, new byte[] {1}, new byte[] {9}, 10, 100);
    }

    /** Writes a 100-byte file at {@code path} and returns its reference. */
    private GenerationRef stored(String path, int bucket) {
        try {
            touch(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ref(path, bucket);
    }

    static Commit commit(
            String committer, long checkpoint, List<GenerationRef> added, List<String> retired) {
        return new Commit(committer, checkpoint, added, retired);
    }

    @Test
    void createThenOpenGivesTheSameOptionsAndAnEmptyVersionZero() throws IOException {
        TableOptions options =
                TableOptions.builder(SCHEMA, List.of("id"))
                        .bucketCount(4)
                        .targetPageBytes(4096)
                        .filterFalsePositiveRate(0.05)
                        .build();
        KilnTable.create(root, options);

        KilnTable opened = KilnTable.open(root);

        assertThat(opened.options()).isEqualTo(options);
        assertThat(opened.options().schema()).isEqualTo(SCHEMA);
        assertThat(opened.latestManifest()).isEqualTo(Manifest.empty());
    }

    @Test
    void creatingTwiceOrOpeningNothingFailsTyped() throws IOException {
        KilnTable.create(root, options(1));

        assertThatThrownBy(() -> KilnTable.create(root, options(2)))
                .isInstanceOf(TableAlreadyExistsException.class)
                .hasMessageContaining(root.toString());
        assertThatThrownBy(() -> KilnTable.open(new Path(dir.resolve("nothing").toUri())))
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining("nothing");
        assertThat(KilnTable.open(root).options().bucketCount()).isEqualTo(1);
    }

    @Test
    void commitsPublishVersionsOldestFirstAndRetire() throws IOException {
        KilnTable table = KilnTable.create(root, options(2));
        GenerationRef a = stored("data/bucket-0/a.arrow", 0);
        GenerationRef b = stored("data/bucket-1/b.arrow", 1);
        GenerationRef c = stored("data/bucket-0/c.arrow", 0);

        Manifest v1 = table.commit(commit("writer", 1, List.of(a, b), List.of()));
        Manifest v2 = table.commit(commit("writer", 2, List.of(c), List.of()));
        Manifest v3 = table.commit(commit("compactor", 1, List.of(), List.of(a.path())));

        assertThat(v1.version()).isEqualTo(1);
        assertThat(v2.generations()).containsExactly(a, b, c);
        assertThat(v2.newestFirst(0)).containsExactly(c, a);
        assertThat(v3.generations()).containsExactly(b, c);
        assertThat(v3.retired()).containsExactly(a.path());
        assertThat(v3.committed()).isEqualTo(Map.of("writer", 2L, "compactor", 1L));
        assertThat(table.latestManifest()).isEqualTo(v3);
        assertThat(KilnTable.open(root).manifest(2)).isEqualTo(v2);
    }

    @Test
    void aReplayedCheckpointCommitsNothingTwice() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        Manifest first =
                table.commit(
                        commit(
                                "writer",
                                7,
                                List.of(stored("data/bucket-0/a.arrow", 0)),
                                List.of()));

        Manifest replay =
                table.commit(
                        commit(
                                "writer",
                                7,
                                List.of(stored("data/bucket-0/a.arrow", 0)),
                                List.of()));
        Manifest older =
                table.commit(
                        commit(
                                "writer",
                                5,
                                List.of(stored("data/bucket-0/z.arrow", 0)),
                                List.of()));

        assertThat(replay).isEqualTo(first);
        assertThat(older).isEqualTo(first);
        assertThat(table.latestManifest().version()).isEqualTo(1);
    }

    @Test
    void racingCommittersOnOneBaseHaveExactlyOneWinner() throws Exception {
        KilnTable table = KilnTable.create(root, options(1));
        for (int iteration = 0; iteration < 30; iteration++) {
            Manifest base = table.latestManifest();
            int racers = 6;
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Boolean>> won = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                GenerationRef mine = stored("data/bucket-0/i" + iteration + "-r" + r + ".arrow", 0);
                won.add(
                        CompletableFuture.supplyAsync(
                                () -> {
                                    await(start);
                                    try {
                                        table.commitOn(
                                                base,
                                                commit(
                                                        "w" + mine.path(),
                                                        1,
                                                        List.of(mine),
                                                        List.of()));
                                        return true;
                                    } catch (ManifestConflictException e) {
                                        assertThat(e)
                                                .hasMessageContaining(
                                                        String.format(
                                                                "manifest-%020d.json",
                                                                base.version() + 1));
                                        return false;
                                    } catch (IOException e) {
                                        throw new IllegalStateException(e);
                                    }
                                },
                                threads));
            }
            start.countDown();
            long winners = won.stream().filter(CompletableFuture::join).count();
            assertThat(winners).isEqualTo(1);
            assertThat(table.latestManifest().version()).isEqualTo(base.version() + 1);
        }
        assertNoTemporaryFiles();
    }

    @Test
    void losersRetryOnTheNewBaseAndEveryGenerationIsCommittedOnce() throws Exception {
        // Each lost attempt means another commit landed, so committers * commitsEach attempts
        // always suffice: no commit can fail for lack of retries.
        KilnTable table = KilnTable.create(root, options(4));
        int committers = 8;
        int commitsEach = 6;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int c = 0; c < committers; c++) {
            String committer = "committer-" + c;
            done.add(
                    CompletableFuture.runAsync(
                            () -> {
                                await(start);
                                for (int k = 1; k <= commitsEach; k++) {
                                    String path =
                                            "data/bucket-"
                                                    + (k % 4)
                                                    + "/"
                                                    + committer
                                                    + "-"
                                                    + k
                                                    + ".arrow";
                                    try {
                                        table.commit(
                                                commit(
                                                        committer,
                                                        k,
                                                        List.of(stored(path, k % 4)),
                                                        List.of()),
                                                committers * commitsEach);
                                    } catch (IOException e) {
                                        throw new IllegalStateException(e);
                                    }
                                }
                            },
                            threads));
        }
        start.countDown();
        CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
                .get(60, TimeUnit.SECONDS);

        Manifest latest = table.latestManifest();
        assertThat(latest.version()).isEqualTo(committers * commitsEach);
        assertThat(latest.generations()).hasSize(committers * commitsEach);
        assertThat(new HashSet<>(latest.generations())).hasSize(committers * commitsEach);
        for (int c = 0; c < committers; c++) {
            assertThat(latest.committed()).containsEntry("committer-" + c, (long) commitsEach);
        }
        for (long v = 0; v <= latest.version(); v++) {
            assertThat(table.manifest(v).version()).isEqualTo(v);
        }
        assertNoTemporaryFiles();
    }

    @Test
    void readersNeverSeeAPartialManifestWhileCommitsLand() throws Exception {
        KilnTable table = KilnTable.create(root, options(1));
        AtomicBoolean committing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        CompletableFuture<Void> reader =
                CompletableFuture.runAsync(
                        () -> {
                            try {
                                KilnTable view = KilnTable.open(root);
                                long last = 0;
                                while (committing.get() || reads.get() == 0) {
                                    Manifest m = view.latestManifest();
                                    assertThat(m.version()).isGreaterThanOrEqualTo(last);
                                    assertThat(m.generations()).hasSize((int) m.version());
                                    last = m.version();
                                    reads.incrementAndGet();
                                }
                            } catch (IOException e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        threads);
        for (int k = 1; k <= 200; k++) {
            table.commit(
                    commit(
                            "w",
                            k,
                            List.of(stored("data/bucket-0/g" + k + ".arrow", 0)),
                            List.of()));
        }
        committing.set(false);
        reader.get(60, TimeUnit.SECONDS);
        assertThat(reads.get()).isPositive();
    }

    @Test
    void aCrashMidPublishLeavesThePreviousVersionReadable() throws IOException {
        TornWriteFileSystem fs = new TornWriteFileSystem();
        KilnTable table = KilnTable.create(fs, root, options(1));
        Manifest v1 =
                table.commit(
                        commit("w", 1, List.of(stored("data/bucket-0/a.arrow", 0)), List.of()));

        fs.tearNextCreates(1, 40);
        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                2,
                                                List.of(stored("data/bucket-0/b.arrow", 0)),
                                                List.of())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("injected crash");

        assertThat(temporaryFiles()).hasSize(1);
        KilnTable reopened = KilnTable.open(root);
        assertThat(reopened.latestManifest()).isEqualTo(v1);
        Manifest v2 =
                reopened.commit(
                        commit("w", 2, List.of(stored("data/bucket-0/b.arrow", 0)), List.of()));
        assertThat(v2.version()).isEqualTo(2);
        assertThat(reopened.latestManifest().generations()).hasSize(2);
    }

    @Test
    void aTruncatedManifestUnderAFinalNameIsRejectedNamingIt() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        table.commit(commit("w", 1, List.of(stored("data/bucket-0/a.arrow", 0)), List.of()));
        java.nio.file.Path v1 = manifestFile(1);
        byte[] whole = Files.readAllBytes(v1);
        Files.write(manifestFile(2), java.util.Arrays.copyOf(whole, whole.length / 2));

        assertThatThrownBy(table::latestManifest)
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("manifest-00000000000000000002.json");
        assertThat(table.manifest(1).version()).isEqualTo(1);
    }

    @Test
    void pathsOutsideTheTableAreRejectedOnCommitAndOnRead() throws IOException {
        KilnTable table = KilnTable.create(root, options(2));
        for (String bad :
                List.of(
                        "../x.arrow",
                        "/etc/passwd",
                        "s3://bucket/x.arrow",
                        "data/../../x.arrow",
                        "data/./x.arrow",
                        "other/x.arrow",
                        "data//x.arrow",
                        "data\\x.arrow")) {
            assertThatThrownBy(() -> table.commit(commit("w", 1, List.of(ref(bad, 0)), List.of())))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad);
            assertThatThrownBy(() -> table.resolve(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                1,
                                                List.of(stored("data/bucket-5/x.arrow", 5)),
                                                List.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bucket 5");
        assertThat(table.latestManifest().version()).isZero();

        table.commit(commit("w", 1, List.of(stored("data/bucket-0/a.arrow", 0)), List.of()));
        Manifest outside =
                new Manifest(2, List.of(ref("../../outside.arrow", 0)), List.of(), Map.of("w", 2L));
        Files.write(manifestFile(2), TableJson.writeManifest(outside));
        assertThatThrownBy(table::latestManifest)
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("../../outside.arrow")
                .hasMessageContaining("manifest-00000000000000000002.json");
    }

    @Test
    void aGenerationWhoseFileIsMissingOrOfAnotherSizeIsNotCommitted() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));

        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                1,
                                                List.of(ref("data/bucket-0/gone.arrow", 0)),
                                                List.of())))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining("data/bucket-0/gone.arrow");
        touch("data/bucket-0/short.arrow");
        GenerationRef wrongSize =
                new GenerationRef(
                        "data/bucket-0/short.arrow", 0, new byte[] {1}, new byte[] {2}, 1, 99);
        assertThatThrownBy(() -> table.commit(commit("w", 1, List.of(wrongSize), List.of())))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining("100 bytes, its reference says 99");
        assertThat(table.latestManifest().version()).isZero();
    }

    @Test
    void aFlippedByteInAManifestFailsItsChecksumNamingIt() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        table.commit(commit("w", 1, List.of(stored("data/bucket-0/a.arrow", 0)), List.of()));
        String text = Files.readString(manifestFile(1));
        // "rowCount" : 10 becomes 11: still valid JSON, silently wrong without the checksum.
        Files.writeString(manifestFile(1), text.replace("\"rowCount\" : 10", "\"rowCount\" : 11"));

        assertThatThrownBy(table::latestManifest)
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("manifest-00000000000000000001.json")
                .hasMessageContaining("fails its checksum");
    }

    @Test
    void aManifestWrittenBeforeOrphanCutoffsReadsWithNone() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        table.commit(commit("w", 1, List.of(stored("data/bucket-0/a.arrow", 0)), List.of()));
        com.fasterxml.jackson.databind.ObjectMapper mapper =
                new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode file =
                (com.fasterxml.jackson.databind.node.ObjectNode)
                        mapper.readTree(Files.readAllBytes(manifestFile(1)));
        com.fasterxml.jackson.databind.JsonNode body = file.get("body");
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("manifest"))
                .remove("orphanCutoffMillis");
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(mapper.writeValueAsBytes(body));
        file.put("crc32c", crc.getValue());
        Files.write(manifestFile(1), mapper.writeValueAsBytes(file));

        Manifest v1 = table.manifest(1);

        assertThat(v1.orphanCutoffMillis()).isZero();
        assertThat(v1.generations()).hasSize(1);
    }

    @Test
    void retiringWhatIsNotLiveOrAddingWhatIsFails() throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        table.commit(commit("w", 1, List.of(stored("data/bucket-0/a.arrow", 0)), List.of()));

        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                2,
                                                List.of(),
                                                List.of("data/bucket-0/zzz.arrow"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("data/bucket-0/zzz.arrow");
        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                2,
                                                List.of(stored("data/bucket-0/a.arrow", 0)),
                                                List.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("live already");
        assertThat(table.latestManifest().version()).isEqualTo(1);
    }

    @Test
    void orphanCleanupRemovesOnlyOldUnnamedFiles() throws IOException {
        TornWriteFileSystem fs = new TornWriteFileSystem();
        KilnTable table = KilnTable.create(fs, root, options(2));
        String live = table.newGenerationPath(0);
        String retired = table.newGenerationPath(1);
        String oldOrphan = table.newGenerationPath(0);
        String youngOrphan = table.newGenerationPath(1);
        for (String p : List.of(live, retired, oldOrphan, youngOrphan)) {
            touch(p);
        }
        table.commit(commit("w", 1, List.of(ref(live, 0), ref(retired, 1)), List.of()));
        table.commit(commit("w", 2, List.of(), List.of(retired)));
        fs.tearNextCreates(1, 10);
        assertThatThrownBy(
                        () ->
                                table.commit(
                                        commit(
                                                "w",
                                                3,
                                                List.of(stored(table.newGenerationPath(0), 0)),
                                                List.of())))
                .isInstanceOf(IOException.class);

        Instant now = Instant.now();
        Duration grace = Duration.ofHours(1);
        for (String old : List.of(live, retired, oldOrphan)) {
            Files.setLastModifiedTime(local(old), FileTime.from(now.minus(Duration.ofHours(2))));
        }
        for (java.nio.file.Path temporary : temporaryFiles()) {
            Files.setLastModifiedTime(temporary, FileTime.from(now.minus(Duration.ofHours(2))));
        }

        List<Path> removed = table.removeOrphans(grace, Clock.fixed(now, ZoneOffset.UTC));

        assertThat(removed).hasSize(2);
        assertThat(removed).anyMatch(p -> p.toString().endsWith(oldOrphan));
        assertThat(Files.exists(local(oldOrphan))).isFalse();
        assertThat(temporaryFiles()).isEmpty();
        for (String kept : List.of(live, retired, youngOrphan)) {
            assertThat(Files.exists(local(kept))).as(kept).isTrue();
        }
        assertThat(table.removeOrphans(grace, Clock.fixed(now, ZoneOffset.UTC))).isEmpty();
    }

    @Test
    void optionsAreValidatedNamingTheOption() {
        assertThatThrownBy(() -> TableOptions.builder(SCHEMA, List.of("id")).bucketCount(0))
                .hasMessageContaining("bucketCount must be positive, but was 0");
        assertThatThrownBy(() -> TableOptions.builder(SCHEMA, List.of("id")).targetPageBytes(-1))
                .hasMessageContaining("targetPageBytes must be positive");
        assertThatThrownBy(
                        () ->
                                TableOptions.builder(SCHEMA, List.of("id"))
                                        .filterFalsePositiveRate(1.0))
                .hasMessageContaining("filterFalsePositiveRate must be in (0, 1)");
        assertThatThrownBy(() -> TableOptions.builder(SCHEMA, List.of("missing")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> TableOptions.builder(SCHEMA, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void optionsSurviveJavaSerialization() throws Exception {
        TableOptions options = options(3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(options);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            TableOptions copy = (TableOptions) in.readObject();
            assertThat(copy).isEqualTo(options);
            assertThat(copy.schema()).isEqualTo(SCHEMA);
            assertThat(copy.bucketOf(copy.keyCodec().encode(42L)))
                    .isEqualTo(options.bucketOf(options.keyCodec().encode(42L)));
        }
    }

    private void touch(String relative) throws IOException {
        java.nio.file.Path file = local(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[100]);
    }

    private java.nio.file.Path local(String relative) {
        return dir.resolve("table").resolve(relative);
    }

    private java.nio.file.Path manifestFile(long version) {
        return dir.resolve(
                "table/_kiln/manifests/" + String.format("manifest-%020d.json", version));
    }

    private List<java.nio.file.Path> temporaryFiles() throws IOException {
        java.nio.file.Path tmp = dir.resolve("table/_kiln/tmp");
        if (!Files.exists(tmp)) {
            return List.of();
        }
        try (Stream<java.nio.file.Path> files = Files.list(tmp)) {
            return files.toList();
        }
    }

    private void assertNoTemporaryFiles() throws IOException {
        assertThat(temporaryFiles()).isEmpty();
    }
}
