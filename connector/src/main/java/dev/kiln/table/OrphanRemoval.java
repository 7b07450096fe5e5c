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

import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Orphan cleanup: finding the files no present version names that are older than a grace period by
 * the storage's clock, publishing the orphan cutoff that keeps racing commits from naming them, and
 * deleting them.
 *
 * <p>Threading: stateless; safe to call from any thread and concurrently with commits, expiries and
 * other cleanups (see {@link KilnTable#removeOrphans} for why no manifest then names a deleted
 * file). Every method blocks on storage requests.
 */
final class OrphanRemoval {

    /** Logs under {@link KilnTable}, as before this part was split from it. */
    private static final Logger LOG = LoggerFactory.getLogger(KilnTable.class);

    /** How often {@link #storageMillis} writes a marker that another cleanup removed at once. */
    private static final int CLOCK_MARKER_ATTEMPTS = 3;

    /** A skew between a cleanup's host and the storage beyond this is logged as a warning. */
    private static final long LOGGED_SKEW_MILLIS = Duration.ofMinutes(1).toMillis();

    private final ManifestStore store;
    private final TablePaths paths;
    private final TableFiles files;

    OrphanRemoval(ManifestStore store) {
        this.store = store;
        this.paths = store.paths();
        this.files = store.files();
    }

    /** See {@link KilnTable#removeOrphans}. */
    List<Path> remove(Duration gracePeriod, Clock clock) throws IOException {
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException(
                    "gracePeriod must not be negative, but was " + gracePeriod);
        }
        long storageNow = storageMillis();
        long skew = clock.millis() - storageNow;
        if (Math.abs(skew) > LOGGED_SKEW_MILLIS) {
            LOG.warn(
                    "Orphan cleanup of {}: this host's clock is {} the storage's by {}; the"
                            + " cleanup's cutoff uses the storage's clock",
                    paths.root(),
                    skew > 0 ? "ahead of" : "behind",
                    Duration.ofMillis(Math.abs(skew)));
        }
        long cutoff = storageNow - gracePeriod.toMillis();
        List<Path> removed = new ArrayList<>();
        for (TableFiles.Entry temporary : files.list(paths.root(), TablePaths.TEMP_DIR)) {
            if (temporary.kind() == TableFiles.Kind.FILE
                    && temporary.modificationTime() < cutoff
                    && files.delete(temporary.path())) {
                removed.add(temporary.path());
            }
        }
        Map<String, Path> candidates = candidates(cutoff);
        if (candidates.isEmpty()) {
            return removed;
        }
        Set<String> named = new HashSet<>();
        long read = -1;
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
            long version = TablePaths.manifestVersion(entry.name());
            if (version >= 0) {
                Manifest present;
                try {
                    present = store.manifest(version);
                } catch (VersionExpiredException e) {
                    continue;
                }
                present.generations().forEach(g -> named.add(g.path()));
                read = Math.max(read, version);
            }
        }
        candidates.keySet().removeAll(named);
        if (candidates.isEmpty()) {
            return removed;
        }
        claimCutoff(cutoff, named, read);
        for (Map.Entry<String, Path> candidate : candidates.entrySet()) {
            if (!named.contains(candidate.getKey()) && files.delete(candidate.getValue())) {
                removed.add(candidate.getValue());
            }
        }
        return removed;
    }

    /**
     * Returns the regular files directly in the bucket folders last modified before {@code cutoff},
     * by path relative to the root, in listing order.
     */
    Map<String, Path> candidates(long cutoff) throws IOException {
        Map<String, Path> candidates = new LinkedHashMap<>();
        for (TableFiles.Entry bucket : files.list(paths.root(), TablePaths.DATA_DIR)) {
            if (bucket.kind() != TableFiles.Kind.DIRECTORY
                    || !TablePaths.isBucketFolder(bucket.name())) {
                continue;
            }
            String folder = TablePaths.DATA_DIR + "/" + bucket.name();
            for (TableFiles.Entry file : files.list(paths.root(), folder)) {
                if (file.kind() == TableFiles.Kind.FILE && file.modificationTime() < cutoff) {
                    candidates.put(folder + "/" + file.name(), file.path());
                }
            }
        }
        return candidates;
    }

    /**
     * Returns the storage's current time, in epoch milliseconds as the storage reports modification
     * times: that of a marker file written now in the temporary folder, then deleted (best effort:
     * one left behind is an old temporary file to the next cleanup). Three requests (write, status,
     * delete), a fourth for the folder where the store needs folders.
     */
    long storageMillis() throws IOException {
        FileSystem fs = store.fs();
        FileNotFoundException lost = null;
        for (int attempt = 0; attempt < CLOCK_MARKER_ATTEMPTS; attempt++) {
            Path marker = paths.clockMarker();
            if (store.needsFolders()) {
                fs.mkdirs(marker.getParent());
            }
            try (FSDataOutputStream out = fs.create(marker, FileSystem.WriteMode.NO_OVERWRITE)) {
                out.write(0);
            }
            try {
                return fs.getFileStatus(marker).getModificationTime();
            } catch (FileNotFoundException e) {
                // Another cleanup with a zero grace period took it for an old temporary file.
                lost = e;
            } finally {
                try {
                    files.delete(marker);
                } catch (IOException e) {
                    LOG.debug("Could not delete the clock marker {}: {}", marker, e.toString());
                }
            }
        }
        throw lost;
    }

    /**
     * Makes sure the latest version records an orphan cutoff of at least {@code cutoff}, publishing
     * one if needed, and adds to {@code named} the generations of every version up to it ({@code
     * read} is the highest version already in {@code named}).
     */
    void claimCutoff(long cutoff, Set<String> named, long read) throws IOException {
        ManifestConflictException lost = null;
        for (int attempt = 0; attempt < KilnTable.MAX_COMMIT_ATTEMPTS; attempt++) {
            Manifest latest = store.latestManifest();
            for (long v = read + 1; v < latest.version(); v++) {
                try {
                    store.manifest(v).generations().forEach(g -> named.add(g.path()));
                } catch (FileNotFoundException | VersionExpiredException e) {
                    // Only a manifest that was removed (expired meanwhile); it names nothing.
                }
            }
            latest.generations().forEach(g -> named.add(g.path()));
            read = Math.max(read, latest.version());
            if (latest.orphanCutoffMillis() >= cutoff) {
                return;
            }
            Manifest claim =
                    new Manifest(
                            ManifestStore.nextVersion(latest),
                            latest.generations(),
                            List.of(),
                            latest.committed(),
                            cutoff,
                            List.of(),
                            System.currentTimeMillis());
            try {
                store.publishVersion(claim);
                return;
            } catch (ManifestConflictException e) {
                lost = e;
            }
        }
        throw lost;
    }
}
