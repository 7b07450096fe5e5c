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

/**
 * The main example: a Flink job on an embedded MiniCluster that writes a Kiln table in a local
 * directory with {@code KilnSink} (a commit per checkpoint) while another stream of the same job
 * looks keys up in it through {@code KilnLookup}'s async function. It prints progress while it runs
 * and a report at the end, checks every answer against what was written, and fails if any is wrong.
 * {@code --help} lists the flags.
 */
public final class KilnJob {

    private KilnJob() {}

    public static void main(String[] args) throws Exception {
        Flags flags;
        try {
            flags = Flags.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println();
            System.err.println(Flags.usage());
            System.exit(2);
            return;
        }
        if (flags.help()) {
            System.out.println(Flags.usage());
            return;
        }
        new ExampleRun(flags).run();
    }
}
