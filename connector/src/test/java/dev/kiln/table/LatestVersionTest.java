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
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.kiln.table.KilnTableTest.commit;
import static dev.kiln.table.KilnTableTest.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Finding the latest version: a constant number of requests however many versions there are (a
 * version hint, checked, with listing as the fallback), and names that are not versions ignored.
 */
class LatestVersionTest {

    @TempDir java.nio.file.Path dir;

    private Path root;
    private ObservedFileSystem fs;
    private GenerationLookup nothing;

    @BeforeEach
    void setUp() {
        root = new Path(dir.resolve("table").toUri());
        fs = ObservedFileSystem.local();
        nothing =
                (path, keys) -> {
                    throw new AssertionError("no generation should be read");
                };
    }

    private java.nio.file.Path manifests() {
        return dir.resolve("table/_kiln/manifests");
    }

    private java.nio.file.Path hint() {
        return dir.resolve("table/_kiln/version-hint");
    }

    /** Commits empty checkpoints until the latest version is {@code version}. */
    private void commitUpTo(KilnTable table, long version) throws IOException {
        for (long v = table.latestManifest().version() + 1; v <= version; v++) {
            table.commit(commit("w", v, List.of(), List.of()));
        }
    }

    @Test
    void aSnapshotCostsTheSameFewRequestsWithTwoHundredVersionsAsWithOne() throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        commitUpTo(table, 1);
        fs.reset();
        assertThat(table.snapshot(nothing).manifest().version()).isEqualTo(1);
        Map<String, Integer> withOne = fs.calls();

        commitUpTo(table, 200);
        fs.reset();
        assertThat(table.snapshot(nothing).manifest().version()).isEqualTo(200);

        assertThat(fs.calls()).isEqualTo(withOne);
        assertThat(fs.calls("listStatus")).isZero();
        assertThat(fs.calls("open")).isEqualTo(2);
        assertThat(fs.calls().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(3);
    }

    @Test
    void pollingTheLatestVersionListsNothing() throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        KilnTable follower = KilnTable.open(fs, root);
        for (long v = 1; v <= 50; v++) {
            table.commit(commit("w", v, List.of(), List.of()));
            fs.reset();

            assertThat(follower.latestVersion()).isEqualTo(v);
            assertThat(follower.latestVersion()).isEqualTo(v);

            assertThat(fs.calls("listStatus")).isZero();
            assertThat(fs.calls().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(6);
        }
    }

    @Test
    void aStaleMissingOrWrongHintStillGivesTheLatestVersion() throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        commitUpTo(table, 12);
        for (String hint :
                List.of(
                        "3",
                        "0\n",
                        "12",
                        "13",
                        "500",
                        "-4",
                        "x",
                        "",
                        "99999999999999999999",
                        "9223372036854775807",
                        "12".repeat(1000))) {
            Files.write(hint(), hint.getBytes(StandardCharsets.US_ASCII));

            assertThat(table.latestVersion()).as("hint '%s'", hint).isEqualTo(12);
            assertThat(table.latestManifest().version()).as("hint '%s'", hint).isEqualTo(12);
            assertThat(table.snapshot(nothing).manifest().version()).isEqualTo(12);
        }
        Files.delete(hint());
        assertThat(table.latestVersion()).isEqualTo(12);
        assertThat(table.latestManifest().version()).isEqualTo(12);

        assertThat(table.commit(commit("w", 13, List.of(), List.of())).version()).isEqualTo(13);
        assertThat(Files.readString(hint()).trim()).isEqualTo("13");
    }

    @Test
    void aFailedHintWriteNeverFailsTheCommit() throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        commitUpTo(table, 2);
        fs.hook(
                (call, path) -> {
                    if (call.equals("create") && path.getName().contains("version-hint")) {
                        throw new IOException("injected: cannot write " + path);
                    }
                });

        assertThat(table.commit(commit("w", 3, List.of(), List.of())).version()).isEqualTo(3);
        assertThat(table.commit(commit("w", 4, List.of(), List.of())).version()).isEqualTo(4);

        assertThat(Files.readString(hint()).trim()).isEqualTo("2");
        fs.reset();
        assertThat(table.latestVersion()).isEqualTo(4);
        assertThat(fs.calls("listStatus")).isZero();
        assertThat(fs.calls("exists")).as("3 and 4 present, 5 absent").isEqualTo(3);
    }

    @Test
    void aSnapshotOfAGivenVersionPinsIt() throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        commitUpTo(table, 5);

        assertThat(table.snapshot(3, nothing).manifest()).isEqualTo(table.manifest(3));
        assertThatThrownBy(() -> table.snapshot(6, nothing))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining("manifest-00000000000000000006.json");
        assertThatThrownBy(() -> table.snapshot(-1, nothing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void namesInTheManifestsFolderThatAreNotVersionsAreIgnored() throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        commitUpTo(table, 2);
        for (String junk :
                List.of(
                        "manifest-99999999999999999999.json",
                        "manifest-18446744073709551615.json",
                        "manifest-2.json",
                        "manifest-0000000000000000000x.json",
                        "manifest-00000000000000000007.json.bak",
                        "notes.txt")) {
            Files.write(manifests().resolve(junk), new byte[] {'{'});
        }
        Files.deleteIfExists(hint());

        assertThat(table.latestManifest().version()).isEqualTo(2);
        assertThat(table.commit(commit("w", 3, List.of(), List.of())).version()).isEqualTo(3);
        Files.deleteIfExists(hint());
        assertThat(table.removeOrphans(Duration.ZERO, Clock.systemUTC())).isEmpty();
        assertThat(KilnTable.open(fs, root).latestManifest().version()).isEqualTo(3);
    }
}
