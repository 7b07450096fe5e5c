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

import dev.kiln.flink.source.KilnTableReader;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SQL example: creates a Kiln table with {@code 'connector' = 'kiln'}, fills it with a bounded
 * {@code INSERT INTO}, joins a stream of orders against it with a lookup join ({@code FOR
 * SYSTEM_TIME AS OF} a processing-time attribute) and scans it; then upserts every tenth customer
 * and reads that version's changes as a stream (a bounded changelog scan, {@code 'scan.mode' =
 * 'from-version'}). Every result is checked; a wrong answer ends the run with exit status 1.
 *
 * <p>Usage: {@code KilnSqlJob [table-directory]} (default: a new temporary directory).
 */
public final class KilnSqlJob {

    private KilnSqlJob() {}

    public static void main(String[] args) throws Exception {
        Path dir =
                args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("kiln-sql-example");
        try {
            run(dir, 100);
            System.out.println("All SQL results correct.");
        } catch (IllegalStateException e) {
            System.err.println("WRONG: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Runs the statements over a table in {@code dir} with {@code keys} customers; throws if a
     * result is wrong.
     */
    public static void run(Path dir, int keys) throws Exception {
        if (keys < 4) {
            throw new IllegalArgumentException("keys must be at least 4, got " + keys);
        }
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tEnv.getConfig().set("parallelism.default", "1");
        String path = dir.resolve("customers").toUri().toString();
        tEnv.executeSql(
                "CREATE TABLE customers (id BIGINT, name STRING, tier INT,"
                        + " PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln',"
                        + " 'path' = '"
                        + path
                        + "', 'bucket' = '4')");
        tEnv.executeSql(
                "CREATE TEMPORARY TABLE ids (id BIGINT) WITH ('connector' = 'datagen',"
                        + " 'fields.id.kind' = 'sequence', 'fields.id.start' = '0',"
                        + " 'fields.id.end' = '"
                        + (keys - 1)
                        + "')");
        System.out.println("INSERT INTO customers: " + keys + " rows");
        tEnv.executeSql(
                        "INSERT INTO customers SELECT id, CONCAT('customer-', CAST(id AS STRING)),"
                                + " CAST(id % 3 AS INT) FROM ids")
                .await();

        tEnv.executeSql(
                "CREATE TEMPORARY VIEW orders AS SELECT order_id, customer_id, PROCTIME() AS proc_time"
                        + " FROM (VALUES (1, CAST(3 AS BIGINT)), (2, CAST("
                        + (keys + 5)
                        + " AS BIGINT)), (3, CAST("
                        + (keys - 1)
                        + " AS BIGINT)))"
                        + " AS o(order_id, customer_id)");
        List<Row> joined =
                collect(
                        tEnv,
                        "SELECT o.order_id, o.customer_id, c.name, c.tier FROM orders AS o"
                                + " LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c"
                                + " ON o.customer_id = c.id");
        System.out.println("Lookup join:");
        Map<Integer, Row> byOrder = new TreeMap<>();
        for (Row r : joined) {
            System.out.println("  " + r);
            byOrder.put((Integer) r.getField(0), r);
        }
        check(byOrder.size() == 3, "lookup join returned " + joined);
        checkCustomer(byOrder.get(1), 3L);
        check(byOrder.get(2).getField(2) == null, "order 2 has no customer: " + byOrder.get(2));
        checkCustomer(byOrder.get(3), keys - 1L);

        List<Row> scanned = collect(tEnv, "SELECT id, name, tier FROM customers");
        System.out.println("Scan: " + scanned.size() + " rows");
        check(scanned.size() == keys, "scan returned " + scanned.size() + " rows, wrote " + keys);
        for (Row r : scanned) {
            long id = (Long) r.getField(0);
            check(
                    ("customer-" + id).equals(r.getField(1))
                            && Integer.valueOf((int) (id % 3)).equals(r.getField(2)),
                    "scan row " + r);
        }

        // A streaming read: the changes of one version, as an upsert changelog. Bounded here
        // ('scan.bounded'); without it the query follows every later version until cancelled.
        long before;
        try (KilnTableReader table =
                KilnTableReader.open(new org.apache.flink.core.fs.Path(path))) {
            before = table.latest().number();
        }
        tEnv.executeSql(
                        "INSERT INTO customers SELECT id, CONCAT('vip-', CAST(id AS STRING)), 9"
                                + " FROM ids WHERE id % 10 = 0")
                .await();
        List<Row> changes =
                collect(
                        tEnv,
                        "SELECT id, name, tier FROM customers /*+ OPTIONS('scan.mode' ="
                                + " 'from-version', 'scan.version' = '"
                                + (before + 1)
                                + "', 'scan.bounded' = 'true') */");
        System.out.println("Changes of version " + (before + 1) + ": " + changes.size() + " rows");
        long vips = (keys + 9) / 10;
        check(changes.size() == vips, "changelog scan returned " + changes + ", upserted " + vips);
        for (Row r : changes) {
            long id = (Long) r.getField(0);
            check(
                    id % 10 == 0
                            && ("vip-" + id).equals(r.getField(1))
                            && Integer.valueOf(9).equals(r.getField(2))
                            && (r.getKind() == RowKind.INSERT
                                    || r.getKind() == RowKind.UPDATE_AFTER),
                    "changelog row " + r);
        }
    }

    private static void checkCustomer(Row r, long id) {
        check(
                r != null
                        && ("customer-" + id).equals(r.getField(2))
                        && Integer.valueOf((int) (id % 3)).equals(r.getField(3)),
                "customer " + id + " joined as " + r);
    }

    private static List<Row> collect(TableEnvironment tEnv, String sql) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = tEnv.executeSql(sql).collect()) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }
}
