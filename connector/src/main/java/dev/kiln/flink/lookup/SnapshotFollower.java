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

import dev.kiln.table.IncompatibleTableException;
import dev.kiln.table.KilnTable;
import dev.kiln.table.KilnTableException;
import dev.kiln.table.Manifest;
import dev.kiln.table.Snapshot;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableReplacedException;
import dev.kiln.table.VersionExpiredException;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.WarmGate;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

import static java.util.Objects.requireNonNull;

// Over ~600 lines for its public surface only: the documented contracts of the follower's public
// methods and of its public nested types (VersionSource, Pin, TableLost), which callers name as
// SnapshotFollower.X and so stay here. Its parts live beside it: TableVersionSource (reading the
// latest version), SwapWarmer (warm before swap), SwapPoint (the current pin, closing and losing
// the table), PollThread (its own thread) and HeldPaths (a pin's reference count of held
// generations).

/**
 * Keeps a reader's {@link Snapshot} on the table's latest version: warm before swap.
 *
 * <p>Each {@link #poll()} reads the latest version ({@link VersionSource}, one small seam). If it
 * is newer than the current one it (1) holds the paths of the new version's generations in the
 * cache ({@link GenerationCache#holdPaths}) and warms, through the {@link WarmGate}, every
 * generation live in the new version and not in the current one whose bucket this reader owns,
 * waiting at most the warm deadline; (2) swaps the current snapshot in one volatile write; (3) once
 * the last lookup of the old snapshot is done, releases the old snapshot's holds ({@link
 * GenerationCache#releasePaths}): a generation the new version retired leaves the cache when no
 * reader sharing the cache (another subtask of the TaskManager, lagging behind) holds it any more,
 * and what nobody holds (generations warmed for a commit not yet published) is left alone. A jump
 * of several versions at once warms the union of their new generations that are still live, so no
 * version's generations go unwarmed: the follower never skips a version silently and never goes
 * backwards (an equal version read is ignored). {@link #close()} releases the current snapshot's
 * holds once its last lookup is done.
 *
 * <p>The table's existence and identity: a follower follows one table, the first it finds at its
 * root. Each poll checks that the table there is still that one ({@link VersionSource#of}: its
 * identity, a UUID written at creation, and its versions, which never go back). A follower of a
 * handle of {@link KilnTable#expect} that starts before the table exists reads it as empty (every
 * key absent) and follows the table from the first poll that finds it, warmed before the swap as
 * usual. Once it has found the table, a table deleted or replaced (deleted and created again) is
 * {@link #lost()}: the follower stops, its generations leave the cache, and lookups fail with the
 * typed error naming the root ({@link TableNotFoundException}, {@link TableReplacedException}); it
 * never answers from a table that is gone, nor from the old one after it saw the new one. Between
 * the deletion and the poll that sees it, lookups answered from the cache answer as before, and the
 * others fail with the typed error at once ({@link KilnTable#expiredOr}).
 *
 * <p>Faults: a failed read is logged, counted ({@link #readFailures()}) and retried at the next
 * poll; the follower keeps its current version meanwhile and never swaps to anything it could not
 * read. A version that expires ({@link dev.kiln.table.KilnTable#expireVersions}) is never a dead
 * end: the latest version is always retained, a poll that reads a version expiring under it reads
 * the latest again, and a lookup that finds the current version expired reports it ({@link
 * #versionExpired}) so that the follower moves on at once; a snapshot of an expired version answers
 * as it did or fails with {@link VersionExpiredException} naming it, never wrongly. A warm that
 * fails or does not finish by the deadline never stops the swap; each such generation is counted in
 * {@link #coldGenerations()} and served cold (the cache then warms it on open).
 *
 * <p>Threading: {@link #current()} and the counters may be read from any thread without locking.
 * {@link #poll()} is serialised (one at a time); {@link #start} runs it on a thread of its own at a
 * fixed delay. {@link #close()} stops that thread, interrupting a warm wait (nothing is swapped
 * then).
 */
@Internal
public final class SnapshotFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFollower.class);

    /** What a table that does not exist yet holds: nothing. */
    private static final Manifest NO_TABLE = new Manifest(0, List.of(), List.of(), Map.of());

    /** Reads the table's latest version. The follower's only read of the table. */
    @FunctionalInterface
    @Internal
    public interface VersionSource {
        /**
         * Returns the latest version, or {@code current} itself if it is still the latest (so an
         * idle poll need not read a manifest).
         *
         * @param current the follower's current version, {@code null} before the first
         */
        Manifest latest(@Nullable Manifest current) throws IOException;

        /**
         * Returns the source of {@code table}: its version hint ({@link KilnTable#latestVersion}, a
         * few metadata requests), the manifest only when the version grew, and then the table's
         * metadata ({@link KilnTable#checkIdentity}, one read), so that what it returns is a
         * version of the table {@code current} is of. A handle of {@link KilnTable#expect} not yet
         * bound is bound first.
         *
         * @throws TableNotFoundException naming the root if no table is there
         * @throws TableReplacedException naming the root if the table there is another one than the
         *     one {@code current} (or the handle) is of: another identity, or a latest version
         *     older than {@code current}
         * @throws IncompatibleTableException if an unbound handle finds a table of another schema,
         *     key or bucket count
         */
        static VersionSource of(KilnTable table) {
            return new TableVersionSource(table);
        }
    }

    private final KilnTable table;
    private final VersionSource source;
    private final GenerationCache cache;
    private final boolean warmBeforeSwap;
    private final SwapWarmer warmer;

    private final SwapPoint swap;

    private volatile long latestSeenVersion = -1;
    private final PollThread poller = new PollThread(this::pollQuietly);

    /**
     * A JVM system property: {@code false} starts followers without the wake-up on commits
     * published in this JVM, so that they only poll. Only for benchmarks that measure what the
     * wake-up is worth (a follower in this JVM behaves as one in another); not an option.
     */
    static final String WAKE_ON_LOCAL_COMMITS = "kiln.lookup.wakeOnLocalCommits";

    /** The subscription to commits published in this JVM, once started. */
    @Nullable private volatile Closeable published;

    private final AtomicLong swaps = new AtomicLong();
    private final AtomicLong readFailures = new AtomicLong();
    private final AtomicLong expiredVersions = new AtomicLong();
    private final AtomicLong newestExpired = new AtomicLong(-1);

    /**
     * @param table the table followed; snapshots read it through {@code cache}
     * @param source where the latest version is read ({@link VersionSource#of} normally)
     * @param cache the cache snapshots read, and hold their generations in
     * @param gate the gate new generations are warmed through ({@code cache.warmGate()} normally)
     * @param ownsBucket which buckets' new generations this reader warms
     * @param warmBeforeSwap whether to warm before swapping at all
     * @param warmDeadline how long a swap waits for its warms; positive
     */
    public SnapshotFollower(
            KilnTable table,
            VersionSource source,
            GenerationCache cache,
            WarmGate gate,
            IntPredicate ownsBucket,
            boolean warmBeforeSwap,
            Duration warmDeadline) {
        this.table = requireNonNull(table, "table");
        this.source = requireNonNull(source, "source");
        this.cache = requireNonNull(cache, "cache");
        requireNonNull(gate, "gate");
        requireNonNull(ownsBucket, "ownsBucket");
        this.warmBeforeSwap = warmBeforeSwap;
        if (warmDeadline.isNegative() || warmDeadline.isZero()) {
            throw new IllegalArgumentException(
                    LookupOptions.WARM_DEADLINE + " must be positive, but was " + warmDeadline);
        }
        this.swap = new SwapPoint(table.root());
        this.warmer = new SwapWarmer(table, gate, ownsBucket, warmDeadline, swap::closed);
    }

    /** Returns a follower of {@code table} with the options' warm settings and the cache's gate. */
    static SnapshotFollower of(
            KilnTable table,
            GenerationCache cache,
            IntPredicate ownsBucket,
            LookupOptions options) {
        return new SnapshotFollower(
                table,
                VersionSource.of(table),
                cache,
                cache.warmGate(),
                ownsBucket,
                options.warmBeforeSwap(),
                options.warmDeadline());
    }

    /**
     * Reads, warms and swaps to the latest version for the first time. Unlike {@link #poll()}, a
     * failed read is thrown: a reader that cannot read its table at all should not start. But a
     * table that does not exist yet, followed through a handle of {@link KilnTable#expect} not yet
     * bound, is not a failure: the follower then reads as an empty table ({@link #version()} -1,
     * every key absent) until a poll finds the table, and follows it from there, warmed.
     *
     * @throws TableNotFoundException if the table is gone and the handle was bound ({@link
     *     KilnTable#open}); with an unbound handle, only {@link IncompatibleTableException} is
     *     thrown, and a failed read is counted and retried by the polls as they do
     */
    public synchronized void initialize() throws IOException {
        if (swap.current() != null) {
            return;
        }
        boolean expected = !table.bound();
        Manifest latest;
        try {
            latest = source.latest(null);
        } catch (IncompatibleTableException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (!expected) {
                throw e;
            }
            if (e instanceof TableNotFoundException) {
                LOG.info(
                        "Kiln table {} does not exist yet: every key reads as absent until it is"
                                + " created.",
                        table.root());
            } else {
                // Found while it is being created (no manifest yet), or a read failed: polls retry.
                readFailed(e);
            }
            install(null, Set.of());
            return;
        }
        swapTo(latest);
    }

    /**
     * Starts polling every {@code interval} on a thread of its own, after {@link #initialize()}; a
     * commit published in this JVM ({@link KilnTable#onPublished}: the sink's committer in this
     * TaskManager) asks for a poll at once, so a version committed here is warmed and swapped in
     * without waiting for the interval.
     *
     * @throws IllegalStateException if not initialized, or already started
     */
    public synchronized void start(Duration interval) {
        if (swap.current() == null) {
            throw new IllegalStateException("initialize() the follower of " + table.root());
        }
        if (poller.started()) {
            throw new IllegalStateException("the follower of " + table.root() + " is started");
        }
        poller.start(interval);
        if (!"false".equals(System.getProperty(WAKE_ON_LOCAL_COMMITS))) {
            published = table.onPublished(this::published);
        }
    }

    /**
     * A commit in this JVM published {@code version} (the sink's committer in this TaskManager,
     * say): poll now rather than at the next interval. Called on the committing thread.
     */
    private void published(long version) {
        if (version > swap.version()) {
            poller.pollSoon();
        }
    }

    /**
     * Reads the latest version and, if it is newer than the current one, warms, swaps and evicts.
     *
     * @return whether the current snapshot changed
     */
    public synchronized boolean poll() {
        if (swap.lost() != null) {
            return false;
        }
        if (swap.current() == null) {
            try {
                initialize();
                return true;
            } catch (IOException | RuntimeException e) {
                readFailed(e);
                return false;
            }
        }
        Manifest latest;
        try {
            Pin pin = swap.current();
            latest = source.latest(pin.placeholder ? null : pin.snapshot.manifest());
        } catch (TableNotFoundException e) {
            if (table.bound()) {
                lose(e);
            }
            return false;
        } catch (TableReplacedException | IncompatibleTableException e) {
            lose(e);
            return false;
        } catch (IOException | RuntimeException e) {
            readFailed(e);
            return false;
        }
        return swapTo(latest);
    }

    /**
     * Returns the snapshot lookups read now; {@code null} before {@link #initialize()}.
     *
     * @throws TableLost once the table is lost (see {@link #lost()})
     */
    public Snapshot current() {
        swap.checkNotLost();
        Pin pin = swap.current();
        return pin == null ? null : pin.snapshot;
    }

    /**
     * Returns why the table followed is lost, or {@code null} if it is not: a {@link
     * TableNotFoundException} (the table this follower read was deleted), a {@link
     * TableReplacedException} (another table was created at its root) or an {@link
     * IncompatibleTableException} (the table created after the follower started is not the one
     * expected). Once lost, the follower stops polling, releases its snapshot's generations from
     * the cache (evicted once its last lookup is done and no other reader holds them), and {@link
     * #pin()}, {@link #current()} and {@link #versionAfter} fail with that error: the replaced
     * table is never read again. A new follower (a restarted task) follows the table there now.
     */
    @Nullable
    public KilnTableException lost() {
        return swap.lost();
    }

    /**
     * Returns the current snapshot, pinned: the generations a later version retires stay in the
     * cache until every pin of this snapshot is {@link Pin#release released}, so a lookup that
     * started before a swap does not lose its pages to the swap.
     *
     * @throws TableLost once the table is lost ({@link #lost()})
     * @throws IllegalStateException before {@link #initialize()}, or once closed
     */
    public Pin pin() {
        return swap.pin();
    }

    /**
     * Returns the snapshot lookups read now without pinning it, for {@link
     * LookupEngine#lookupIfCached}'s read of what is cached: {@code null} before {@link
     * #initialize()}, once closed and once the table is lost. Its generations may be released while
     * the caller reads it (the follower swapped away from it and its last reader finished): a read
     * that only finds what the cache holds then finds less, never anything released.
     */
    @Nullable
    Snapshot currentUnpinned() {
        return swap.unpinned();
    }

    /**
     * Returns the version of {@link #current()}, or -1 before the first (and while the table does
     * not exist yet).
     */
    public long version() {
        return swap.version();
    }

    /**
     * Returns a future that completes once the current version is newer than {@code version}: at
     * once if it is, otherwise at the swap that makes it so. It fails with {@link
     * IllegalStateException} if the follower closes first, and with the error of {@link #lost()} if
     * the table is lost first. Never blocks; callable from any thread. Callbacks run on the thread
     * that swaps (the follower's) unless already complete.
     */
    public CompletableFuture<Void> versionAfter(long version) {
        return swap.versionAfter(version);
    }

    /** Returns the newest version read, swapped to or not yet. */
    public long latestSeenVersion() {
        return latestSeenVersion;
    }

    /** Returns how many versions the current snapshot is behind the newest version read. */
    public long versionLag() {
        return Math.max(0, latestSeenVersion - version());
    }

    /** Returns how many times the snapshot was swapped (the first version included). */
    public long swaps() {
        return swaps.get();
    }

    /** Returns how many reads of the latest version failed (each retried at the next poll). */
    public long readFailures() {
        return readFailures.get();
    }

    /** Returns how many generations this follower's warms warmed. */
    public long warmed() {
        return warmer.warmed();
    }

    /** Returns how many generations were warm already when the follower asked. */
    public long alreadyWarm() {
        return warmer.alreadyWarm();
    }

    /** Returns how many warms failed. */
    public long warmFailures() {
        return warmer.failures();
    }

    /** Returns how many warms passed the gate's or the follower's deadline. */
    public long warmTimeouts() {
        return warmer.timeouts();
    }

    /** Returns how many owned generations were not warm when their version was swapped in. */
    public long coldGenerations() {
        return warmer.coldGenerations();
    }

    /**
     * Returns how many of this follower's versions lookups found expired ({@link #versionExpired};
     * each version counted once).
     */
    public long expiredVersions() {
        return expiredVersions.get();
    }

    /**
     * Reports that a lookup on a snapshot of this follower failed because that snapshot's version
     * expired ({@link Snapshot} fails with {@link VersionExpiredException} once a file of an
     * expired version is gone). The first report of a version is logged, naming it, and counted; if
     * that version is still the current one, the follower polls at once (on its own thread if
     * {@link #start started}; otherwise the caller's next {@link #poll()} does), moving to the
     * latest version, which is always retained, and warming it before the swap as usual ({@link
     * LookupEngine} retries the failed lookups once that swap is done, see {@link #versionAfter}).
     * Never blocks; callable from any thread.
     */
    public void versionExpired(VersionExpiredException error) {
        long version = error.version();
        if (newestExpired.getAndAccumulate(version, Math::max) >= version) {
            return;
        }
        expiredVersions.incrementAndGet();
        boolean current = version() == version;
        LOG.warn(
                "Kiln table {}: version {} expired under this reader's lookups (the oldest"
                        + " retained is {}); {}",
                table.root(),
                version,
                error.oldestRetained(),
                current ? "moving to the latest version" : "already moved on");
        if (current) {
            poller.pollSoon();
        }
    }

    /**
     * Reports that a lookup on a snapshot of this follower found its table deleted ({@link
     * TableNotFoundException}) or replaced ({@link TableReplacedException}): the follower stops at
     * once, as a poll that saw it would ({@link #lost()}), rather than at its next poll. Callable
     * from any thread; never blocks.
     */
    public void tableLost(KilnTableException error) {
        if (error instanceof TableNotFoundException || error instanceof TableReplacedException) {
            lose(error);
        } else {
            throw new IllegalArgumentException("not a lost table: " + error);
        }
    }

    /** Returns how long the last warm before swap took, in nanoseconds. */
    public long lastWarmNanos() {
        return warmer.lastWarmNanos();
    }

    /** Stops polling; a warm wait in progress is interrupted and its version not swapped. */
    @Override
    public void close() {
        // Not synchronized: a poll holds the monitor while it waits for warms, and closing (a task
        // being cancelled) must not wait for that.
        poller.stopNow();
        Closeable subscription = published;
        if (subscription != null) {
            try {
                subscription.close();
            } catch (IOException e) {
                LOG.warn("Kiln table {}: could not unsubscribe from commits", table.root(), e);
            }
        }
        swap.close();
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (Throwable t) {
            // A scheduled task that throws is never run again: log and keep following.
            readFailed(t);
        }
    }

    /**
     * Stops following a table that is gone or replaced: lookups fail with {@code error} from now
     * on, waiters for a swap fail with it, and the follower's reference to its snapshot is released
     * (its generations leave the cache once its last lookup is done).
     */
    private void lose(KilnTableException error) {
        CompletableFuture<Void> waiting = swap.lose(error);
        if (waiting == null) {
            return;
        }
        LOG.error(
                "Kiln table {}: stopped following at version {}; lookups fail from now on.",
                table.root(),
                version(),
                error);
        waiting.completeExceptionally(error);
        poller.stop();
    }

    private void readFailed(Throwable error) {
        long failures = readFailures.incrementAndGet();
        LOG.warn(
                "Reading the latest version of Kiln table {} failed ({} failures so far); staying"
                        + " on version {} and retrying at the next poll.",
                table.root(),
                failures,
                version(),
                error);
    }

    private boolean swapTo(Manifest latest) {
        requireNonNull(latest, "the version source returned null");
        latestSeenVersion = Math.max(latestSeenVersion, latest.version());
        Pin previous = swap.current();
        if (previous != null && previous.placeholder) {
            previous = null;
        }
        if (previous != null && latest.version() <= previous.snapshot.manifest().version()) {
            return false;
        }
        Set<String> before = new HashSet<>();
        if (previous != null) {
            previous.snapshot.manifest().generations().forEach(g -> before.add(g.path()));
        }
        // Held before the warm: a reader sharing the cache that retires some of them meanwhile
        // (it is ahead, they are compaction inputs) must not evict what this warm loads.
        Set<Path> held = new HashSet<>();
        latest.generations().forEach(g -> held.add(table.resolve(g.path())));
        cache.holdPaths(held);
        if ((warmBeforeSwap && !warmer.warm(latest, before)) || !install(latest, held)) {
            cache.releasePaths(held);
            return false;
        }
        swaps.incrementAndGet();
        LOG.debug(
                "Kiln table {}: now reading version {} (was {}).",
                table.root(),
                latest.version(),
                previous == null ? -1 : previous.snapshot.manifest().version());
        return true;
    }

    /**
     * Makes {@code latest} current and retires the previous snapshot, unless closed or lost: the
     * cache evicts a generation the swap retired once the last lookup of the previous snapshot is
     * done and no other reader's snapshot holds it ({@link GenerationCache#releasePaths}). A null
     * {@code latest} installs the empty snapshot of a table that does not exist yet.
     */
    private boolean install(@Nullable Manifest latest, Set<Path> held) {
        boolean placeholder = latest == null;
        Snapshot snapshot = table.snapshot(placeholder ? NO_TABLE : latest, cache);
        snapshot.checkPaths();
        return swap.install(new Pin(snapshot, new HeldPaths(cache, held), placeholder));
    }

    /**
     * A snapshot held by the follower (while current) and by the lookups reading it. It holds the
     * paths of its generations in the cache ({@link GenerationCache#holdPaths}) until the follower
     * has moved on and its last reader releases it. Once the follower has moved on it knows the
     * snapshot the follower moved to next ({@link #pinSuccessor}). Thread-safe.
     */
    @Internal
    public final class Pin {
        private final Snapshot snapshot;
        private final HeldPaths hold;

        /** The snapshot the follower swapped to from this one; set once, at that swap. */
        @Nullable private volatile Pin successor;

        /** Whether this is the empty snapshot of a table that does not exist yet. */
        private final boolean placeholder;

        Pin(Snapshot snapshot, HeldPaths hold, boolean placeholder) {
            this.snapshot = snapshot;
            this.hold = hold;
            this.placeholder = placeholder;
        }

        boolean placeholder() {
            return placeholder;
        }

        /** Records the snapshot the follower swapped to from this one. */
        void succeededBy(Pin next) {
            successor = next;
        }

        /** Returns the pinned snapshot. */
        public Snapshot snapshot() {
            return snapshot;
        }

        /**
         * Returns the snapshot the follower swapped to right after this one, pinned for the caller
         * (who releases it once): the oldest version a lookup issued after this snapshot was
         * current can have been given. Call only while holding this pin, once the follower has
         * moved past it ({@link SnapshotFollower#versionAfter}). If every reader of that snapshot
         * is done already, its generations are held again for the caller.
         *
         * @throws IllegalStateException if the follower has not moved past this snapshot
         */
        public Pin pinSuccessor() {
            Pin next = successor;
            if (next == null) {
                throw new IllegalStateException(
                        "the follower of "
                                + table.root()
                                + " has not moved past version "
                                + snapshot.manifest().version());
            }
            if (next.tryAcquire()) {
                return next;
            }
            Pin revived = new Pin(next.snapshot, next.hold.reheld(), next.placeholder);
            revived.successor = next.successor;
            return revived;
        }

        /**
         * Ends one reader's use; call exactly once per {@link SnapshotFollower#pin()} or {@link
         * #pinSuccessor()}.
         */
        public void release() {
            hold.release();
        }

        /** Adds a reader, unless every reader is done already. */
        boolean tryAcquire() {
            return hold.tryAcquire();
        }
    }

    /**
     * Thrown by {@link #pin()} and {@link #current()} once the table is lost: an unchecked carrier
     * of the typed error ({@link #getCause()}, see {@link #lost()}), which {@link LookupEngine}
     * fails lookups with.
     */
    @Internal
    public static final class TableLost extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TableLost(KilnTableException cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized KilnTableException getCause() {
            return (KilnTableException) super.getCause();
        }
    }
}
