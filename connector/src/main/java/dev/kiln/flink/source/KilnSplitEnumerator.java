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

package dev.kiln.flink.source;

import dev.kiln.table.InvalidManifestException;
import dev.kiln.table.KilnTable;
import dev.kiln.table.KilnTableException;
import dev.kiln.table.TableNotFoundException;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.util.FlinkRuntimeException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The enumerator of a {@link KilnSource}: once it finds the table (it waits for a table not created
 * yet, unless it stops at the latest version: then it makes no split), it makes a split per bucket
 * at the starting position, assigns bucket {@code b} to reader {@code b % parallelism}, and from
 * then on polls the table's latest version and sends it to the readers ({@link
 * LatestVersionEvent}).
 *
 * <p>Threading: the table is read in {@link SplitEnumeratorContext#callAsync} callables on the
 * coordinator's worker thread; everything else runs on the coordinator thread. A table replaced
 * (deleted and created again) or not matching the source's check fails the job; other storage
 * errors are logged and retried at the next poll.
 */
final class KilnSplitEnumerator implements SplitEnumerator<BucketSplit, KilnEnumeratorState> {

    private static final Logger LOG = LoggerFactory.getLogger(KilnSplitEnumerator.class);

    private final SplitEnumeratorContext<BucketSplit> context;
    private final SourceSettings settings;
    private final List<BucketSplit> unassigned;
    private final Set<Integer> signalledNoMore = new HashSet<>();
    private volatile boolean splitsCreated;

    // The table is read and written on the worker thread only (one callable at a time).
    @Nullable private KilnTable table;
    private volatile long announced = -1;
    private long lastFailureLogMillis;
    @Nullable private Closeable published;
    private final AtomicBoolean wakePending = new AtomicBoolean();

    KilnSplitEnumerator(
            SplitEnumeratorContext<BucketSplit> context,
            SourceSettings settings,
            List<BucketSplit> unassigned,
            boolean splitsCreated) {
        this.context = context;
        this.settings = settings;
        this.unassigned = new ArrayList<>(unassigned);
        this.splitsCreated = splitsCreated;
    }

    @Override
    public void start() {
        context.callAsync(
                this::poll, this::handlePoll, 0, Math.max(1, settings.pollInterval.toMillis()));
    }

    /** The outcome of one poll: the splits made (first poll that found the table) and latest. */
    private static final class Poll {
        @Nullable final List<BucketSplit> created;
        final long latest;

        Poll(@Nullable List<BucketSplit> created, long latest) {
            this.created = created;
            this.latest = latest;
        }
    }

    /**
     * A commit in this JVM published {@code version}: poll now rather than at the next interval.
     * Called on the committing thread; coalesces wake-ups while one is pending.
     */
    private void wakeUp(long version) {
        if (version > announced && wakePending.compareAndSet(false, true)) {
            context.runInCoordinatorThread(() -> context.callAsync(this::poll, this::handlePoll));
        }
    }

    private Poll poll() throws IOException {
        wakePending.set(false);
        boolean created = splitsCreated;
        if (table == null) {
            try {
                table = KilnTable.open(settings.tablePath);
            } catch (TableNotFoundException absent) {
                // A scan of the latest version of no table is empty; a source stopping at a
                // given version waits for the table as it waits for the version.
                if (!created && settings.stopAtLatest) {
                    return new Poll(List.of(), -1);
                }
                return new Poll(null, -1);
            }
            settings.check.check(table.options());
            published = table.onPublished(this::wakeUp);
        }
        long latest;
        try {
            latest = table.latestVersion(Math.max(0, announced));
        } catch (InvalidManifestException noVersion) {
            if (announced >= 0) {
                throw noVersion;
            }
            // A table being created publishes its metadata, then version 0: retried (and
            // logged) as a storage failure, not failing the job.
            throw new IOException(
                    "the Kiln table at " + settings.tablePath + " has no version yet", noVersion);
        }
        table.checkIdentity();
        List<BucketSplit> splits = created ? null : initialSplits(table, latest);
        return new Poll(splits, latest);
    }

    private List<BucketSplit> initialSplits(KilnTable table, long latest) throws IOException {
        long stop = settings.stopAtLatest ? latest : settings.stopVersion;
        boolean snapshot = false;
        long position;
        switch (settings.start.kind()) {
            case FULL_THEN_FOLLOW:
                snapshot = true;
                // A snapshot never reads past the stop version: it would emit later changes.
                position = Math.min(latest, stop);
                break;
            case LATEST:
                position = latest;
                break;
            case FROM_VERSION:
                position = Math.max(0, settings.start.value() - 1);
                break;
            case FROM_TIMESTAMP:
                position =
                        Math.max(
                                0,
                                table.firstVersionPublishedAtOrAfter(settings.start.value()) - 1);
                break;
            default:
                throw new IllegalStateException("unknown start " + settings.start);
        }
        List<BucketSplit> splits = new ArrayList<>();
        for (int bucket = 0; bucket < table.options().bucketCount(); bucket++) {
            splits.add(new BucketSplit(bucket, position, snapshot, 0, stop, table.tableId()));
        }
        LOG.info(
                "Kiln source of {} starts from {} at version {} ({} buckets, stop {})",
                settings.tablePath,
                settings.start,
                latest,
                splits.size(),
                stop == BucketSplit.NO_STOP ? "none" : stop);
        return splits;
    }

    private void handlePoll(@Nullable Poll poll, @Nullable Throwable error) {
        if (error != null) {
            if (error instanceof KilnTableException && !(error instanceof TableNotFoundException)
                    || error instanceof RuntimeException) {
                throw new FlinkRuntimeException(
                        "the Kiln source cannot read the table at " + settings.tablePath, error);
            }
            long now = System.currentTimeMillis();
            if (now - lastFailureLogMillis >= 60_000) {
                lastFailureLogMillis = now;
                LOG.warn(
                        "Kiln source could not poll the table at {}; retrying every {}",
                        settings.tablePath,
                        settings.pollInterval,
                        error);
            }
            return;
        }
        if (poll.created != null && !splitsCreated) {
            unassigned.addAll(poll.created);
            splitsCreated = true;
        }
        if (poll.latest > announced) {
            announced = poll.latest;
            for (int reader : context.registeredReaders().keySet()) {
                context.sendEventToSourceReader(reader, new LatestVersionEvent(announced));
            }
        }
        assignPending();
    }

    private void assignPending() {
        if (!splitsCreated) {
            return;
        }
        int parallelism = context.currentParallelism();
        Set<Integer> readers = context.registeredReaders().keySet();
        Map<Integer, List<BucketSplit>> assignment = new HashMap<>();
        for (Iterator<BucketSplit> it = unassigned.iterator(); it.hasNext(); ) {
            BucketSplit split = it.next();
            int owner = split.bucket() % parallelism;
            if (readers.contains(owner)) {
                assignment.computeIfAbsent(owner, r -> new ArrayList<>()).add(split);
                it.remove();
            }
        }
        if (!assignment.isEmpty()) {
            context.assignSplits(new SplitsAssignment<>(assignment));
        }
        if (settings.bounded) {
            for (int reader : readers) {
                if (!signalledNoMore.contains(reader) && !hasUnassigned(reader, parallelism)) {
                    signalledNoMore.add(reader);
                    context.signalNoMoreSplits(reader);
                }
            }
        }
    }

    private boolean hasUnassigned(int reader, int parallelism) {
        for (BucketSplit split : unassigned) {
            if (split.bucket() % parallelism == reader) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {
        // Splits are pushed: each bucket has its reader.
    }

    @Override
    public void addSplitsBack(List<BucketSplit> splits, int subtaskId) {
        unassigned.addAll(splits);
        signalledNoMore.remove(subtaskId);
    }

    @Override
    public void addReader(int subtaskId) {
        signalledNoMore.remove(subtaskId);
        if (announced >= 0) {
            context.sendEventToSourceReader(subtaskId, new LatestVersionEvent(announced));
        }
        assignPending();
    }

    @Override
    public KilnEnumeratorState snapshotState(long checkpointId) {
        return new KilnEnumeratorState(unassigned, splitsCreated);
    }

    @Override
    public void close() throws IOException {
        Closeable subscription = published;
        if (subscription != null) {
            subscription.close();
        }
    }
}
