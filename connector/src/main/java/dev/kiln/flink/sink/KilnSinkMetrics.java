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

/**
 * Names of the metrics a {@link KilnSink} registers on its operators' metric groups (documented in
 * {@code docs/sink.md}).
 */
final class KilnSinkMetrics {

    private KilnSinkMetrics() {}

    // Writer.
    static final String ROWS_WRITTEN = "kilnRowsWritten";
    static final String GENERATIONS_WRITTEN = "kilnGenerationsWritten";
    static final String BYTES_FLUSHED = "kilnBytesFlushed";

    // Writer: compaction of the buckets it owns.
    static final String COMPACTIONS_RUN = "kilnCompactionsRun";
    static final String COMPACTION_BYTES_READ = "kilnCompactionBytesRead";
    static final String COMPACTION_BYTES_WRITTEN = "kilnCompactionBytesWritten";
    static final String COMPACTION_ROWS_READ = "kilnCompactionRowsRead";
    static final String COMPACTION_ROWS_WRITTEN = "kilnCompactionRowsWritten";
    static final String COMPACTION_DURATION = "kilnCompactionDurationMs";
    static final String COMPACTIONS_FAILED = "kilnCompactionsFailed";

    // Warm before commit.
    static final String WARM_DURATION = "kilnWarmDurationMs";
    static final String WARMED = "kilnWarmsWarmed";
    static final String ALREADY_WARM = "kilnWarmsAlreadyWarm";
    static final String WARM_FAILED = "kilnWarmsFailed";
    static final String WARM_TIMED_OUT = "kilnWarmsTimedOut";
    static final String HELD_BACK = "kilnCommittablesHeldBack";
    static final String WARM_STORAGE_READS = "kilnWarmStorageReads";
    static final String WARM_STORAGE_READS_NOT_HANDED_OVER = "kilnWarmStorageReadsNotHandedOver";
    static final String WARM_STORAGE_READS_PAST_STAGED_PAGES =
            "kilnWarmStorageReadsPastStagedPages";
    static final String OFF_HEAP_BYTES = "kilnOffHeapBytes";
    static final String OFF_HEAP_BOUND_BYTES = "kilnOffHeapBoundBytes";

    // Committer.
    static final String COMMIT_LATENCY = "kilnCommitLatencyMs";
    static final String MANIFEST_VERSION = "kilnManifestVersion";
    static final String GENERATIONS_COMMITTED = "kilnGenerationsCommitted";
    static final String COMPACTIONS_COMMITTED = "kilnCompactionsCommitted";
    static final String STALE_COMPACTIONS_DROPPED = "kilnStaleCompactionsDropped";
    static final String VERSIONS_EXPIRED = "kilnVersionsExpired";
    static final String ORPHANS_REMOVED = "kilnOrphansRemoved";

    /** Samples kept by each histogram. */
    static final int HISTOGRAM_WINDOW = 1024;
}
