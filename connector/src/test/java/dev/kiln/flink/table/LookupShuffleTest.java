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

package dev.kiln.flink.table;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.table.TableOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.connector.source.abilities.SupportsLookupCustomShuffle.InputDataPartitioner;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lookup shuffle sends a key to the subtask of its bucket, {@code bucket % n}, as the sink's
 * writers do, for a composite key declared in another order than its columns.
 */
class LookupShuffleTest {

    @Test
    void joinKeysGoToTheSubtaskOfTheirBucket() {
        ResolvedSchema schema =
                new ResolvedSchema(
                        List.of(
                                Column.physical("a", DataTypes.INT().notNull()),
                                Column.physical("v", DataTypes.BIGINT()),
                                Column.physical("b", DataTypes.STRING().notNull())),
                        List.of(),
                        UniqueConstraint.primaryKey("pk", List.of("b", "a")));
        Configuration options = new Configuration();
        options.set(KilnOptions.PATH, "file:///unused");
        DeclaredTable table = DeclaredTable.of(ObjectIdentifier.of("c", "d", "t"), schema, options);
        int buckets = 8;
        TableOptions existing =
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(table.rowType, table.primaryKey),
                                table.primaryKey)
                        .bucketCount(buckets)
                        .build();
        InputDataPartitioner partitioner =
                new KilnDynamicTableSource(table, existing).getPartitioner().orElseThrow();
        RowKeyExtractor sinkKeys = new RowKeyExtractor(table.rowType, table.primaryKey);

        int[] seen = new int[3];
        for (int i = 0; i < 300; i++) {
            StringData b = StringData.fromString("k" + (i * 31));
            // The planner's join key row: the key columns in their order in the row (a, then b).
            GenericRowData joinKeys = GenericRowData.of(i, b);
            int expected = sinkKeys.bucket(GenericRowData.of(i, 0L, b), buckets) % 3;
            assertThat(partitioner.partition(joinKeys, 3)).isEqualTo(expected);
            seen[expected]++;
        }
        assertThat(seen).doesNotContain(0);
        assertThat(partitioner.isDeterministic()).isTrue();
        assertThat(partitioner.partition(GenericRowData.of(1, null), 3)).isZero();
    }
}
