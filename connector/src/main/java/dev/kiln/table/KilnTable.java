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

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * A Kiln table on any Flink {@link FileSystem}: its options, its manifests, and the commit protocol
 * that publishes version {@code N+1}.
 *
 * <p>Layout under the root: {@code _kiln/table.json} (the {@link TableOptions} and the table's
 * identity, a random UUID: {@link #tableId}; written once), {@code
 * _kiln/manifests/manifest-<N>.json} (version {@code N}, written once, never rewritten), {@code
 * _kiln/version-hint} (a recent version's number, rewritten after each publish, never trusted
 * blindly) and {@code data/bucket-<b>/} (generation files). Manifests name generations by path
 * relative to the root; a manifest naming anything outside {@code data/} is rejected. Kiln never
 * follows a symbolic link under the root (on {@code file://}; see {@link LinkedPathException}).
 *
 * <p>Commit: {@link #commit} reads the latest version {@code N}, builds {@code N+1} and publishes
 * it with create-if-absent semantics (see {@code docs/table.md} for what each file system
 * guarantees); if another committer published {@code N+1} first, it retries on the new latest. A
 * commit whose (committer, checkpoint) the latest manifest already records is a no-op, so a
 * replayed checkpoint commits nothing twice.
 *
 * <p>Threading and blocking: thread-safe, holds no open resources and no locks; concurrent calls,
 * from this and other processes, are safe. Every method except {@link #root}, {@link #options},
 * {@link #newGenerationPath} and {@link #resolve} blocks its caller on storage round trips (below,
 * "requests": one metadata call or one small read or write each; a few milliseconds on a local
 * disk, tens on an object store), never on another thread, lock or timer, and never longer than its
 * requests take:
 *
 * <ul>
 *   <li>{@link #latestVersion}: 3 requests in the common case (read the hint, check that the next
 *       version is absent and the hinted one present); one more per version the hint lags, and a
 *       listing of the manifests folder if the hint is missing, wrong or lags by more than {@value
 *       #MAX_HINT_PROBES} versions.
 *   <li>{@link #checkIdentity}: 1 read (the table metadata).
 *   <li>{@link #snapshot(GenerationLookup)} and {@link #latestManifest}: as many, with the hinted
 *       version read instead of checked. {@link #snapshot(long, GenerationLookup)} and {@link
 *       #manifest}: 1 read.
 *   <li>{@link #commit(Commit)}: per attempt, the latest manifest as above, 1 metadata request per
 *       added generation (on {@code file://} also a few local {@code lstat} calls for links), then
 *       the publish: about 5 requests (folder, temporary write, link or rename, temporary delete;
 *       plus an existence check off {@code file://}) and 1 or 2 for the hint. A lost race costs
 *       another attempt (at most {@code maxAttempts}); a replayed checkpoint costs only the read of
 *       the latest manifest.
 *   <li>{@link #removeOrphans}: writes, reads the status of and deletes a marker file (the
 *       storage's clock), lists and reads every manifest present, lists the bucket folders,
 *       publishes one version if it will delete generations, and deletes; a maintenance call,
 *       proportional to the table's history.
 * </ul>
 *
 * <p>So calling {@link #commit} from a Flink Sink V2 committer (its {@code commit} runs on the
 * task's mailbox thread on checkpoint completion) is fine: it holds that thread for a handful of
 * requests per commit, as Flink's own file sink does when it commits. Do not call it from an async
 * I/O callback or a {@code CompletableFuture} stage running on a shared pool. {@link Snapshot}
 * lookups never block on the table; see its documentation.
 */
@Internal
public final class KilnTable {

    /** How many times {@link #commit} retries on a newer base before it gives up. */
    public static final int MAX_COMMIT_ATTEMPTS = 16;

    /**
     * How many versions past the version hint {@link #latestVersion} probes before it lists the
     * manifests folder instead.
     */
    public static final int MAX_HINT_PROBES = 8;

    private static final Logger LOG = LoggerFactory.getLogger(KilnTable.class);

    /** Longer than any version's decimal form: a hint this long is not one. */
    private static final int MAX_HINT_BYTES = 32;

    /** How often {@link #storageMillis} writes a marker that another cleanup removed at once. */
    private static final int CLOCK_MARKER_ATTEMPTS = 3;

    /** A skew between a cleanup's host and the storage beyond this is logged as a warning. */
    private static final long LOGGED_SKEW_MILLIS = Duration.ofMinutes(1).toMillis();

    private final FileSystem fs;
    private final TablePaths paths;
    private final TableOptions options;
    private final ManifestPublisher publisher;
    private final TableFiles files;

    /** Whether the table's metadata was read (or written); set once, under this. */
    private volatile boolean bound;

    /** The identity read or written; {@code null} if none (or not bound yet). */
    @Nullable private volatile String tableId;

    private KilnTable(
            FileSystem fs, Path root, TableOptions options, boolean bound, @Nullable String id) {
        this.fs = fs;
        this.paths = new TablePaths(root);
        this.options = options;
        this.publisher = ManifestPublisher.forFileSystem(fs, root);
        this.files = TableFiles.of(fs);
        this.bound = bound;
        this.tableId = id;
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
        String id = UUID.randomUUID().toString();
        KilnTable table = new KilnTable(fs, requireNonNull(root, "root"), options, true, id);
        try {
            table.publish(table.paths.tableFile(), TableJson.writeTable(options, id));
        } catch (ManifestConflictException e) {
            throw new TableAlreadyExistsException("a table exists at " + root, e);
        }
        table.publish(table.paths.manifest(0), TableJson.writeManifest(Manifest.empty()));
        table.writeHint(0);
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
        TableJson.TableMeta meta = TableJson.readTable(tableFile, readAll(fs, tableFile));
        return new KilnTable(fs, root, meta.options(), true, meta.tableId());
    }

    /**
     * Returns a handle on the table that is, or will be, at {@code root}, for a reader that may
     * start before the table is created: no I/O. Until the table exists its reads fail with {@link
     * TableNotFoundException}. The first {@link #checkIdentity()} that finds a table binds the
     * handle to it, after checking that its schema, primary key and bucket count are {@code
     * options}' ({@link IncompatibleTableException} if not); from then on the handle behaves as
     * {@link #open} would have returned it.
     */
    public static KilnTable expect(Path root, TableOptions options) throws IOException {
        requireNonNull(root, "root");
        return new KilnTable(
                root.getFileSystem(), root, requireNonNull(options, "options"), false, null);
    }

    /**
     * Returns the table's identity: a random UUID written into its metadata when it was created, so
     * that a table deleted and created again at the same root is told apart from it. {@code null}
     * for a table created by a Kiln that wrote none, and for a handle of {@link #expect} not yet
     * {@link #bound}.
     */
    @Nullable
    public String tableId() {
        return tableId;
    }

    /**
     * Returns whether this handle has read (or written) the table's metadata: always for {@link
     * #open} and {@link #create}; for {@link #expect} once {@link #checkIdentity()} found the
     * table.
     */
    public boolean bound() {
        return bound;
    }

    /**
     * Checks that the table at the root is still the one this handle read (one read of its
     * metadata); for a handle of {@link #expect} not yet bound, binds it to the table found there.
     *
     * @throws TableNotFoundException naming the root if no table is there (it was deleted, or not
     *     created yet)
     * @throws TableReplacedException naming the root if the table there has another identity (it
     *     was deleted and created again); never for two tables that both lack an identity
     * @throws IncompatibleTableException if this handle was not bound and the table found has
     *     another schema, primary key or bucket count than the handle's options
     * @throws InvalidManifestException if the metadata is unreadable
     */
    public void checkIdentity() throws IOException {
        Path tableFile = paths.tableFile();
        byte[] bytes;
        try {
            bytes = readAll(fs, tableFile);
        } catch (FileNotFoundException e) {
            throw new TableNotFoundException(
                    bound
                            ? "the Kiln table at "
                                    + root()
                                    + " was deleted ("
                                    + tableFile
                                    + " is gone)"
                            : "no Kiln table at " + root() + " yet",
                    e);
        }
        TableJson.TableMeta found = TableJson.readTable(tableFile, bytes);
        synchronized (this) {
            if (!bound) {
                String difference = difference(options, found.options());
                if (difference != null) {
                    throw new IncompatibleTableException(
                            "the Kiln table created at "
                                    + root()
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
                            + root()
                            + " was replaced: this reader read table "
                            + tableId
                            + ", the table there now is "
                            + found.tableId());
        }
    }

    /** Returns the first difference a reader of {@code expected} cannot read past, or null. */
    @Nullable
    private static String difference(TableOptions expected, TableOptions found) {
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

    /**
     * Returns the latest published version: a version that was the latest at some moment during the
     * call. Cheap enough to poll (3 requests in the common case, see the class documentation): it
     * reads the version hint {@code N}, then probes {@code N+1, N+2, ...} until one is absent, and
     * lists the manifests folder only if the hint is missing, unreadable, names a version that does
     * not exist, or lags by more than {@value #MAX_HINT_PROBES} versions.
     *
     * @throws TableNotFoundException naming the root if no table is there (none was created, or it
     *     was deleted)
     * @throws InvalidManifestException if the table has no manifest
     */
    public long latestVersion() throws IOException {
        long hinted = readHint();
        if (hinted >= 0) {
            long probed = probe(hinted);
            if (probed > hinted || (probed == hinted && fs.exists(paths.manifest(hinted)))) {
                return probed;
            }
        }
        return listLatestVersion();
    }

    /**
     * Returns {@link #latestVersion()} for a reader that has read version {@code seen} of this
     * table: a table's versions never go back, so an older latest version means that the table was
     * deleted and another created at the root.
     *
     * @throws TableReplacedException naming the root and both versions if the latest version is
     *     older than {@code seen}
     */
    public long latestVersion(long seen) throws IOException {
        long latest = latestVersion();
        if (latest < seen) {
            throw new TableReplacedException(
                    "the Kiln table at "
                            + root()
                            + " was replaced: this reader read version "
                            + seen
                            + ", the latest version there now is "
                            + latest);
        }
        return latest;
    }

    /**
     * Returns the latest published version's manifest, found as {@link #latestVersion} finds its
     * number (the hinted manifest is read rather than checked).
     *
     * @throws InvalidManifestException if it is unreadable or names a path outside the table, or if
     *     the table has no manifest
     */
    public Manifest latestManifest() throws IOException {
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

    /**
     * Returns version {@code version}.
     *
     * @throws InvalidManifestException if it is unreadable or names a path outside the table
     * @throws VersionExpiredException if it was removed by {@link #expireVersions}
     * @throws java.io.FileNotFoundException naming its file if it does not exist (yet)
     * @throws IllegalArgumentException if {@code version} is negative
     */
    public Manifest manifest(long version) throws IOException {
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
        return TableJson.readManifest(path, content, options.bucketCount());
    }

    /**
     * Removes the manifests of old versions: a version is kept if it is one of the newest {@code
     * keepLast}, or was published less than {@code keepFor} before {@code clock}'s now; the latest
     * is always kept. Versions are removed oldest first, so the retained ones are always the newest
     * run. Generation files only expired versions named become orphans, which {@link
     * #removeOrphans} deletes once they are older than its grace period; a file a retained version
     * names is never touched. A reader that then asks for an expired version gets {@link
     * VersionExpiredException}.
     *
     * <p>Costs one listing, a status request per candidate version and a delete per expired one.
     *
     * @param keepLast how many of the newest versions to keep whatever their age; at least 1
     * @param keepFor how long a version is kept whatever the count; not negative
     * @return the versions removed, oldest first
     * @throws IllegalArgumentException naming the option if {@code keepLast} or {@code keepFor} is
     *     out of range
     */
    public List<Long> expireVersions(int keepLast, Duration keepFor, Clock clock)
            throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be at least 1, but was " + keepLast);
        }
        if (requireNonNull(keepFor, "keepFor").isNegative()) {
            throw new IllegalArgumentException("keepFor must not be negative, but was " + keepFor);
        }
        List<Long> versions = new ArrayList<>();
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
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
                modified = fs.getFileStatus(manifest).getModificationTime();
            } catch (FileNotFoundException e) {
                continue;
            }
            if (modified >= cutoff) {
                break;
            }
            files.delete(manifest);
            removed.add(versions.get(i));
        }
        return removed;
    }

    /**
     * Explains a failure of a reader of {@code version}: if a {@link FileNotFoundException} is
     * among {@code error}'s causes and the version has expired (its files may then be removed as
     * orphans), returns a {@link VersionExpiredException} naming it; otherwise {@code error} itself
     * (a lost file of a retained version stays what it was), with the check's own failure, if any,
     * added as suppressed. Checks only when a file is missing: one existence request, and a listing
     * if the manifest is gone.
     */
    public Throwable expiredOr(long version, Throwable error) {
        requireNonNull(error, "error");
        Throwable missing = error;
        while (missing != null && !(missing instanceof FileNotFoundException)) {
            missing = missing.getCause();
        }
        if (missing == null || error instanceof VersionExpiredException) {
            return error;
        }
        try {
            checkRetained(version, missing);
        } catch (VersionExpiredException | TableNotFoundException | TableReplacedException gone) {
            return gone;
        } catch (IOException | RuntimeException checkFailed) {
            error.addSuppressed(checkFailed);
        }
        return error;
    }

    /**
     * Throws {@link TableNotFoundException} or {@link TableReplacedException} naming the root if
     * the table is gone or replaced ({@link #checkIdentity()}), else {@link
     * VersionExpiredException} naming {@code version} if its manifest is gone, with {@code cause}
     * (what the caller found missing) as the cause. One read and one existence check, and a listing
     * if the manifest is gone.
     */
    void checkRetained(long version, Throwable cause) throws IOException {
        checkIdentity();
        if (!fs.exists(paths.manifest(version))) {
            throw new VersionExpiredException(version, oldestVersion(), cause);
        }
    }

    /** Returns the oldest version whose manifest is present, or -1 if none is. */
    private long oldestVersion() throws IOException {
        long oldest = -1;
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
            long version = TablePaths.manifestVersion(entry.name());
            if (version >= 0 && (oldest < 0 || version < oldest)) {
                oldest = version;
            }
        }
        return oldest;
    }

    /**
     * Returns a snapshot of the latest version that reads generations through {@code lookup}.
     *
     * @see #latestManifest()
     */
    public Snapshot snapshot(GenerationLookup lookup) throws IOException {
        return new Snapshot(this, latestManifest(), lookup);
    }

    /**
     * Returns a snapshot of version {@code version} that reads generations through {@code lookup}:
     * for readers that must pin a version (a restore, time travel, a follower that found a new
     * version with {@link #latestVersion}). Costs one read.
     *
     * @throws java.io.FileNotFoundException naming its file if the version does not exist
     * @throws InvalidManifestException if it is unreadable
     * @throws IllegalArgumentException if {@code version} is negative
     */
    public Snapshot snapshot(long version, GenerationLookup lookup) throws IOException {
        return new Snapshot(this, manifest(version), lookup);
    }

    /**
     * Returns a snapshot of {@code manifest}, a version of this table already read, that reads
     * generations through {@code lookup}. No I/O: a reader that follows versions reads each
     * manifest once and then makes as many snapshots of it as it needs.
     */
    public Snapshot snapshot(Manifest manifest, GenerationLookup lookup) {
        return new Snapshot(this, requireNonNull(manifest, "manifest"), lookup);
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
     * published, so with {@code n} committers making {@code k} commits in all (orphan cleanups that
     * delete generations count as commits), {@code k} attempts always suffice.
     *
     * @return the manifest that holds the commit: the one published, or the latest one if it
     *     already recorded this (committer, checkpoint)
     * @throws ManifestConflictException if every attempt lost a race
     * @throws ConcurrentCommitterException if the store has no create-if-absent and the published
     *     manifest holds another committer's content (see {@link ManifestPublisher})
     * @throws IOException if the storage fails and the latest version, read again, does not record
     *     the commit (a publish whose answer was lost but that landed is recognised and returned)
     * @throws MissingGenerationException if an added generation's file is missing, has another size
     *     than its reference says, or was last modified before the orphan cutoff of the version it
     *     would follow (an orphan cleanup may be deleting it: see {@link #removeOrphans})
     * @throws LinkedPathException naming the path if an added generation's file, or a folder
     *     between it and the root, is a symbolic link
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
            } catch (KilnTableException e) {
                throw e;
            } catch (IOException e) {
                return recognise(commit, e);
            }
        }
        throw lost;
    }

    /**
     * After a storage failure (the publish may have written the manifest and lost its answer),
     * returns the latest manifest if it records {@code commit}, else throws {@code failure}.
     */
    private Manifest recognise(Commit commit, IOException failure) throws IOException {
        Manifest latest;
        try {
            latest = latestManifest();
        } catch (IOException readFailure) {
            failure.addSuppressed(readFailure);
            throw failure;
        }
        if (!latest.hasCommitted(commit.committerId(), commit.checkpointId())) {
            throw failure;
        }
        LOG.info(
                "Commit of checkpoint {} by {} failed with {}, but version {} records it: it was"
                        + " published",
                commit.checkpointId(),
                commit.committerId(),
                failure.toString(),
                latest.version());
        return latest;
    }

    /**
     * Publishes {@code commit} as version {@code base.version() + 1}, once. Checks and throws as
     * {@link #commit(Commit, int)} does.
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
            checkStored(added, base);
        }
        for (Compaction compaction : commit.compactions()) {
            if (compaction.output() != null) {
                checkStored(compaction.output(), base);
            }
        }
        Map<String, Long> committed = new HashMap<>(base.committed());
        committed.merge(commit.committerId(), commit.checkpointId(), Math::max);
        Manifest next =
                new Manifest(
                        nextVersion(base),
                        new ArrayList<>(live.values()),
                        retiredPaths,
                        committed,
                        base.orphanCutoffMillis());
        publishVersion(next);
        return next;
    }

    /**
     * Removes orphans: regular files directly in the bucket folders ({@code data/bucket-<n>/}) that
     * no manifest present names and that were last modified more than {@code gracePeriod} before
     * the storage's now, and temporary files of publishes that never completed, equally old. Files
     * any present version names, live or retired later, are never removed; nor is anything
     * elsewhere (files directly in {@code data/}, other folders, nested folders), nor a symbolic
     * link or anything reached through one (on {@code file://}). Files that vanish meanwhile
     * (another cleanup, a publish's temporary file) are skipped.
     *
     * <p>The storage's now is the modification time the storage gives a marker file the cleanup
     * writes in {@code _kiln/tmp/} (and deletes; one a crash leaves is removed as a temporary
     * file): the cutoff is compared with modification times the storage sets, so the cleanup's host
     * clock plays no part. A host whose clock runs ahead of the storage's would otherwise claim a
     * cutoff in the storage's future, and every commit of a file written before it would fail.
     *
     * <p>Before it deletes a generation, a cleanup publishes a version that records its cutoff
     * ({@link Manifest#orphanCutoffMillis}), unless the latest already records one as high; a
     * commit on that version or a later one refuses files older than the cutoff, and every commit
     * on an earlier version was read by the cleanup. So a racing commit either names the file in a
     * version the cleanup reads (the file is kept) or fails with {@link
     * MissingGenerationException}: no manifest ever names a file a cleanup deleted. The grace
     * period must still exceed the longest time between writing a generation and committing it, or
     * such commits fail.
     *
     * @param clock this host's clock: only compared with the storage's, and a skew of more than a
     *     minute logged
     * @return the removed files
     * @throws ManifestConflictException if every attempt to publish the cutoff lost a race
     * @throws IllegalArgumentException if {@code gracePeriod} is negative
     */
    public List<Path> removeOrphans(Duration gracePeriod, Clock clock) throws IOException {
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
                    present = manifest(version);
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
     * Returns the storage's current time, in epoch milliseconds as the storage reports modification
     * times: that of a marker file written now in the temporary folder, then deleted (best effort:
     * one left behind is an old temporary file to the next cleanup). Three requests (write, status,
     * delete), a fourth for the folder where the store needs folders.
     */
    long storageMillis() throws IOException {
        FileNotFoundException lost = null;
        for (int attempt = 0; attempt < CLOCK_MARKER_ATTEMPTS; attempt++) {
            Path marker = paths.clockMarker();
            if (publisher.needsFolders()) {
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
    private void claimCutoff(long cutoff, Set<String> named, long read) throws IOException {
        ManifestConflictException lost = null;
        for (int attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
            Manifest latest = latestManifest();
            for (long v = read + 1; v < latest.version(); v++) {
                try {
                    manifest(v).generations().forEach(g -> named.add(g.path()));
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
                            nextVersion(latest),
                            latest.generations(),
                            List.of(),
                            latest.committed(),
                            cutoff);
            try {
                publishVersion(claim);
                return;
            } catch (ManifestConflictException e) {
                lost = e;
            }
        }
        throw lost;
    }

    /**
     * A manifest must never name a file that is not there, whole, reached without links, and safe
     * from a running orphan cleanup.
     */
    private void checkStored(GenerationRef ref, Manifest base) throws IOException {
        files.checkNoLinks(paths.root(), ref.path());
        Path file = paths.resolve(ref.path());
        FileStatus status;
        try {
            status = fs.getFileStatus(file);
        } catch (FileNotFoundException e) {
            throw new MissingGenerationException(
                    "cannot commit " + ref.path() + ": there is no file at " + file, e);
        }
        if (status.isDir()) {
            throw new MissingGenerationException(
                    "cannot commit " + ref.path() + ": " + file + " is a folder");
        }
        if (status.getLen() != ref.sizeBytes()) {
            throw new MissingGenerationException(
                    "cannot commit "
                            + ref.path()
                            + ": the file has "
                            + status.getLen()
                            + " bytes, its reference says "
                            + ref.sizeBytes());
        }
        if (status.getModificationTime() < base.orphanCutoffMillis()) {
            throw new MissingGenerationException(
                    "cannot commit "
                            + ref.path()
                            + ": it was last modified at "
                            + status.getModificationTime()
                            + ", before the orphan cutoff "
                            + base.orphanCutoffMillis()
                            + " of version "
                            + base.version()
                            + ", so an orphan cleanup may be removing it (the cleanup's grace"
                            + " period must exceed the time between writing and committing a"
                            + " generation)");
        }
    }

    /** Throws {@link LinkedPathException} if a generation's path passes through a link. */
    void checkNoLinks(String relativePath) throws IOException {
        files.checkNoLinks(paths.root(), relativePath);
    }

    private static long nextVersion(Manifest base) throws KilnTableException {
        if (base.version() == Long.MAX_VALUE) {
            throw new InvalidManifestException(
                    "version " + base.version() + " is the last a table can have");
        }
        return base.version() + 1;
    }

    private void publishVersion(Manifest manifest) throws IOException {
        publish(paths.manifest(manifest.version()), TableJson.writeManifest(manifest));
        writeHint(manifest.version());
    }

    private void publish(Path target, byte[] content) throws IOException {
        if (publisher.needsFolders()) {
            fs.mkdirs(target.getParent());
        }
        publisher.publish(fs, target, paths.temporary(target), content);
    }

    /** Rewrites the version hint; best effort, since readers check it. */
    private void writeHint(long version) {
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
    private long readHint() {
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
     * not find one within {@link #MAX_HINT_PROBES} probes. Versions are published in order, so an
     * absent successor means that no later version existed when it was probed.
     */
    private long probe(long hinted) throws IOException {
        long version = hinted;
        for (int probes = 0; probes <= MAX_HINT_PROBES; probes++) {
            if (version == Long.MAX_VALUE || !fs.exists(paths.manifest(version + 1))) {
                return version;
            }
            version++;
        }
        return -1;
    }

    private long listLatestVersion() throws IOException {
        long latest = -1;
        for (TableFiles.Entry entry : files.list(paths.root(), TablePaths.MANIFEST_DIR)) {
            latest = Math.max(latest, TablePaths.manifestVersion(entry.name()));
        }
        if (latest < 0) {
            if (!fs.exists(paths.tableFile())) {
                throw new TableNotFoundException("no Kiln table at " + root());
            }
            throw new InvalidManifestException("no manifest under " + paths.manifestDir());
        }
        return latest;
    }

    private static byte[] readAll(FileSystem fs, Path path) throws IOException {
        try (FSDataInputStream in = fs.open(path)) {
            return in.readAllBytes();
        }
    }
}
