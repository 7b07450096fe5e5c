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

import org.apache.flink.core.fs.Path;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/** What a {@link KilnSource} passes to its enumerator and readers. Immutable. */
final class SourceSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    final Path tablePath;
    final StartingPosition start;
    final boolean stopAtLatest;
    final long stopVersion;
    final Duration pollInterval;
    final OnVersionExpired onExpired;
    final KilnSource.TableCheck check;
    final boolean bounded;

    SourceSettings(
            Path tablePath,
            StartingPosition start,
            boolean stopAtLatest,
            long stopVersion,
            Duration pollInterval,
            OnVersionExpired onExpired,
            KilnSource.TableCheck check,
            boolean bounded) {
        this.tablePath = tablePath;
        this.start = start;
        this.stopAtLatest = stopAtLatest;
        this.stopVersion = stopVersion;
        this.pollInterval = pollInterval;
        this.onExpired = onExpired;
        this.check = check;
        this.bounded = bounded;
    }

    @Override
    public String toString() {
        return "SourceSettings[" + tablePath + ", " + start + ", bounded=" + bounded + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceSettings other
                && tablePath.equals(other.tablePath)
                && start.equals(other.start)
                && stopAtLatest == other.stopAtLatest
                && stopVersion == other.stopVersion
                && pollInterval.equals(other.pollInterval)
                && onExpired == other.onExpired
                && bounded == other.bounded;
    }

    @Override
    public int hashCode() {
        return Objects.hash(tablePath, start, stopAtLatest, stopVersion, pollInterval, onExpired);
    }
}
