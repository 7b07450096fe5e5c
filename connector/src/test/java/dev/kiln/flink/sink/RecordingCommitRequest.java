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

import org.apache.flink.api.connector.sink2.Committer.CommitRequest;

/** A commit request that records how it ended ({@code null}: committed). */
final class RecordingCommitRequest implements CommitRequest<KilnCommittable> {
    private final KilnCommittable committable;
    String outcome;

    RecordingCommitRequest(KilnCommittable committable) {
        this.committable = committable;
    }

    @Override
    public KilnCommittable getCommittable() {
        return committable;
    }

    @Override
    public int getNumberOfRetries() {
        return 0;
    }

    @Override
    public void signalFailedWithKnownReason(Throwable t) {
        outcome = "failed: " + t;
    }

    @Override
    public void signalFailedWithUnknownReason(Throwable t) {
        outcome = "failed: " + t;
    }

    @Override
    public void retryLater() {
        outcome = "retry";
    }

    @Override
    public void updateAndRetryLater(KilnCommittable committable) {
        outcome = "retry";
    }

    @Override
    public void signalAlreadyCommitted() {
        outcome = "already committed";
    }
}
