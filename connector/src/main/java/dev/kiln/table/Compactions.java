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

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Applies a {@link Compaction} to a live set: the commit protocol's half of compaction. */
final class Compactions {

    private Compactions() {}

    /**
     * Returns {@code live} (oldest first) with {@code compaction}'s inputs replaced by its output
     * at the place of the newest input.
     *
     * @throws StaleCompactionException naming the paths if an input is not live in {@code version}
     *     or the inputs are no longer consecutive in their bucket
     * @throws IllegalArgumentException naming the path if an input is not in the compaction's
     *     bucket, an input is named twice, or the output is live already or not under the data
     *     folder
     */
    static List<GenerationRef> apply(List<GenerationRef> live, Compaction compaction, long version)
            throws StaleCompactionException {
        Set<String> inputs = new HashSet<>(compaction.inputs());
        if (inputs.size() != compaction.inputs().size()) {
            throw new IllegalArgumentException(
                    "compaction names an input twice: " + compaction.inputs());
        }
        GenerationRef output = compaction.output();
        if (output != null) {
            TablePaths.checkRelative(output.path());
        }
        int first = -1;
        int last = -1;
        int found = 0;
        for (int i = 0; i < live.size(); i++) {
            GenerationRef g = live.get(i);
            if (output != null && g.path().equals(output.path())) {
                throw new IllegalArgumentException(
                        "cannot add " + output.path() + ": it is live already");
            }
            if (inputs.contains(g.path())) {
                if (g.bucket() != compaction.bucket()) {
                    throw new IllegalArgumentException(
                            "cannot compact "
                                    + g.path()
                                    + ": it is in bucket "
                                    + g.bucket()
                                    + ", not "
                                    + compaction.bucket());
                }
                first = first < 0 ? i : first;
                last = i;
                found++;
            }
        }
        if (found != inputs.size()) {
            List<String> missing = new ArrayList<>(compaction.inputs());
            live.forEach(g -> missing.remove(g.path()));
            throw new StaleCompactionException(
                    "cannot compact " + missing + ": not live in version " + version);
        }
        List<GenerationRef> result = new ArrayList<>(live.size() - found + 1);
        for (int i = 0; i < live.size(); i++) {
            GenerationRef g = live.get(i);
            boolean input = inputs.contains(g.path());
            if (!input && i > first && i < last && g.bucket() == compaction.bucket()) {
                throw new StaleCompactionException(
                        "cannot compact "
                                + compaction.inputs()
                                + ": "
                                + g.path()
                                + " of the same bucket lies between them in version "
                                + version);
            }
            if (!input) {
                result.add(g);
            } else if (i == last && output != null) {
                result.add(output);
            }
        }
        return result;
    }
}
