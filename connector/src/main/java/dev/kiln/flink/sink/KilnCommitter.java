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

package dev.kiln.flink.sink;

import dev.kiln.table.Commit;
import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.InvalidManifestException;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.MissingGenerationException;
import dev.kiln.table.StaleCompactionException;
import dev.kiln.table.TableNotFoundException;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Publishes each {@link KilnCommittable} as one manifest with {@link KilnTable#commit}, idempotent
 * per (committer id, checkpoint id): a checkpoint committed before a failure is a no-op when
 * Flink's committer replays it after restore. The manifest adds the checkpoint's generations and
 * applies its compactions, atomically.
 *
 * <p>Compactions are optional: one that cannot be applied any more (another commit, a replayed one
 * or a standalone compaction, retired or split its inputs: {@link StaleCompactionException}), or
 * whose output file is gone or not whole, is dropped, logged and counted, its output deleted (best
 * effort; orphan cleanup removes it otherwise), and the rest of the checkpoint is published without
 * it: the rows it would have held are still in its inputs. This never fails the job.
 *
 * <p>Failures: a storage {@link IOException} (including a commit that lost every race) asks Flink
 * to retry ({@code retryLater}; Flink retries {@code sink.committer.retries} times, then fails the
 * job, whose restore retries again). A failure that retrying cannot fix ({@link
 * MissingGenerationException} for a flushed generation, {@link InvalidManifestException}, {@link
 * TableNotFoundException}, a path the table rejects) is counted as a failed committable and then
 * thrown as a {@link KilnCommitException}, failing the job: Flink would otherwise drop the
 * committable and publish later checkpoints past the lost data.
 *
 * <p>Expiry, when configured, runs after each successful commit ({@link KilnTable#expireVersions});
 * orphan cleanup, when configured, after a successful commit at most once per its grace period
 * ({@link KilnTable#removeOrphans}, which may publish a version recording its cutoff). Both are
 * best effort: a failure is logged and never fails the commit or the job.
 *
 * <p>Runs on the committer operator's task thread and blocks on storage, as {@link KilnTable} does.
 */
final class KilnCommitter implements Committer<KilnCommittable> {

    private static final Logger LOG = LoggerFactory.getLogger(KilnCommitter.class);

    /** Rounds of dropping stale compactions before a commit is retried later instead. */
    static final int MAX_STALE_ROUNDS = KilnTable.MAX_COMMIT_ATTEMPTS;

    private final Path tablePath;
    private final SinkSettings.Expiry expiry;
    private final Duration orphansOlderThan;
    private final Clock clock;
    private final Histogram commitLatency;
    private final Counter generationsCommitted;
    private final Counter compactionsCommitted;
    private final Counter staleCompactionsDropped;
    private final Counter versionsExpired;
    private final Counter orphansRemoved;
    private volatile long manifestVersion = -1;
    private long nextOrphanCleanupMillis = Long.MIN_VALUE;
    private KilnTable table;

    KilnCommitter(Path tablePath, MetricGroup metrics) {
        this(tablePath, null, null, Clock.systemUTC(), metrics);
    }

    /**
     * @param expiry the expiry run after each commit, or {@code null} for none
     * @param orphansOlderThan the grace period of the orphan cleanup run after a commit at most
     *     once per this period, or {@code null} for none
     */
    KilnCommitter(
            Path tablePath,
            SinkSettings.Expiry expiry,
            Duration orphansOlderThan,
            Clock clock,
            MetricGroup metrics) {
        this.tablePath = tablePath;
        this.expiry = expiry;
        this.orphansOlderThan = orphansOlderThan;
        this.clock = clock;
        this.commitLatency =
                metrics.histogram(
                        KilnSinkMetrics.COMMIT_LATENCY,
                        new DescriptiveStatisticsHistogram(KilnSinkMetrics.HISTOGRAM_WINDOW));
        this.generationsCommitted = metrics.counter(KilnSinkMetrics.GENERATIONS_COMMITTED);
        this.compactionsCommitted = metrics.counter(KilnSinkMetrics.COMPACTIONS_COMMITTED);
        this.staleCompactionsDropped = metrics.counter(KilnSinkMetrics.STALE_COMPACTIONS_DROPPED);
        this.versionsExpired = metrics.counter(KilnSinkMetrics.VERSIONS_EXPIRED);
        this.orphansRemoved = metrics.counter(KilnSinkMetrics.ORPHANS_REMOVED);
        metrics.gauge(KilnSinkMetrics.MANIFEST_VERSION, () -> manifestVersion);
    }

    @Override
    public void commit(Collection<CommitRequest<KilnCommittable>> requests) throws IOException {
        boolean committed = false;
        for (CommitRequest<KilnCommittable> request : requests) {
            KilnCommittable committable = request.getCommittable();
            Manifest manifest;
            try {
                manifest = commitDroppingStale(committable);
            } catch (MissingGenerationException
                    | InvalidManifestException
                    | TableNotFoundException
                    | IllegalArgumentException e) {
                request.signalFailedWithKnownReason(e);
                throw new KilnCommitException(
                        "Kiln committer "
                                + committable.committerId()
                                + " cannot commit checkpoint "
                                + committable.checkpointId()
                                + " ("
                                + committable.generations().size()
                                + " generations) to "
                                + tablePath
                                + ": "
                                + e.getMessage(),
                        e);
            } catch (IOException e) {
                LOG.warn(
                        "Committing checkpoint {} of {} to {} failed (attempt {}); retrying.",
                        committable.checkpointId(),
                        committable.committerId(),
                        tablePath,
                        request.getNumberOfRetries() + 1,
                        e);
                request.retryLater();
                continue;
            }
            committed = true;
            manifestVersion = manifest.version();
            generationsCommitted.inc(committable.generations().size());
            commitLatency.update(
                    Math.max(0, System.currentTimeMillis() - committable.flushedAtMillis()));
        }
        if (committed && expiry != null) {
            expire();
        }
        if (committed && orphansOlderThan != null && clock.millis() >= nextOrphanCleanupMillis) {
            removeOrphans();
        }
    }

    /**
     * Commits {@code committable}, dropping the compactions that cannot be applied to the latest
     * version, until the rest is published.
     */
    private Manifest commitDroppingStale(KilnCommittable committable) throws IOException {
        List<Compaction> compactions = new ArrayList<>(committable.compactions());
        for (int round = 0; ; round++) {
            Commit commit =
                    new Commit(
                            committable.committerId(),
                            committable.checkpointId(),
                            committable.generations(),
                            List.of(),
                            compactions);
            try {
                Manifest manifest = table().commit(commit);
                compactionsCommitted.inc(compactions.size());
                return manifest;
            } catch (StaleCompactionException e) {
                if (round >= MAX_STALE_ROUNDS) {
                    throw e;
                }
                Manifest latest = table().latestManifest();
                List<Compaction> stale = latest.staleCompactions(compactions);
                drop(committable, stale, "its inputs are no longer live and consecutive", e);
                compactions.removeAll(stale);
            } catch (MissingGenerationException e) {
                List<Compaction> missing = missingOutputs(compactions);
                if (missing.isEmpty() || round >= MAX_STALE_ROUNDS) {
                    throw e;
                }
                drop(committable, missing, "its output is missing or not whole", e);
                compactions.removeAll(missing);
            }
        }
    }

    private void drop(
            KilnCommittable committable, List<Compaction> dropped, String why, Exception cause) {
        for (Compaction compaction : dropped) {
            LOG.info(
                    "Kiln committer {} drops a compaction of bucket {} from checkpoint {} ({}): {}"
                            + " (the rows stay in its inputs {})",
                    committable.committerId(),
                    compaction.bucket(),
                    committable.checkpointId(),
                    why,
                    cause.getMessage(),
                    compaction.inputs());
            staleCompactionsDropped.inc();
            GenerationRef output = compaction.output();
            if (output != null) {
                try {
                    Path file = table.resolve(output.path());
                    file.getFileSystem().delete(file, false);
                } catch (IOException | RuntimeException e) {
                    LOG.warn(
                            "Could not delete the dropped compaction output {}; orphan cleanup"
                                    + " will.",
                            output.path(),
                            e);
                }
            }
        }
    }

    /** Returns the compactions whose output file is absent or has another length. */
    private List<Compaction> missingOutputs(List<Compaction> compactions) throws IOException {
        List<Compaction> missing = new ArrayList<>();
        for (Compaction compaction : compactions) {
            GenerationRef output = compaction.output();
            if (output == null) {
                continue;
            }
            Path file = table().resolve(output.path());
            try {
                FileStatus status = file.getFileSystem().getFileStatus(file);
                if (status.isDir() || status.getLen() != output.sizeBytes()) {
                    missing.add(compaction);
                }
            } catch (FileNotFoundException e) {
                missing.add(compaction);
            }
        }
        return missing;
    }

    private void expire() {
        try {
            List<Long> removed = table().expireVersions(expiry.keepLast(), expiry.keepFor(), clock);
            versionsExpired.inc(removed.size());
            if (!removed.isEmpty()) {
                LOG.debug("Expired versions {} of {}", removed, tablePath);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "Expiring old versions of {} failed; trying again after the next commit.",
                    tablePath,
                    e);
        }
    }

    private void removeOrphans() {
        try {
            List<Path> removed = table().removeOrphans(orphansOlderThan, clock);
            orphansRemoved.inc(removed.size());
            nextOrphanCleanupMillis = clock.millis() + orphansOlderThan.toMillis();
            if (!removed.isEmpty()) {
                LOG.info("Removed {} orphan files of {}.", removed.size(), tablePath);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "Removing orphan files of {} failed; trying again after the next commit.",
                    tablePath,
                    e);
        }
    }

    private KilnTable table() throws IOException {
        if (table == null) {
            table = KilnTable.open(tablePath);
        }
        return table;
    }

    @Override
    public void close() {}
}
