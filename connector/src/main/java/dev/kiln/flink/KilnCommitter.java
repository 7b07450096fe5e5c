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

package dev.kiln.flink;

import dev.kiln.table.Commit;
import dev.kiln.table.InvalidManifestException;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.MissingGenerationException;
import dev.kiln.table.TableNotFoundException;

import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Collection;
import java.util.List;

/**
 * Publishes each {@link KilnCommittable} as one manifest with {@link KilnTable#commit}, idempotent
 * per (committer id, checkpoint id): a checkpoint committed before a failure is a no-op when
 * Flink's committer replays it after restore.
 *
 * <p>Failures: a storage {@link IOException} (including a commit that lost every race) asks Flink
 * to retry ({@code retryLater}; Flink retries {@code sink.committer.retries} times, then fails the
 * job, whose restore retries again). A failure that retrying cannot fix ({@link
 * MissingGenerationException}, {@link InvalidManifestException}, {@link TableNotFoundException}, a
 * path the table rejects) is counted as a failed committable and then thrown as a {@link
 * KilnCommitException}, failing the job: Flink would otherwise drop the committable and publish
 * later checkpoints past the lost data.
 *
 * <p>Runs on the committer operator's task thread and blocks on storage, as {@link KilnTable} does.
 */
final class KilnCommitter implements Committer<KilnCommittable> {

    private static final Logger LOG = LoggerFactory.getLogger(KilnCommitter.class);

    private final Path tablePath;
    private final Histogram commitLatency;
    private final Counter generationsCommitted;
    private volatile long manifestVersion = -1;
    private KilnTable table;

    KilnCommitter(Path tablePath, MetricGroup metrics) {
        this.tablePath = tablePath;
        this.commitLatency =
                metrics.histogram(
                        KilnSinkMetrics.COMMIT_LATENCY,
                        new DescriptiveStatisticsHistogram(KilnSinkMetrics.HISTOGRAM_WINDOW));
        this.generationsCommitted = metrics.counter(KilnSinkMetrics.GENERATIONS_COMMITTED);
        metrics.gauge(KilnSinkMetrics.MANIFEST_VERSION, () -> manifestVersion);
    }

    @Override
    public void commit(Collection<CommitRequest<KilnCommittable>> requests) throws IOException {
        for (CommitRequest<KilnCommittable> request : requests) {
            KilnCommittable committable = request.getCommittable();
            Commit commit =
                    new Commit(
                            committable.committerId(),
                            committable.checkpointId(),
                            committable.generations(),
                            List.of());
            Manifest manifest;
            try {
                manifest = table().commit(commit);
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
            manifestVersion = manifest.version();
            generationsCommitted.inc(committable.generations().size());
            commitLatency.update(
                    Math.max(0, System.currentTimeMillis() - committable.flushedAtMillis()));
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
