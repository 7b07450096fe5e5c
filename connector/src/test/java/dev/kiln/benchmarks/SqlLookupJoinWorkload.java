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

package dev.kiln.benchmarks;

import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.util.FileUtils;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;

/**
 * A SQL lookup join end to end, as most users meet Kiln: a Kiln table of {@code keys} of issue 22's
 * small rows (a BIGINT id, a 30-bit BIGINT, a 4-letter string) written once with SQL {@code INSERT
 * INTO} (the connector's defaults), then a bounded stream of {@code probes} from Flink's {@code
 * datagen} (ids drawn at random from {@code [0, keys * 1.1)}, so about 9% are absent) joined {@code
 * FOR SYSTEM_TIME AS OF} the Kiln table into the {@code blackhole} connector at parallelism {@code
 * parallelism}, with the lookup source's default options. Each subtask warms the table's
 * generations before its first lookup (the follower's first swap), so lookups are answered from a
 * warm cache.
 *
 * <p>Jobs, each {@code rounds} times in the order given: {@code none} (the same probes and
 * projection into the blackhole without the join), {@code async} (the default, {@code
 * 'lookup.async' = 'true'}), {@code async-no-timeout} (the same with Flink's {@code
 * table.exec.async-lookup.timeout} at 0, so its async operator registers no timer per row) and
 * {@code sync} ({@code 'lookup.async' = 'false'}). For each it prints probes per second of the
 * job's wall time, probes per CPU-second of the whole process, the CPU split by thread ({@link
 * ThreadCpuSplit}; GC and JIT are the part no Java thread reports), and for a join the lookup
 * counters ({@link CountersReporter}): lookups, inline hits, batches, cold reads. The join's own
 * cost per lookup is the difference of a join job's and the {@code none} job's process CPU per
 * probe.
 *
 * <p>Usage: {@code SqlLookupJoinWorkload [probes] [keys] [parallelism] [rounds] [jobs...]};
 * defaults 20,000,000, 2,000,000, 2, 1 and {@code none async sync}. The table is written to a
 * temporary directory that is deleted at the end. A plain program, not JMH: one job is the figure.
 */
public final class SqlLookupJoinWorkload {

    private SqlLookupJoinWorkload() {}

    public static void main(String[] args) throws Exception {
        long probes = args.length > 0 ? Long.parseLong(args[0]) : 20_000_000L;
        long keys = args.length > 1 ? Long.parseLong(args[1]) : 2_000_000L;
        int parallelism = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        String[] jobs =
                args.length > 4
                        ? java.util.Arrays.copyOfRange(args, 4, args.length)
                        : new String[] {"none", "async", "sync"};
        java.nio.file.Path dir = Files.createTempDirectory("kiln-sql-lookup-join");
        try {
            java.nio.file.Path table = dir.resolve("table");
            long start = System.nanoTime();
            tableEnvironment(parallelism, table, keys, probes)
                    .executeSql("INSERT INTO t SELECT id, v, s FROM rows_to_write")
                    .await();
            System.out.printf(
                    "table     %,d keys written in %.1f s%n",
                    keys, (System.nanoTime() - start) / 1e9);
            for (int round = 1; round <= rounds; round++) {
                for (String job : jobs) {
                    run(job, round, table, keys, probes, parallelism);
                }
            }
        } finally {
            FileUtils.deleteDirectory(dir.toFile());
        }
    }

    private static TableEnvironment tableEnvironment(
            int parallelism, java.nio.file.Path table, long keys, long probes) {
        TableEnvironment tEnv = SqlUpsertWorkload.tableEnvironment(parallelism);
        // The sequence source's state outgrows the JobManager's memory-backed checkpoints.
        tEnv.getConfig()
                .set(
                        "execution.checkpointing.dir",
                        table.resolveSibling("checkpoints").toUri().toString());
        tEnv.executeSql(
                "CREATE TEMPORARY TABLE rows_to_write (id BIGINT, v BIGINT, s STRING) WITH ("
                        + "'connector' = 'datagen', 'fields.id.kind' = 'sequence',"
                        + " 'fields.id.start' = '0', 'fields.id.end' = '"
                        + (keys - 1)
                        + "', 'rows-per-second' = '1000000000',"
                        + " 'fields.v.min' = '0', 'fields.v.max' = '1073741823',"
                        + " 'fields.s.length' = '4')");
        tEnv.executeSql(
                "CREATE TEMPORARY TABLE probes (id BIGINT, x BIGINT, proc_time AS PROCTIME())"
                        + " WITH ('connector' = 'datagen', 'number-of-rows' = '"
                        + probes
                        + "', 'rows-per-second' = '1000000000', 'fields.id.min' = '0',"
                        + " 'fields.id.max' = '"
                        + (keys + keys / 10 - 1)
                        + "')");
        tEnv.executeSql(
                "CREATE TABLE t (id BIGINT, v BIGINT, s STRING, PRIMARY KEY (id) NOT ENFORCED)"
                        + " WITH ('connector' = 'kiln', 'path' = '"
                        + table.toUri()
                        + "')");
        tEnv.executeSql(
                "CREATE TEMPORARY TABLE out_rows (id BIGINT, x BIGINT, v BIGINT, s STRING)"
                        + " WITH ('connector' = 'blackhole')");
        return tEnv;
    }

    private static void run(
            String job,
            int round,
            java.nio.file.Path table,
            long keys,
            long probes,
            int parallelism)
            throws Exception {
        String query;
        switch (job) {
            case "none":
                query = "INSERT INTO out_rows SELECT id, x, x, 'abcd' FROM probes";
                break;
            case "async":
            case "async-no-timeout":
            case "sync":
                query =
                        "INSERT INTO out_rows SELECT p.id, p.x, c.v, c.s FROM probes AS p JOIN t"
                                + " /*+ OPTIONS('lookup.async' = '"
                                + job.startsWith("async")
                                + "') */ FOR SYSTEM_TIME AS OF p.proc_time AS c ON p.id = c.id";
                break;
            default:
                throw new IllegalArgumentException(
                        "unknown job " + job + ": none, async, async-no-timeout, sync");
        }
        TableEnvironment tEnv = tableEnvironment(parallelism, table, keys, probes);
        if (job.equals("async-no-timeout")) {
            // Flink's async operator registers no timeout timer per row with a timeout of 0.
            tEnv.getConfig().set("table.exec.async-lookup.timeout", "0 ms");
        }
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        CountersReporter.clear();
        String prefix = String.format("%-5s #%d ", job, round);
        ThreadCpuSplit split = ThreadCpuSplit.start();
        long cpuBefore = os.getProcessCpuTime();
        long start = System.nanoTime();
        tEnv.executeSql(query).await();
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
        System.out.print(split.stop(prefix + "cpu "));
        if (!job.equals("none")) {
            System.out.printf(
                    "%slookups %,d: inline hits %,d, hits %,d, batches %,d, cold reads %,d,"
                            + " failures %,d%n",
                    prefix,
                    CountersReporter.sum("lookups"),
                    CountersReporter.sum("inlineHits"),
                    CountersReporter.sum("hits"),
                    CountersReporter.sum("batches"),
                    CountersReporter.sum("coldReads"),
                    CountersReporter.sum("lookupFailures"));
        }
        System.out.printf(
                "%s%,d probes over %,d keys, parallelism %d: %.1f s, %,.0f probes/s, %,.0f probes"
                        + " per CPU-second, %.0f CPU-ns per probe%n",
                prefix,
                probes,
                keys,
                parallelism,
                seconds,
                probes / seconds,
                probes / cpuSeconds,
                cpuSeconds * 1e9 / probes);
    }
}
