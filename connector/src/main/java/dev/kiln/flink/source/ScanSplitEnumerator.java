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

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

import javax.annotation.Nullable;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Hands the scan's bucket splits out on request (readers pull one at a time, so fast readers take
 * more buckets), and tells a reader there are no more once all are out. Runs on the coordinator
 * thread; not thread-safe.
 */
final class ScanSplitEnumerator implements SplitEnumerator<BucketSplit, ScanEnumeratorState> {

    private final SplitEnumeratorContext<BucketSplit> context;
    private final Deque<BucketSplit> remaining;

    ScanSplitEnumerator(SplitEnumeratorContext<BucketSplit> context, List<BucketSplit> remaining) {
        this.context = context;
        this.remaining = new ArrayDeque<>(remaining);
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {
        BucketSplit split = remaining.poll();
        if (split != null) {
            context.assignSplit(split, subtaskId);
        } else {
            context.signalNoMoreSplits(subtaskId);
        }
    }

    @Override
    public void addSplitsBack(List<BucketSplit> splits, int subtaskId) {
        splits.forEach(remaining::addFirst);
    }

    @Override
    public void addReader(int subtaskId) {}

    @Override
    public ScanEnumeratorState snapshotState(long checkpointId) {
        return new ScanEnumeratorState(List.copyOf(remaining));
    }

    @Override
    public void close() {}
}
