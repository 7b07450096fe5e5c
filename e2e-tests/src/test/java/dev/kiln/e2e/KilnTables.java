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

package dev.kiln.e2e;

import dev.kiln.flink.source.KilnTableReader;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a Kiln table's latest version from the test JVM ({@link KilnTableReader}), as a map of the
 * first column's value to the row's fields rendered as text ({@code "[1, ann, 3]"}).
 */
final class KilnTables {

    private KilnTables() {}

    static Map<Object, String> read(Path table) throws Exception {
        Map<Object, String> rows = new TreeMap<>();
        try (KilnTableReader reader =
                KilnTableReader.open(new org.apache.flink.core.fs.Path(table.toUri()))) {
            RowType type = reader.rowType();
            List<RowData.FieldGetter> getters = new ArrayList<>();
            for (int i = 0; i < type.getFieldCount(); i++) {
                getters.add(RowData.createFieldGetter(type.getTypeAt(i), i));
            }
            try (CloseableIterator<RowData> scan = reader.latest().scan()) {
                while (scan.hasNext()) {
                    RowData row = scan.next();
                    List<String> fields = new ArrayList<>();
                    for (RowData.FieldGetter getter : getters) {
                        fields.add(String.valueOf(getter.getFieldOrNull(row)));
                    }
                    Object key = getters.get(0).getFieldOrNull(row);
                    if (rows.put(key, fields.toString()) != null) {
                        throw new AssertionError("Key " + key + " scanned twice in " + table);
                    }
                }
            }
        }
        return rows;
    }

    /** Whether a table was created at {@code table} (its metadata is there). */
    static boolean exists(Path table) {
        return java.nio.file.Files.isDirectory(table)
                && java.nio.file.Files.exists(table.resolve("_kiln"));
    }

    /** The number of the table's latest version. */
    static long latestVersion(Path table) throws Exception {
        try (KilnTableReader reader =
                KilnTableReader.open(new org.apache.flink.core.fs.Path(table.toUri()))) {
            return reader.latest().number();
        }
    }
}
