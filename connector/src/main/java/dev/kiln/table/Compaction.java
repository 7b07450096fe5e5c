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

package dev.kiln.table;

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * One compaction, as a {@link Commit} publishes it: {@code inputs}, a run of live generations of
 * one bucket that are consecutive in the bucket's order, are replaced atomically by {@code output},
 * which takes the place of the newest input (so generations newer than the run still win over it,
 * and it wins over older ones). An absent output retires the inputs outright: everything in them
 * was deleted. Immutable.
 *
 * @param bucket the bucket of the inputs and the output
 * @param output the merged generation, or {@code null} if the merge kept no row
 * @param inputs paths (relative to the root) of the generations it replaces; at least one
 */
@Internal
public record Compaction(int bucket, GenerationRef output, List<String> inputs) {

    public Compaction {
        inputs = List.copyOf(requireNonNull(inputs, "inputs"));
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("a compaction replaces at least one generation");
        }
        if (output != null && output.bucket() != bucket) {
            throw new IllegalArgumentException(
                    "output "
                            + output.path()
                            + " is in bucket "
                            + output.bucket()
                            + ", not "
                            + bucket);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Compaction other
                && bucket == other.bucket
                && Objects.equals(output, other.output)
                && Objects.equals(inputs, other.inputs);
    }

    @Override
    public int hashCode() {
        int h = Integer.hashCode(bucket);
        h = 31 * h + Objects.hashCode(output);
        h = 31 * h + Objects.hashCode(inputs);
        return h;
    }

    @Override
    public String toString() {
        return "Compaction[bucket=" + bucket + ", output=" + output + ", inputs=" + inputs + "]";
    }
}
