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

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A table's versions as files: reading manifest {@code N}, finding the latest version through the
 * version hint, and publishing a version (create-if-absent) and the hint after it. Knows nothing of
 * what a commit changes; {@link KilnTable} builds the manifests it publishes.
 *
 * <p>Threading: thread-safe and stateless beyond its final fields; every method but {@link
 * #nextVersion} blocks on storage requests, as {@link KilnTable} documents per public method.
 */
final class ManifestStore {

    /** Logs under {@link KilnTable}, as before this part was split from it. */
    private static final Logger LOG = LoggerFactory.getLogger(KilnTable.class);

    /** Longer than any version's decimal form: a hint this long is not one. */
    static final int MAX_HINT_BYTES = 32;

    private final FileSystem fs;
    private final TablePaths paths;
    private final ManifestPublisher publisher;
    private final TableFiles files;
    private final int bucketCount;

    ManifestStore(FileSystem fs, Path root, int bucketCount) {
        this.fs = fs;
        this.paths = new TablePaths(root);
        this.publisher = ManifestPublisher.forFileSystem(fs, root);
        this.files = TableFiles.of(fs);
        this.bucketCount = bucketCount;
    }

    FileSystem fs() {
        return fs;
    }

    TablePaths paths() {
        return paths;
    }

    TableFiles files() {
        return files;
    }

    /** Whether the store needs a file's folders created before the file is written. */
    boolean needsFolders() {
        return publisher.needsFolders();
    }

    /** See {@link KilnTable#latestVersion()}. */
    long latestVersion() throws IOException {
        long hinted = readHint();
        if (hinted >= 0) {
            long probed = probe(hinted);
            if (probed > hinted || (probed == hinted && fs.exists(paths.manifest(hinted)))) {
                return probed;
            }
        }
        return listLatestVersion();
    }

    /** See {@link KilnTable#latestManifest()}. */
    Manifest latestManifest() throws IOException {
        long hinted = readHint();
        if (hinted >= 0) {
            long probed = probe(hinted);
            if (probed >= 0) {
                try {
                    return manifest(probed);
                } catch (FileNotFoundException | VersionExpiredException e) {
                    // A stale hint (a slower committer's, written last) may name a version that
                    // has expired since.
                    LOG.debug("The version hint names {}, which is missing: listing", probed);
                }
            }
        }
        return manifest(listLatestVersion());
    }

    /** See {@link KilnTable#manifest(long)}. */
    Manifest manifest(long version) throws IOException {
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative, but was " + version);
        }
        Path path = paths.manifest(version);
        byte[] content;
        try {
            content = readAll(fs, path);
        } catch (FileNotFoundException e) {
            long oldest = oldestVersion();
            if (oldest > version) {
                throw new VersionExpiredException(version, oldest, e);
            }
            throw e;
        }
        return TableJson.readManifest(path, content, bucketCount);
    }

    /** Returns the versions whose manifests are present, ascending (one listing). */
    List<Long> versions() throws IOException {
        List<Long> versions = new ArrayList<>();
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
            long version = TablePaths.manifestVersion(entry.name());
            if (version >= 0) {
                versions.add(version);
            }
        }
        versions.sort(null);
        return versions;
    }

    /** Returns the oldest version whose manifest is present, or -1 if none is. */
    long oldestVersion() throws IOException {
        long oldest = -1;
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
            long version = TablePaths.manifestVersion(entry.name());
            if (version >= 0 && (oldest < 0 || version < oldest)) {
                oldest = version;
            }
        }
        return oldest;
    }

    static long nextVersion(Manifest base) throws KilnTableException {
        if (base.version() == Long.MAX_VALUE) {
            throw new InvalidManifestException(
                    "version " + base.version() + " is the last a table can have");
        }
        return base.version() + 1;
    }

    /**
     * Publishes {@code manifest} as its version, then points the hint at it.
     *
     * @throws ManifestConflictException if that version exists already
     */
    void publishVersion(Manifest manifest) throws IOException {
        publish(paths.manifest(manifest.version()), TableJson.writeManifest(manifest));
        writeHint(manifest.version());
    }

    /**
     * Writes {@code content} at {@code target} if nothing is there.
     *
     * @throws ManifestConflictException if something is
     */
    void publish(Path target, byte[] content) throws IOException {
        if (publisher.needsFolders()) {
            fs.mkdirs(target.getParent());
        }
        publisher.publish(fs, target, paths.temporary(target), content);
    }

    /** Rewrites the version hint; best effort, since readers check it. */
    void writeHint(long version) {
        Path hint = paths.versionHint();
        try {
            publisher.replace(
                    fs,
                    hint,
                    paths.temporary(hint),
                    (version + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not update the version hint {} to {}: {}", hint, version, e.toString());
        }
    }

    /** Returns the version the hint names, or -1 if it is missing or holds no version. */
    long readHint() {
        byte[] bytes;
        try (FSDataInputStream in = fs.open(paths.versionHint())) {
            bytes = in.readNBytes(MAX_HINT_BYTES + 1);
        } catch (FileNotFoundException e) {
            return -1;
        } catch (IOException e) {
            LOG.debug("Could not read the version hint {}: listing", paths.versionHint(), e);
            return -1;
        }
        String text = new String(bytes, StandardCharsets.US_ASCII).trim();
        if (bytes.length > MAX_HINT_BYTES
                || text.isEmpty()
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Returns the first version from {@code hinted} on whose successor is absent, or -1 if it did
     * not find one within {@link KilnTable#MAX_HINT_PROBES} probes. Versions are published in
     * order, so an absent successor means that no later version existed when it was probed.
     */
    long probe(long hinted) throws IOException {
        long version = hinted;
        for (int probes = 0; probes <= KilnTable.MAX_HINT_PROBES; probes++) {
            if (version == Long.MAX_VALUE || !fs.exists(paths.manifest(version + 1))) {
                return version;
            }
            version++;
        }
        return -1;
    }

    /**
     * Returns the highest version in the manifests folder.
     *
     * @throws TableNotFoundException if there is none and no table metadata either
     * @throws InvalidManifestException if there is none but the table metadata is there
     */
    long listLatestVersion() throws IOException {
        long latest = -1;
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
            latest = Math.max(latest, TablePaths.manifestVersion(entry.name()));
        }
        if (latest < 0) {
            if (!fs.exists(paths.tableFile())) {
                throw new TableNotFoundException("no Kiln table at " + paths.root());
            }
            throw new InvalidManifestException("no manifest under " + paths.manifestDir());
        }
        return latest;
    }

    static byte[] readAll(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }
}
