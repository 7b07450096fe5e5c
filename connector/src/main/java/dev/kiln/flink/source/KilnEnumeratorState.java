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

/**
 * What a {@link KilnSource}'s enumerator checkpoints: whether it has made the table's splits (it
 * makes them once, when it first finds the table), and those not yet assigned to a reader. Assigned
 * splits are in their readers' state.
 *
 * @param unassigned the splits made but not assigned
 * @param splitsCreated whether the splits were made
 */
@Internal
public record KilnEnumeratorState(List<BucketSplit> unassigned, boolean splitsCreated) {

    public KilnEnumeratorState {
        unassigned = List.copyOf(unassigned);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KilnEnumeratorState other
                && Objects.equals(unassigned, other.unassigned)
                && splitsCreated == other.splitsCreated;
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(unassigned) + Boolean.hashCode(splitsCreated);
    }

    @Override
    public String toString() {
        return "KilnEnumeratorState[unassigned="
                + unassigned
                + ", splitsCreated="
                + splitsCreated
                + "]";
    }
}
