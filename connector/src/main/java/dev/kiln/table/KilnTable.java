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
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongConsumer;

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
 *
 * <p>The parts behind it: {@link ManifestStore} (reading and publishing versions, the hint), {@link
 * IdentityBinding}, {@link VersionExpiry}, {@link OrphanRemoval} and {@link StoredGeneration}; this
 * class keeps the commit protocol.
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

    private final TablePaths paths;
    private final TableOptions options;
    private final ManifestStore store;
    private final IdentityBinding identity;

    private KilnTable(
            FileSystem fs, Path root, TableOptions options, boolean bound, @Nullable String id) {
        this.options = options;
        this.store = new ManifestStore(fs, root, options.bucketCount());
        this.paths = store.paths();
        this.identity = new IdentityBinding(fs, paths, options, bound, id);
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
            table.store.publish(table.paths.tableFile(), TableJson.writeTable(options, id));
        } catch (ManifestConflictException e) {
            throw new TableAlreadyExistsException("a table exists at " + root, e);
        }
        table.store.publish(table.paths.manifest(0), TableJson.writeManifest(Manifest.empty()));
        table.store.writeHint(0);
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
        TableJson.TableMeta meta =
                TableJson.readTable(tableFile, ManifestStore.readAll(fs, tableFile));
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
        return identity.tableId();
    }

    /**
     * Returns whether this handle has read (or written) the table's metadata: always for {@link
     * #open} and {@link #create}; for {@link #expect} once {@link #checkIdentity()} found the
     * table.
     */
    public boolean bound() {
        return identity.bound();
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
        identity.check();
    }

    /**
     * Checks that this table is the one a reader read before, under identity {@code tableId} (a
     * restored reader, say). No I/O.
     *
     * @param tableId the identity read before; {@code null} if unknown, which any table matches
     * @throws TableReplacedException naming the root and both identities if this table has another
     */
    public void checkSameTable(@Nullable String tableId) throws TableReplacedException {
        if (tableId != null && !tableId.equals(tableId())) {
            throw new TableReplacedException(
                    "the Kiln table at "
                            + root()
                            + " was replaced: this reader read table "
                            + tableId
                            + ", the table there now is "
                            + tableId());
        }
    }

    /**
     * Returns the oldest retained version published at or after {@code epochMillis}, or the latest
     * version plus one if none was (so a reader starting there reads only later versions). A
     * version is timed by the time its manifest records, or, for a manifest of an older Kiln that
     * records none, by its file's modification time. Costs a listing of the manifests and a read
     * (or a status request) per probed version, about log2 of the versions retained.
     */
    public long firstVersionPublishedAtOrAfter(long epochMillis) throws IOException {
        List<Long> versions = store.versions();
        int low = 0;
        int high = versions.size();
        while (low < high) {
            int middle = (low + high) >>> 1;
            long published;
            try {
                published = publishedAtMillis(versions.get(middle));
            } catch (FileNotFoundException | VersionExpiredException expiredMeanwhile) {
                low = middle + 1;
                continue;
            }
            if (published >= epochMillis) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low < versions.size() ? versions.get(low) : latestVersion() + 1;
    }

    private long publishedAtMillis(long version) throws IOException {
        long recorded = manifest(version).publishedAtMillis();
        return recorded > 0
                ? recorded
                : store.fs().getFileStatus(paths.manifest(version)).getModificationTime();
    }

    /**
     * Calls {@code listener} with each version a commit made in this JVM publishes on this table
     * (through any handle of it), on the committing thread right after the publish: a hint that
     * lets a reader in the same JVM look now instead of at its next poll. Commits made elsewhere
     * are not seen: keep polling. The listener must return at once; what it throws is logged.
     *
     * @return closing it unsubscribes (idempotent)
     */
    public Closeable onPublished(LongConsumer listener) {
        return PublishNotices.subscribe(
                PublishNotices.name(store.fs(), root()), requireNonNull(listener, "listener"));
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
        return store.latestVersion();
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
        return store.latestManifest();
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
        return store.manifest(version);
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
        return new VersionExpiry(store).expire(keepLast, keepFor, clock);
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
        if (!store.fs().exists(paths.manifest(version))) {
            throw new VersionExpiredException(version, store.oldestVersion(), cause);
        }
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
            StoredGeneration.check(store, added, base);
        }
        for (Compaction compaction : commit.compactions()) {
            if (compaction.output() != null) {
                StoredGeneration.check(store, compaction.output(), base);
            }
        }
        Map<String, Long> committed = new HashMap<>(base.committed());
        committed.merge(commit.committerId(), commit.checkpointId(), Math::max);
        Manifest next =
                new Manifest(
                        ManifestStore.nextVersion(base),
                        new ArrayList<>(live.values()),
                        retiredPaths,
                        committed,
                        base.orphanCutoffMillis(),
                        commit.added().stream().map(GenerationRef::path).toList(),
                        System.currentTimeMillis());
        store.publishVersion(next);
        PublishNotices.published(PublishNotices.name(store.fs(), root()), next.version());
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
        return new OrphanRemoval(store).remove(gracePeriod, clock);
    }

    /** Returns the storage's current time: see {@link OrphanRemoval#storageMillis}. */
    long storageMillis() throws IOException {
        return new OrphanRemoval(store).storageMillis();
    }

    /** Throws {@link LinkedPathException} if a generation's path passes through a link. */
    void checkNoLinks(String relativePath) throws IOException {
        store.files().checkNoLinks(paths.root(), relativePath);
    }
}
