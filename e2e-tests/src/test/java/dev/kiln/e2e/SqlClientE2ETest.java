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

package dev.kiln.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 3 of issue 20: Flink's SQL client, with Kiln's {@code sql} jar in the cluster's {@code
 * lib/}, runs a script that creates a Kiln table, fills it from {@code datagen} (a bounded {@code
 * sequence}), upserts part of it, looks it up with a lookup join (with the bucket shuffle hint),
 * scans it, and reads the upsert's version as a stream (a bounded changelog scan, {@code
 * 'scan.mode' = 'from-version'}, in streaming mode) into a second Kiln table. The join's and the
 * scan's results (written as JSON files) and both tables (read with {@code KilnTableReader}) are
 * compared with what the sequences imply. On the same cluster, the example job jars run beside the
 * {@code sql} jar: {@code job} (Kiln inside) and {@code job-provided} (Kiln from lib/).
 */
class SqlClientE2ETest {

    @RegisterExtension
    static final FlinkCluster CLUSTER = FlinkCluster.builder("sql").lib(KilnJars.sqlJar()).build();

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void createInsertLookupJoinAndScanThroughTheSqlClient() throws Exception {
        int keys = KilnJars.longRun() ? 200_000 : 2_000;
        int orders = KilnJars.longRun() ? 50_000 : 500;
        int missing = 50; // customer ids keys..keys+49 are never written: the join finds nothing
        Path dir = CLUSTER.tablesDir("sql");
        Path customers = dir.resolve("customers");
        Path joined = dir.resolve("joined");
        Path scanned = dir.resolve("scanned");
        Path vips = dir.resolve("vips");
        String script =
                String.join(
                        "\n",
                        "SET 'execution.runtime-mode' = 'batch';",
                        "SET 'sql-client.execution.result-mode' = 'tableau';",
                        "SET 'table.dml-sync' = 'true';",
                        "SET 'parallelism.default' = '2';",
                        "CREATE TABLE customers (id BIGINT, name STRING, tier INT,"
                                + " PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln',"
                                + " 'path' = '"
                                + customers.toUri()
                                + "', 'bucket' = '4');",
                        "CREATE TEMPORARY TABLE ids (id BIGINT) WITH ('connector' = 'datagen',"
                                + " 'number-of-rows' = '"
                                + keys
                                + "',"
                                + " 'fields.id.kind' = 'sequence', 'fields.id.start' = '0',"
                                + " 'fields.id.end' = '"
                                + (keys - 1)
                                + "');",
                        "INSERT INTO customers SELECT id, CONCAT('customer-', CAST(id AS STRING)),"
                                + " CAST(id % 3 AS INT) FROM ids;",
                        // An upsert of every tenth key: the later version wins.
                        "INSERT INTO customers SELECT id, CONCAT('vip-', CAST(id AS STRING)), 9"
                                + " FROM ids WHERE id % 10 = 0;",
                        "CREATE TEMPORARY TABLE orders (order_id BIGINT, proc_time AS PROCTIME())"
                                + " WITH ('connector' = 'datagen', 'number-of-rows' = '"
                                + orders
                                + "',"
                                + " 'fields.order_id.kind' = 'sequence',"
                                + " 'fields.order_id.start' = '0',"
                                + " 'fields.order_id.end' = '"
                                + (orders - 1)
                                + "');",
                        "CREATE TEMPORARY TABLE joined (order_id BIGINT, customer_id BIGINT,"
                                + " name STRING, tier INT) WITH ('connector' = 'filesystem',"
                                + " 'path' = '"
                                + joined.toUri()
                                + "', 'format' = 'json');",
                        "INSERT INTO joined SELECT /*+ LOOKUP('table'='c', 'shuffle'='true') */"
                                + " o.order_id, o.customer_id, c.name, c.tier FROM"
                                + " (SELECT order_id, order_id * 7 % "
                                + (keys + missing)
                                + " AS customer_id, proc_time FROM orders) AS o"
                                + " LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c"
                                + " ON o.customer_id = c.id;",
                        "CREATE TEMPORARY TABLE scanned (id BIGINT, name STRING, tier INT)"
                                + " WITH ('connector' = 'filesystem', 'path' = '"
                                + scanned.toUri()
                                + "', 'format' = 'json');",
                        "INSERT INTO scanned SELECT id, name, tier FROM customers;",
                        "SELECT COUNT(*) AS row_count, SUM(id) AS id_sum, SUM(tier) AS tier_sum"
                                + " FROM customers;",
                        // A streaming read: the changes of version 2 (the upsert), copied as an
                        // upsert changelog into another table.
                        "SET 'execution.runtime-mode' = 'streaming';",
                        "CREATE TABLE vips (id BIGINT, name STRING, tier INT,"
                                + " PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln',"
                                + " 'path' = '"
                                + vips.toUri()
                                + "', 'bucket' = '2');",
                        "INSERT INTO vips SELECT id, name, tier FROM customers /*+ OPTIONS("
                                + "'scan.mode' = 'from-version', 'scan.version' = '2',"
                                + " 'scan.bounded' = 'true') */;",
                        "");
        long start = System.nanoTime();
        String output = CLUSTER.sqlClient().runScript(script, Duration.ofMinutes(5));
        Figures.print("sql", "scriptSeconds", (System.nanoTime() - start) / 1e9, "s");

        Map<Long, String> expected = new TreeMap<>();
        long tierSum = 0;
        for (long id = 0; id < keys; id++) {
            boolean vip = id % 10 == 0;
            int tier = vip ? 9 : (int) (id % 3);
            tierSum += tier;
            expected.put(
                    id, "[" + id + ", " + (vip ? "vip-" : "customer-") + id + ", " + tier + "]");
        }

        // The bounded scan, through the SQL client.
        Map<Long, String> scan = new TreeMap<>();
        for (JsonNode row : jsonRows(scanned)) {
            long id = row.path("id").asLong();
            scan.put(
                    id,
                    "["
                            + id
                            + ", "
                            + row.path("name").asText()
                            + ", "
                            + row.path("tier").asInt()
                            + "]");
        }
        assertThat(jsonRows(scanned)).hasSize(keys);
        assertThat(scan).isEqualTo(expected);
        // The aggregate, as the user sees it in tableau mode.
        long idSum = (long) keys * (keys - 1) / 2;
        assertThat(output)
                .as(output)
                .containsPattern(
                        "\\|\\s+" + keys + " \\|\\s+" + idSum + " \\|\\s+" + tierSum + " \\|");

        // The lookup join: every order once, joined with the row of its customer if it exists.
        List<JsonNode> joins = jsonRows(joined);
        assertThat(joins).hasSize(orders);
        Map<Long, String> joinResult = new TreeMap<>();
        Map<Long, String> joinExpected = new TreeMap<>();
        for (JsonNode row : joins) {
            joinResult.put(
                    row.path("order_id").asLong(),
                    row.path("customer_id").asLong()
                            + " "
                            + text(row.path("name"))
                            + " "
                            + text(row.path("tier")));
        }
        for (long order = 0; order < orders; order++) {
            long customer = order * 7 % (keys + missing);
            String row = expected.get(customer);
            String[] fields = row == null ? null : row.substring(1, row.length() - 1).split(", ");
            joinExpected.put(
                    order,
                    customer + " " + (row == null ? "null null" : fields[1] + " " + fields[2]));
        }
        assertThat(joinResult).isEqualTo(joinExpected);

        // The table itself, read from this JVM.
        Map<Object, String> table = KilnTables.read(customers);
        assertThat(table).hasSize(keys);
        assertThat(table).isEqualTo(new TreeMap<Object, String>(expected));

        // The changelog of version 2: the upserted tenth of the keys, nothing else.
        Map<Object, String> expectedVips = new TreeMap<>();
        expected.forEach(
                (id, row) -> {
                    if (id % 10 == 0) {
                        expectedVips.put(id, row);
                    }
                });
        assertThat(KilnTables.read(vips)).isEqualTo(expectedVips);
    }

    private static String text(JsonNode node) {
        return node.isNull() || node.isMissingNode() ? "null" : node.asText();
    }

    /** The rows of the JSON files a filesystem sink wrote in {@code dir}. */
    private static List<JsonNode> jsonRows(Path dir) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files =
                    walk.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .filter(f -> !f.getFileName().toString().startsWith("_"))
                            .collect(Collectors.toList());
        }
        for (Path file : files) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    rows.add(JSON.readTree(line));
                }
            }
        }
        return rows;
    }

    @Test
    void theJobJarRunsBesideTheSqlJar() throws Exception {
        runToTheEnd(KilnJars.jobJar(), "job-beside-sql");
    }

    @Test
    void theJobProvidedJarRunsOnTheSqlJar() throws Exception {
        runToTheEnd(KilnJars.jobProvidedJar(), "job-provided-on-sql");
    }

    @Test
    void theWebUiIsServedAndTaskManagersReportJvmMetrics() throws Exception {
        assertThat(CLUSTER.rest().getText("/")).contains("<html");
        for (String tm : CLUSTER.taskManagerIds()) {
            Map<String, Double> metrics =
                    Deadline.await(
                            "JVM metrics of " + tm,
                            Duration.ofSeconds(30),
                            () -> {
                                Map<String, Double> m =
                                        CLUSTER.rest().taskManagerMetrics(tm, TM_METRICS);
                                return m.size() == TM_METRICS.size()
                                        ? java.util.Optional.of(m)
                                        : java.util.Optional.empty();
                            });
            assertThat(metrics.get("Status.JVM.Threads.Count")).isPositive();
            metrics.forEach(
                    (name, value) ->
                            Figures.print("sql-cluster", name + "[" + tm + "]", value, ""));
        }
    }

    private static final List<String> TM_METRICS =
            List.of(
                    "Status.JVM.Memory.Metaspace.Used",
                    "Status.JVM.Threads.Count",
                    "Status.JVM.ClassLoader.ClassesUnloaded",
                    "Status.JVM.Memory.Direct.MemoryUsed");

    private static void runToTheEnd(Path jar, String scenario) throws Exception {
        long records = KilnJars.longRun() ? 200_000 : 20_000;
        ExampleJob job =
                new ExampleJob(
                        jar, CLUSTER.tablesDir(scenario).resolve("table"), records, 1_000, 2_000);
        String jobId = job.run(CLUSTER.cli(), 2, null);
        JobWatch.awaitFinished(CLUSTER.rest(), jobId, scenario, Duration.ofMinutes(3));
        ExampleJob.assertNoWrongAnswers(CLUSTER.rest(), jobId);
        ExampleJob.assertSomeAnswersFound(CLUSTER.rest(), jobId);
        job.assertTableExact();
    }
}
