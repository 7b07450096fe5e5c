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

import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.VersionExpiredException;

import javax.annotation.Nullable;

import java.io.IOException;

import static java.util.Objects.requireNonNull;

/**
 * The {@link SnapshotFollower.VersionSource} of a {@link KilnTable} ({@link
 * SnapshotFollower.VersionSource#of}): the version hint first, the manifest only when the version
 * grew, read again when it expired between the two reads, and the table's identity checked after
 * the reads. Holds no state of its own, so callable from any thread as the table is.
 */
final class TableVersionSource implements SnapshotFollower.VersionSource {

    /**
     * How many times the latest version is read again when the one read expired before its manifest
     * could be read.
     */
    static final int MAX_EXPIRED_READS = 8;

    private final KilnTable table;

    TableVersionSource(KilnTable table) {
        this.table = requireNonNull(table, "table");
    }

    @Override
    public Manifest latest(@Nullable Manifest current) throws IOException {
        if (!table.bound()) {
            table.checkIdentity();
        }
        for (int attempt = 1; ; attempt++) {
            long latest =
                    current == null
                            ? table.latestVersion()
                            : table.latestVersion(current.version());
            Manifest manifest;
            if (current != null && latest == current.version()) {
                manifest = current;
            } else {
                try {
                    manifest = table.manifest(latest);
                } catch (VersionExpiredException e) {
                    // Expired between the two reads, so a newer version exists: read again.
                    if (attempt >= MAX_EXPIRED_READS) {
                        throw e;
                    }
                    continue;
                }
            }
            // After the reads: a table replaced before or while they ran is seen here.
            table.checkIdentity();
            return manifest;
        }
    }
}
