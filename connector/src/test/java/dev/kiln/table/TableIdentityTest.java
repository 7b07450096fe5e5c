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

import dev.kiln.format.GenerationStats;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;
import org.apache.flink.util.FileUtils;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A table's identity, and what a reader of a table that is deleted or replaced is told. */
class TableIdentityTest {

    @TempDir java.nio.file.Path dir;

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService io = Executors.newFixedThreadPool(2);

    @AfterEach
    void tearDown() {
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void aTableRecreatedAtTheSameRootHasAnotherIdentity() throws IOException {
        KilnTable first = KilnTable.create(root(), KilnTableTest.options(2));
        assertThat(KilnTable.open(root()).tableId()).isNotNull().isEqualTo(first.tableId());
        first.checkIdentity();

        FileUtils.deleteDirectory(dir.resolve("t").toFile());
        assertThatThrownBy(first::checkIdentity)
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining("was deleted")
                .hasMessageContaining(dir.resolve("t").toString());
        KilnTable second = KilnTable.create(root(), KilnTableTest.options(2));

        assertThat(second.tableId()).isNotEqualTo(first.tableId());
        assertThatThrownBy(first::checkIdentity)
                .isInstanceOf(TableReplacedException.class)
                .hasMessageContaining(dir.resolve("t").toString())
                .hasMessageContaining(first.tableId())
                .hasMessageContaining(second.tableId());
        assertThatThrownBy(() -> first.latestVersion(1))
                .isInstanceOf(TableReplacedException.class)
                .hasMessageContaining("read version 1");
    }

    @Test
    void anExpectedTableIsBoundToTheFirstTableFoundWithItsOptions() throws IOException {
        KilnTable expected = KilnTable.expect(root(), KilnTableTest.options(2));
        assertThat(expected.bound()).isFalse();
        assertThatThrownBy(expected::latestVersion)
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(dir.resolve("t").toString());
        assertThatThrownBy(expected::checkIdentity)
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining("yet");

        KilnTable created = KilnTable.create(root(), KilnTableTest.options(2));
        expected.checkIdentity();

        assertThat(expected.bound()).isTrue();
        assertThat(expected.tableId()).isEqualTo(created.tableId());
        assertThatThrownBy(() -> KilnTable.expect(root(), KilnTableTest.options(3)).checkIdentity())
                .isInstanceOf(IncompatibleTableException.class)
                .hasMessageContaining("2 buckets, expected 3");
    }

    /**
     * A lookup that finds a generation file missing because the whole table was deleted is told so,
     * naming the root: the version it read did not expire, and no newer one will come.
     */
    @Test
    void aLookupOfADeletedTableIsNotTakenForAnExpiredVersion() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        table.commit(new Commit("w", 1, List.of(write(table, 0, 100)), List.of()));
        Snapshot snapshot =
                table.snapshot(GenerationLookup.direct(RangeReader.onFileSystem(io), allocator));

        FileUtils.deleteDirectory(dir.resolve("t").toFile());

        assertThatThrownBy(() -> snapshot.lookup(table.options().keyCodec().encode(7L)).join())
                .cause()
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(dir.resolve("t").toString());
    }

    private Path root() {
        return new Path(dir.resolve("t").toUri());
    }

    private GenerationRef write(KilnTable table, int bucket, long count) throws IOException {
        String path = table.newGenerationPath(bucket);
        try (VectorSchemaRoot rows = VectorSchemaRoot.create(table.options().schema(), allocator)) {
            BigIntVector id = (BigIntVector) rows.getVector("id");
            VarCharVector name = (VarCharVector) rows.getVector("name");
            for (int k = 0; k < count; k++) {
                id.setSafe(k, k);
                name.setSafe(k, ("n" + k).getBytes(StandardCharsets.UTF_8));
            }
            rows.setRowCount((int) count);
            GenerationStats stats =
                    table.options()
                            .newWriter()
                            .write(table.resolve(path), rows, new BitSet(), allocator);
            return GenerationRef.of(path, bucket, stats);
        }
    }
}
