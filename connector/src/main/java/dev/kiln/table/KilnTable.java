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
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A Kiln table on any Flink {@link FileSystem}: its options, its manifests, and the commit protocol
 * that publishes version {@code N+1}.
 *
 * <p>Layout under the root: {@code _kiln/table.json} (the {@link TableOptions}, written once),
 * {@code _kiln/manifests/manifest-<N>.json} (version {@code N}, written once, never rewritten), and
 * {@code data/bucket-<b>/} (generation files). Manifests name generations by path relative to the
 * root; a manifest naming anything outside {@code data/} is rejected.
 *
 * <p>Commit: {@link #commit} reads the latest version {@code N}, builds {@code N+1} and publishes
 * it with create-if-absent semantics (see {@code docs/table.md} for what each file system
 * guarantees); if another committer published {@code N+1} first, it retries on the new latest. A
 * commit whose (committer, checkpoint) the latest manifest already records is a no-op, so a
 * replayed checkpoint commits nothing twice.
 *
 * <p>Threading: thread-safe; every method blocks on storage I/O, so call it from a thread that may
 * block (a committer's or a maintenance thread), not from a Flink mailbox thread or an async
 * callback. Holds no open resources.
 */
public final class KilnTable {

    /** How many times {@link #commit} retries on a newer base before it gives up. */
    public static final int MAX_COMMIT_ATTEMPTS = 16;

    private final FileSystem fs;
    private final TablePaths paths;
    private final TableOptions options;
    private final ManifestPublisher publisher;

    private KilnTable(FileSystem fs, Path root, TableOptions options) {
        this.fs = fs;
        this.paths = new TablePaths(root);
        this.options = options;
        this.publisher = ManifestPublisher.forScheme(root.toUri().getScheme());
    }

    /**
     * Creates a table at {@code root} with version 0 (nothing live).
     *
     * @throws TableAlreadyExistsException if a table exists there
     */
    public static KilnTable create(Path root, TableOptions options) throws IOException {
        return create(root.getFileSystem(), root, options);
    }

    static KilnTable create(FileSystem fs, Path root, TableOptions options) throws IOException {
        requireNonNull(options, "options");
        KilnTable table = new KilnTable(fs, requireNonNull(root, "root"), options);
        try {
            table.publish(table.paths.tableFile(), TableJson.writeTable(options));
        } catch (ManifestConflictException e) {
            throw new TableAlreadyExistsException("a table exists at " + root, e);
        }
        table.publish(table.paths.manifest(0), TableJson.writeManifest(Manifest.empty()));
        return table;
    }

    /**
     * Opens the table at {@code root}.
     *
     * @throws TableNotFoundException if no table was created there
     * @throws InvalidManifestException if its metadata is unreadable
     */
    public static KilnTable open(Path root) throws IOException {
        return open(root.getFileSystem(), root);
    }

    static KilnTable open(FileSystem fs, Path root) throws IOException {
        Path tableFile = new TablePaths(requireNonNull(root, "root")).tableFile();
        if (!fs.exists(tableFile)) {
            throw new TableNotFoundException("no Kiln table at " + root);
        }
        return new KilnTable(fs, root, TableJson.readTable(tableFile, readAll(fs, tableFile)));
    }

    /** Returns the table's root. */
    public Path root() {
        return paths.root();
    }

    /** Returns the table's options. */
    public TableOptions options() {
        return options;
    }

    /** Returns a fresh path, relative to the root, for a new generation of {@code bucket}. */
    public String newGenerationPath(int bucket) {
        if (bucket < 0 || bucket >= options.bucketCount()) {
            throw new IllegalArgumentException(
                    "bucket " + bucket + " is not in [0, " + options.bucketCount() + ")");
        }
        return TablePaths.newGenerationPath(bucket);
    }

    /**
     * Resolves a generation path relative to the root.
     *
     * @throws IllegalArgumentException naming the path if it is not under the data folder
     */
    public Path resolve(String relativePath) {
        return paths.resolve(requireNonNull(relativePath, "relativePath"));
    }

    /** Returns the latest published version. */
    public Manifest latestManifest() throws IOException {
        return manifest(latestVersion());
    }

    /**
     * Returns version {@code version}.
     *
     * @throws InvalidManifestException if it is unreadable or names a path outside the table
     * @throws java.io.FileNotFoundException if it does not exist
     */
    public Manifest manifest(long version) throws IOException {
        Path path = paths.manifest(version);
        return TableJson.readManifest(path, readAll(fs, path), options.bucketCount());
    }

    /** Returns a snapshot of the latest version that reads generations through {@code lookup}. */
    public Snapshot snapshot(GenerationLookup lookup) throws IOException {
        return new Snapshot(this, latestManifest(), lookup);
    }

    /**
     * Publishes {@code commit} on the latest version, retrying on the newer latest when another
     * committer wins, up to {@link #MAX_COMMIT_ATTEMPTS} times.
     *
     * @see #commit(Commit, int)
     */
    public Manifest commit(Commit commit) throws IOException {
        return commit(commit, MAX_COMMIT_ATTEMPTS);
    }

    /**
     * Publishes {@code commit} on the latest version, retrying on the newer latest when another
     * committer wins, up to {@code maxAttempts} times. Every lost attempt means another commit was
     * published, so with {@code n} committers making {@code k} commits in all, {@code k} attempts
     * always suffice.
     *
     * @return the manifest that holds the commit: the one published, or the latest one if it
     *     already recorded this (committer, checkpoint)
     * @throws ManifestConflictException if every attempt lost a race
     * @throws MissingGenerationException if an added generation's file is missing or has another
     *     size than its reference says
     * @throws IllegalArgumentException naming the path if the commit adds a path outside the data
     *     folder or in a bucket the table lacks, adds a live path, or retires one that is not live;
     *     or if {@code maxAttempts} is not positive
     */
    public Manifest commit(Commit commit, int maxAttempts) throws IOException {
        requireNonNull(commit, "commit");
        if (maxAttempts <= 0) {
            throw new IllegalArgumentException(
                    "maxAttempts must be positive, but was " + maxAttempts);
        }
        ManifestConflictException lost = null;
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            Manifest base = latestManifest();
            if (base.hasCommitted(commit.committerId(), commit.checkpointId())) {
                return base;
            }
            try {
                return commitOn(base, commit);
            } catch (ManifestConflictException e) {
                lost = e;
            }
        }
        throw lost;
    }

    /**
     * Publishes {@code commit} as version {@code base.version() + 1}, once.
     *
     * @throws ManifestConflictException if that version exists already
     */
    public Manifest commitOn(Manifest base, Commit commit) throws IOException {
        List<GenerationRef> compacted = base.generations();
        List<String> retiredPaths = new ArrayList<>();
        for (Compaction compaction : commit.compactions()) {
            compacted = Compactions.apply(compacted, compaction, base.version());
            retiredPaths.addAll(compaction.inputs());
        }
        retiredPaths.addAll(commit.retired());
        Map<String, GenerationRef> live = new LinkedHashMap<>();
        compacted.forEach(g -> live.put(g.path(), g));
        for (String retired : commit.retired()) {
            if (live.remove(retired) == null) {
                throw new IllegalArgumentException(
                        "cannot retire "
                                + retired
                                + ": it is not live in version "
                                + base.version());
            }
        }
        for (GenerationRef added : commit.added()) {
            TablePaths.checkRelative(added.path());
            if (added.bucket() >= options.bucketCount()) {
                throw new IllegalArgumentException(
                        added.path()
                                + " is in bucket "
                                + added.bucket()
                                + " of "
                                + options.bucketCount());
            }
            if (live.put(added.path(), added) != null) {
                throw new IllegalArgumentException(
                        "cannot add " + added.path() + ": it is live already");
            }
        }
        for (GenerationRef added : commit.added()) {
            checkStored(added);
        }
        for (Compaction compaction : commit.compactions()) {
            if (compaction.output() != null) {
                checkStored(compaction.output());
            }
        }
        Map<String, Long> committed = new HashMap<>(base.committed());
        committed.merge(commit.committerId(), commit.checkpointId(), Math::max);
        Manifest next =
                new Manifest(
                        base.version() + 1,
                        new ArrayList<>(live.values()),
                        retiredPaths,
                        committed);
        publish(paths.manifest(next.version()), TableJson.writeManifest(next));
        return next;
    }

    /**
     * Removes files under the data folders that no manifest names and that were last modified more
     * than {@code gracePeriod} before {@code clock}'s now, and temporary files of publishes that
     * never completed, equally old. Live files and files of any version still present are never
     * removed. The grace period must exceed the longest time between writing a generation and
     * committing it (a checkpoint's duration), or a file about to be committed could go.
     *
     * @return the removed files
     */
    public List<Path> removeOrphans(Duration gracePeriod, Clock clock) throws IOException {
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException(
                    "gracePeriod must not be negative, but was " + gracePeriod);
        }
        long cutoff = clock.millis() - gracePeriod.toMillis();
        Set<String> named = new HashSet<>();
        List<Path> removed = new ArrayList<>();
        for (FileStatus status : list(paths.manifestDir())) {
            long version = TablePaths.manifestVersion(status.getPath());
            if (version >= 0) {
                for (GenerationRef ref : manifest(version).generations()) {
                    named.add(ref.path());
                }
            }
        }
        for (FileStatus temporary : list(paths.tempDir())) {
            if (temporary.getModificationTime() < cutoff && fs.delete(temporary.getPath(), false)) {
                removed.add(temporary.getPath());
            }
        }
        for (FileStatus bucket : list(paths.dataDir())) {
            for (FileStatus file : list(bucket.getPath())) {
                String relative = paths.relativize(file.getPath());
                if (!file.isDir()
                        && relative != null
                        && !named.contains(relative)
                        && file.getModificationTime() < cutoff
                        && fs.delete(file.getPath(), false)) {
                    removed.add(file.getPath());
                }
            }
        }
        return removed;
    }

    /** A manifest must never name a file that is not there, whole. */
    private void checkStored(GenerationRef ref) throws IOException {
        Path file = paths.resolve(ref.path());
        long length;
        try {
            length = fs.getFileStatus(file).getLen();
        } catch (FileNotFoundException e) {
            throw new MissingGenerationException(
                    "cannot commit " + ref.path() + ": there is no file at " + file, e);
        }
        if (length != ref.sizeBytes()) {
            throw new MissingGenerationException(
                    "cannot commit "
                            + ref.path()
                            + ": the file has "
                            + length
                            + " bytes, its reference says "
                            + ref.sizeBytes());
        }
    }

    private void publish(Path target, byte[] content) throws IOException {
        fs.mkdirs(target.getParent());
        publisher.publish(fs, target, paths.temporary(target), content);
    }

    private long latestVersion() throws IOException {
        long latest = -1;
        for (FileStatus status : list(paths.manifestDir())) {
            latest = Math.max(latest, TablePaths.manifestVersion(status.getPath()));
        }
        if (latest < 0) {
            throw new InvalidManifestException("no manifest under " + paths.manifestDir());
        }
        return latest;
    }

    private List<FileStatus> list(Path dir) throws IOException {
        if (!fs.exists(dir)) {
            return List.of();
        }
        FileStatus[] statuses = fs.listStatus(dir);
        return statuses == null ? List.of() : List.of(statuses);
    }

    private static byte[] readAll(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }
}
