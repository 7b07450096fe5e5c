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

package dev.kiln.flink.lookup;

import dev.kiln.table.Manifest;
import dev.kiln.table.TableNotFoundException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TableVersionSource} on a real table in a temporary folder. */
class TableVersionSourceTest {

    @TempDir Path dir;

    private TestTable table;

    @BeforeEach
    void setUp() throws IOException {
        table = TestTable.create(dir.resolve("t"), 2);
    }

    @AfterEach
    void tearDown() {
        table.close();
    }

    @Test
    void anIdlePollReturnsTheCurrentManifestItselfAndANewVersionItsManifest() throws IOException {
        TableVersionSource source = new TableVersionSource(table.table);
        Manifest first = source.latest(null);
        assertThat(source.latest(first)).isSameAs(first);

        Manifest written = table.upsert(1, 1, 2, 3);
        Manifest latest = source.latest(first);
        assertThat(latest.version()).isEqualTo(written.version());
        assertThat(latest.generations()).isEqualTo(written.generations());
    }

    @Test
    void aDeletedTableIsReportedNamingItsRoot() throws IOException {
        TableVersionSource source = new TableVersionSource(table.table);
        Manifest first = source.latest(null);
        try (Stream<Path> files = Files.walk(dir.resolve("t"))) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }

        assertThatThrownBy(() -> source.latest(first))
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(dir.resolve("t").toString());
    }
}
