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

package dev.kiln.warm;

import org.apache.flink.annotation.Internal;

/**
 * A snapshot of a {@link WarmGate}'s counters; every request counts once in exactly one of the
 * outcome counters, and {@code joined} counts the requests that shared a warm already requested.
 *
 * @param requested calls to {@link WarmGate#warm}
 * @param started warmer invocations
 * @param joined requests that awaited a warm of the same path already queued or running
 * @param warmed requests that ended {@link WarmOutcome#WARMED}
 * @param alreadyWarm requests that ended {@link WarmOutcome#ALREADY_WARM}
 * @param failed requests that ended {@link WarmOutcome#FAILED}
 * @param timedOut requests that ended {@link WarmOutcome#TIMED_OUT}
 */
@Internal
public record WarmStats(
        long requested,
        long started,
        long joined,
        long warmed,
        long alreadyWarm,
        long failed,
        long timedOut) {
    @Override
    public boolean equals(Object o) {
        return o instanceof WarmStats other
                && requested == other.requested
                && started == other.started
                && joined == other.joined
                && warmed == other.warmed
                && alreadyWarm == other.alreadyWarm
                && failed == other.failed
                && timedOut == other.timedOut;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(requested);
        h = 31 * h + Long.hashCode(started);
        h = 31 * h + Long.hashCode(joined);
        h = 31 * h + Long.hashCode(warmed);
        h = 31 * h + Long.hashCode(alreadyWarm);
        h = 31 * h + Long.hashCode(failed);
        h = 31 * h + Long.hashCode(timedOut);
        return h;
    }

    @Override
    public String toString() {
        return "WarmStats[requested="
                + requested
                + ", started="
                + started
                + ", joined="
                + joined
                + ", warmed="
                + warmed
                + ", alreadyWarm="
                + alreadyWarm
                + ", failed="
                + failed
                + ", timedOut="
                + timedOut
                + "]";
    }
}
