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

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import javax.annotation.Nullable;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Objects;

/**
 * Which table a handle reads: the identity it read or wrote, and for a handle made before its table
 * existed, the one-time binding to the table first found at the root, checked against the options
 * the handle expected.
 *
 * <p>Threading: thread-safe; the binding happens at most once, under this object's lock, and the
 * state it sets is published through volatile fields. {@link #check} blocks on one read.
 */
final class IdentityBinding {

    private final FileSystem fs;
    private final TablePaths paths;
    private final TableOptions expected;

    /** Whether the table's metadata was read (or written); set once, under this. */
    private volatile boolean bound;

    /** The identity read or written; {@code null} if none (or not bound yet). */
    @Nullable private volatile String tableId;

    IdentityBinding(
            FileSystem fs,
            TablePaths paths,
            TableOptions expected,
            boolean bound,
            @Nullable String tableId) {
        this.fs = fs;
        this.paths = paths;
        this.expected = expected;
        this.bound = bound;
        this.tableId = tableId;
    }

    boolean bound() {
        return bound;
    }

    @Nullable
    String tableId() {
        return tableId;
    }

    /** See {@link KilnTable#checkIdentity()}. */
    void check() throws IOException {
        Path tableFile = paths.tableFile();
        byte[] bytes;
        try {
            bytes = ManifestStore.readAll(fs, tableFile);
        } catch (FileNotFoundException e) {
            throw new TableNotFoundException(
                    bound
                            ? "the Kiln table at "
                                    + paths.root()
                                    + " was deleted ("
                                    + tableFile
                                    + " is gone)"
                            : "no Kiln table at " + paths.root() + " yet",
                    e);
        }
        TableJson.TableMeta found = TableJson.readTable(tableFile, bytes);
        synchronized (this) {
            if (!bound) {
                String difference = difference(expected, found.options());
                if (difference != null) {
                    throw new IncompatibleTableException(
                            "the Kiln table created at "
                                    + paths.root()
                                    + " is not the one this reader was built for: "
                                    + difference);
                }
                tableId = found.tableId();
                bound = true;
                return;
            }
        }
        if (!Objects.equals(tableId, found.tableId())) {
            throw new TableReplacedException(
                    "the Kiln table at "
                            + paths.root()
                            + " was replaced: this reader read table "
                            + tableId
                            + ", the table there now is "
                            + found.tableId());
        }
    }

    /** Returns the first difference a reader of {@code expected} cannot read past, or null. */
    @Nullable
    static String difference(TableOptions expected, TableOptions found) {
        if (!expected.primaryKey().equals(found.primaryKey())) {
            return "its primary key is "
                    + found.primaryKey()
                    + ", expected "
                    + expected.primaryKey();
        }
        if (!expected.schema().getFields().equals(found.schema().getFields())) {
            return "its schema is " + found.schema() + ", expected " + expected.schema();
        }
        if (expected.bucketCount() != found.bucketCount()) {
            return "it has " + found.bucketCount() + " buckets, expected " + expected.bucketCount();
        }
        return null;
    }
}
