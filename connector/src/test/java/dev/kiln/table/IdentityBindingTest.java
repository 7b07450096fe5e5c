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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.util.List;

import static dev.kiln.table.KilnTableTest.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link IdentityBinding} alone: binding once, telling a replaced or deleted table apart. */
class IdentityBindingTest {

    @TempDir java.nio.file.Path dir;

    private Path root() {
        return new Path(dir.resolve("table").toUri());
    }

    private IdentityBinding unbound(TableOptions expected) throws IOException {
        return new IdentityBinding(
                root().getFileSystem(), new TablePaths(root()), expected, false, null);
    }

    private void delete() throws IOException {
        org.apache.flink.util.FileUtils.deleteDirectory(dir.resolve("table").toFile());
    }

    @Test
    void theFirstDifferenceIsNamedAndEqualOptionsHaveNone() {
        TableOptions expected = options(2);
        TableOptions otherKey =
                TableOptions.builder(KilnTableTest.SCHEMA, List.of("name")).bucketCount(2).build();
        Schema wider =
                new Schema(
                        List.of(
                                KilnTableTest.SCHEMA.getFields().get(0),
                                KilnTableTest.SCHEMA.getFields().get(1),
                                new Field(
                                        "extra",
                                        FieldType.nullable(new ArrowType.Int(32, true)),
                                        null)));
        TableOptions otherSchema =
                TableOptions.builder(wider, List.of("id")).bucketCount(2).build();

        assertThat(IdentityBinding.difference(expected, options(2))).isNull();
        assertThat(IdentityBinding.difference(expected, otherKey)).startsWith("its primary key is");
        assertThat(IdentityBinding.difference(expected, otherSchema)).startsWith("its schema is");
        assertThat(IdentityBinding.difference(expected, options(3)))
                .isEqualTo("it has 3 buckets, expected 2");
    }

    @Test
    void anUnboundHandleBindsToTheFirstCompatibleTableFound() throws IOException {
        IdentityBinding binding = unbound(options(2));
        assertThatThrownBy(binding::check)
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining("yet");
        assertThat(binding.bound()).isFalse();

        KilnTable table = KilnTable.create(root(), options(2));
        binding.check();

        assertThat(binding.bound()).isTrue();
        assertThat(binding.tableId()).isEqualTo(table.tableId());
        binding.check();
    }

    @Test
    void anIncompatibleTableLeavesTheHandleUnbound() throws IOException {
        KilnTable.create(root(), options(3));
        IdentityBinding binding = unbound(options(2));

        assertThatThrownBy(binding::check)
                .isInstanceOf(IncompatibleTableException.class)
                .hasMessageContaining("3 buckets");
        assertThat(binding.bound()).isFalse();
        assertThat(binding.tableId()).isNull();
    }

    @Test
    void aBoundHandleSeesItsTableDeletedOrReplaced() throws IOException {
        KilnTable first = KilnTable.create(root(), options(2));
        IdentityBinding binding =
                new IdentityBinding(
                        root().getFileSystem(),
                        new TablePaths(root()),
                        options(2),
                        true,
                        first.tableId());

        delete();
        assertThatThrownBy(binding::check)
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining("was deleted");

        KilnTable second = KilnTable.create(root(), options(2));
        assertThatThrownBy(binding::check)
                .isInstanceOf(TableReplacedException.class)
                .hasMessageContaining(first.tableId())
                .hasMessageContaining(second.tableId());
    }
}
