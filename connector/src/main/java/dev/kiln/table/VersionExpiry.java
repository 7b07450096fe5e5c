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

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Version expiry: which old manifests a retention policy (keep the newest {@code keepLast}, and any
 * published within {@code keepFor}) lets go, removed oldest first so the retained versions are
 * always the newest run.
 *
 * <p>Threading: stateless; safe to call from any thread and concurrently with commits, readers and
 * other expiries. {@link #expire} blocks on storage requests (see {@link
 * KilnTable#expireVersions}).
 */
final class VersionExpiry {

    private final ManifestStore store;

    VersionExpiry(ManifestStore store) {
        this.store = store;
    }

    /** See {@link KilnTable#expireVersions}. */
    List<Long> expire(int keepLast, Duration keepFor, Clock clock) throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be at least 1, but was " + keepLast);
        }
        if (requireNonNull(keepFor, "keepFor").isNegative()) {
            throw new IllegalArgumentException("keepFor must not be negative, but was " + keepFor);
        }
        TablePaths paths = store.paths();
        List<Long> versions = new ArrayList<>();
        for (TableFiles.Entry entry : store.files().list(paths.root(), TablePaths.MANIFEST_DIR)) {
            long version = TablePaths.manifestVersion(entry.name());
            if (version >= 0) {
                versions.add(version);
            }
        }
        versions.sort(null);
        long cutoff = clock.millis() - keepFor.toMillis();
        List<Long> removed = new ArrayList<>();
        for (int i = 0; i < versions.size() - keepLast; i++) {
            Path manifest = paths.manifest(versions.get(i));
            long modified;
            try {
                modified = store.fs().getFileStatus(manifest).getModificationTime();
            } catch (FileNotFoundException e) {
                continue;
            }
            if (modified >= cutoff) {
                break;
            }
            store.files().delete(manifest);
            removed.add(versions.get(i));
        }
        return removed;
    }
}
