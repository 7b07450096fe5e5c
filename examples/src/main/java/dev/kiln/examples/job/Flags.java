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

package dev.kiln.examples.job;

import org.apache.flink.util.ParameterTool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;

/**
 * The example's flags, validated: a wrong one is an {@link IllegalArgumentException} whose message
 * says which and why, for a usage message rather than a stack trace.
 *
 * @param keys distinct keys written
 * @param rowsPerSecond writes per second, over all writer subtasks
 * @param lookupsPerSecond lookups per second
 * @param seconds how long both streams run
 * @param parallelism of every operator
 * @param buckets the table's buckets
 * @param checkpointMillis the checkpoint (and so commit) interval
 * @param pollMillis how often the lookups look for a new version
 * @param deleteEvery one write in this many is a delete (0: none)
 * @param table the table's directory
 * @param help whether {@code --help} was given
 */
public record Flags(
        long keys,
        long rowsPerSecond,
        long lookupsPerSecond,
        long seconds,
        int parallelism,
        int buckets,
        long checkpointMillis,
        long pollMillis,
        int deleteEvery,
        Path table,
        boolean help) {

    private static final Set<String> NAMES =
            Set.of(
                    "keys",
                    "rows-per-second",
                    "lookups-per-second",
                    "seconds",
                    "parallelism",
                    "buckets",
                    "checkpoint-ms",
                    "poll-ms",
                    "delete-every",
                    "table",
                    "help");

    public static String usage() {
        return String.join(
                "\n",
                "Runs a Kiln sink and Kiln lookups in one Flink job on an embedded MiniCluster.",
                "",
                "flags (all optional):",
                "  --keys N               distinct keys written (default 50000)",
                "  --rows-per-second N    writes per second (default 20000)",
                "  --lookups-per-second N lookups per second (default 5000)",
                "  --seconds N            how long the job runs (default 30)",
                "  --parallelism N        parallelism of every operator (default 2)",
                "  --buckets N            buckets of the table (default 8)",
                "  --checkpoint-ms N      checkpoint and commit interval (default 1000)",
                "  --poll-ms N            how often lookups look for a new version (default 100)",
                "  --delete-every N       one write in N deletes its key, 0 for none (default 10)",
                "  --table DIR            the table's directory, new or a table of this example",
                "                         (default: a new temporary directory)",
                "  --help                 this text",
                "",
                "with Maven: mvn -q -pl examples -am -DskipTests compile exec:exec"
                        + " -Dexec.args=\"--seconds 20\"");
    }

    /** Parses {@code args}; see {@link #usage()}. */
    public static Flags parse(String[] args) throws java.io.IOException {
        ParameterTool params;
        try {
            params = ParameterTool.fromArgs(args);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read the flags: " + e.getMessage(), e);
        }
        Set<String> unknown = new TreeSet<>(params.toMap().keySet());
        unknown.removeAll(NAMES);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown flag(s): --" + String.join(", --", unknown));
        }
        String table = params.get("table");
        return new Flags(
                positive(params, "keys", 50_000),
                positive(params, "rows-per-second", 20_000),
                positive(params, "lookups-per-second", 5_000),
                positive(params, "seconds", 30),
                (int) positive(params, "parallelism", 2),
                (int) positive(params, "buckets", 8),
                positive(params, "checkpoint-ms", 1000),
                positive(params, "poll-ms", 100),
                (int) atLeast(params, "delete-every", 10, 0),
                table == null
                        ? Files.createTempDirectory("kiln-example").resolve("table")
                        : Paths.get(table),
                params.has("help"));
    }

    private static long positive(ParameterTool params, String name, long fallback) {
        return atLeast(params, name, fallback, 1);
    }

    private static long atLeast(ParameterTool params, String name, long fallback, long min) {
        String value = params.get(name, Long.toString(fallback));
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "--" + name + " must be a number, not '" + value + "'");
        }
        if (parsed < min || parsed > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "--"
                            + name
                            + " must be between "
                            + min
                            + " and "
                            + Integer.MAX_VALUE
                            + ", not "
                            + parsed);
        }
        return parsed;
    }
}
