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

package dev.kiln.examples;

import dev.kiln.examples.job.ExampleRun;
import dev.kiln.examples.job.Flags;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small end-to-end benchmark run: with warming Kiln's lookups make no cold read after commits
 * while the same job with a plain cache does, Kiln reads no page twice, every answer is right (a
 * run with a wrong one throws), and the charts are PNGs of the expected size.
 */
class EndToEndBenchmarkTest {

    @Test
    void warmingRemovesColdReadsAndTheChartIsWritten(@TempDir Path dir) throws Exception {
        Flags flags =
                Flags.parse(
                        new String[] {
                            "--keys", "2000",
                            "--rows-per-second", "4000",
                            "--lookups-per-second", "1000",
                            "--seconds", "6",
                            "--checkpoint-ms", "500",
                            "--buckets", "4",
                            "--table", dir.resolve("table").toString()
                        });
        Path chart = dir.resolve("chart.png");

        List<ExampleRun.Outcome> outcomes = EndToEndBenchmark.run(flags, 3, chart);

        ExampleRun.Outcome kiln = outcomes.get(0);
        ExampleRun.Outcome plain = outcomes.get(1);
        assertThat(kiln.lookups()).isPositive();
        assertThat(kiln.coldReads()).isZero();
        assertThat(plain.coldReads()).isPositive();
        // The writer hands what it writes (flushes and compaction outputs) to the cache of its
        // TaskManager, the one the lookups use here: Kiln may read nothing from storage at all.
        assertThat(plain.storageRequests()).isPositive();
        assertThat(kiln.storageRequests()).isLessThan(plain.storageRequests());
        assertThat(kiln.cache().pagesRead())
                .as("single flight and a cache large enough: no page read twice")
                .isEqualTo(kiln.cache().distinctPagesRead());
        assertThat(plain.cache().distinctPagesRead()).isPositive();
        BufferedImage image = ImageIO.read(chart.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(1200);
        assertThat(image.getHeight()).isEqualTo(600);
        BufferedImage byAge = ImageIO.read(EndToEndBenchmark.byCommitAge(chart).toFile());
        assertThat(byAge).isNotNull();
        assertThat(byAge.getWidth()).isEqualTo(1200);
    }
}
