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

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The main example, small: its own embedded MiniCluster, a few seconds. */
class KilnJobTest {

    @TempDir Path dir;

    @Test
    void smallRunPassesItsChecks() throws Exception {
        Flags flags =
                Flags.parse(
                        new String[] {
                            "--keys", "500", "--rows-per-second", "2000",
                            "--lookups-per-second", "500", "--seconds", "3",
                            "--parallelism", "1", "--buckets", "2",
                            "--checkpoint-ms", "300", "--table", dir.resolve("t").toString()
                        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        ExampleRun.Outcome outcome;
        try {
            // run() throws IllegalStateException when an answer or the final table is wrong
            outcome = new ExampleRun(flags).run();
        } finally {
            System.setOut(original);
        }
        String report = out.toString(StandardCharsets.UTF_8);
        original.print(report);
        assertTrue(report.contains("every answer was a value written for its key: yes"), report);
        assertTrue(
                report.matches(
                        "(?s).*the table equals the last write of each of [\\d,]+ keys: yes.*"),
                report);
        // Every answer is judged against the committed versions, and each matches one of them.
        assertTrue(report.contains("freshness (an answer is stale if"), report);
        assertEquals(outcome.samples().size(), outcome.freshness().answers());
        assertEquals(0, outcome.freshness().unmatched(), report);
        assertEquals(outcome.freshness().stale(), outcome.freshness().stalenessMillis().length);
    }

    @Test
    void wrongFlagIsATypedUsageError() {
        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Flags.parse(new String[] {"--no-such-flag", "1"}));
        assertEquals("unknown flag(s): --no-such-flag", unknown.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> Flags.parse(new String[] {"--keys", "0"}));
    }
}
