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

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompactionPolicyTest {

    @Test
    void generationsOfATierMergeWhenThereAreTierFactorOfThem() {
        CompactionPolicy policy = CompactionPolicy.builder().tierFactor(4).build();

        assertThat(policy.pick(sizes(100, 100, 100))).isNull();
        assertThat(policy.pick(sizes(5000, 100, 120, 100, 200)))
                .isEqualTo(new CompactionPolicy.Run(1, 5));
        assertThat(policy.pick(sizes(70, 70, 70, 70, 5000, 100)))
                .as("an older run of one tier, when no newer one is full")
                .isEqualTo(new CompactionPolicy.Run(0, 4));
        assertThat(policy.pick(sizes())).isNull();
    }

    @Test
    void theHardBoundMergesTheCheapestRunThatRestoresIt() {
        CompactionPolicy policy =
                CompactionPolicy.builder().maxGenerations(3).tierFactor(4).build();

        assertThat(policy.pick(sizes(100_000, 10_000, 1000, 100, 10)))
                .isEqualTo(new CompactionPolicy.Run(2, 5));
        assertThat(policy.pick(sizes(1, 10_000, 1000, 100_000, 10)))
                .isEqualTo(new CompactionPolicy.Run(0, 3));
    }

    /**
     * Equal flushes, one per commit, compacted after each: over n = 10,000 commits the bucket stays
     * within the bound and each byte is rewritten about log_4(n) times.
     */
    @Test
    void tieredMergingRewritesEachByteLogarithmicallyOften() {
        CompactionPolicy policy = CompactionPolicy.defaults();
        List<Long> bucket = new ArrayList<>();
        long ingested = 0;
        long rewritten = 0;
        int commits = 10_000;
        for (int commit = 0; commit < commits; commit++) {
            bucket.add(100L);
            ingested += 100;
            for (CompactionPolicy.Run run = policy.pick(refs(bucket));
                    run != null;
                    run = policy.pick(refs(bucket))) {
                List<Long> merged = bucket.subList(run.from(), run.to());
                long size = merged.stream().mapToLong(Long::longValue).sum();
                merged.clear();
                bucket.add(run.from(), size);
                rewritten += size;
            }
            assertThat(bucket).hasSizeLessThanOrEqualTo(policy.maxGenerations());
        }
        double amplification = (double) rewritten / ingested;
        assertThat(amplification).isLessThan(Math.log(commits) / Math.log(4) + 1);
    }

    @Test
    void optionsAreValidatedNamingTheOption() {
        assertThatThrownBy(() -> CompactionPolicy.builder().maxGenerations(0))
                .hasMessageContaining("maxGenerations");
        assertThatThrownBy(() -> CompactionPolicy.builder().tierFactor(1))
                .hasMessageContaining("tierFactor");
    }

    private static List<GenerationRef> sizes(long... sizes) {
        List<Long> list = new ArrayList<>();
        for (long s : sizes) {
            list.add(s);
        }
        return refs(list);
    }

    private static List<GenerationRef> refs(List<Long> sizes) {
        List<GenerationRef> refs = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            refs.add(new GenerationRef("data/bucket-0/g" + i, 0, null, null, 1, sizes.get(i)));
        }
        return refs;
    }
}
