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

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Objects;

/** What the scan's enumerator checkpoints: the splits not yet assigned. Immutable. */
@Internal
public record ScanEnumeratorState(List<BucketSplit> remaining) {

    public ScanEnumeratorState {
        remaining = List.copyOf(remaining);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScanEnumeratorState other && Objects.equals(remaining, other.remaining);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(remaining);
    }

    @Override
    public String toString() {
        return "ScanEnumeratorState[remaining=" + remaining + "]";
    }
}
