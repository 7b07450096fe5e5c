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

package dev.kiln.flink.table;

import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code 'kiln'} connector as a SQL user meets it: scripts of DDL and queries on a {@code
 * TableEnvironment} over one shared MiniCluster, with bounded inputs.
 */
class KilnSqlITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(smallTaskOffHeap())
                            .build());

    /** The TaskManager's task off-heap memory: less than one table's default cache bound. */
    private static final String TASK_OFF_HEAP = "64 mb";

    private static final TypeInformation<Row> CUSTOMER =
            Types.ROW_NAMED(
                    new String[] {"id", "name", "tier", "updated"},
                    Types.LONG,
                    Types.STRING,
                    Types.INT,
                    Types.LOCAL_DATE_TIME);

    @TempDir Path dir;

    private StreamExecutionEnvironment env;
    private StreamTableEnvironment sql;

    @BeforeEach
    void environment() {
        env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        sql = StreamTableEnvironment.create(env);
    }

    @Test
    void upsertsAndDeletesThenScansTheLatestVersion() throws Exception {
        createCustomers("customers", "'bucket' = '4'");
        insertChanges(
                "customers",
                customer(RowKind.INSERT, 1, "ann", 1),
                customer(RowKind.INSERT, 2, "bob", 1),
                customer(RowKind.INSERT, 3, "cid", 2),
                customer(RowKind.INSERT, 4, "dan", 2),
                customer(RowKind.INSERT, 5, "eve", 3),
                customer(RowKind.INSERT, 6, "fay", 3));
        // A second job, so the changes below land in newer generations than the rows they change.
        insertChanges(
                "customers",
                customer(RowKind.UPDATE_BEFORE, 2, "bob", 1),
                customer(RowKind.UPDATE_AFTER, 2, "bob", 9),
                customer(RowKind.DELETE, 3, "cid", 2),
                customer(RowKind.DELETE, 5, "eve", 3),
                customer(RowKind.INSERT, 7, "gus", 1),
                customer(RowKind.UPDATE_BEFORE, 7, "gus", 1),
                customer(RowKind.UPDATE_AFTER, 7, "gus", 2),
                customer(RowKind.DELETE, 8, "hal", 1));

        assertThat(
                        KilnTable.open(new org.apache.flink.core.fs.Path(tablePath("customers")))
                                .latestManifest()
                                .generations()
                                .size())
                .as("both jobs committed generations")
                .isGreaterThan(1);
        List<Row> rows = query("SELECT * FROM customers");
        assertThat(rows)
                .containsExactly(
                        Row.of(1L, "ann", 1, updated(1)),
                        Row.of(2L, "bob", 9, updated(2)),
                        Row.of(4L, "dan", 2, updated(4)),
                        Row.of(6L, "fay", 3, updated(6)),
                        Row.of(7L, "gus", 2, updated(7)));

        assertThat(query("SELECT id, tier FROM customers WHERE tier < 3"))
                .containsExactly(Row.of(1L, 1), Row.of(4L, 2), Row.of(7L, 2));
        assertThat(query("SELECT name FROM customers"))
                .containsExactly(
                        Row.of("ann"), Row.of("bob"), Row.of("dan"), Row.of("fay"), Row.of("gus"));
        assertThat(sql.explainSql("SELECT tier, name FROM customers"))
                .as("projection pushed down")
                .contains("project=[tier, name]");
    }

    /**
     * A changelog scan as a SQL user reads it: bounded ({@code 'scan.bounded'}, from a version, set
     * by a hint) it shows every change of the versions written; unbounded ({@code 'scan.mode' =
     * 'latest-full'} in the DDL) it shows the snapshot, then the upserts and deletes an {@code
     * INSERT INTO} commits while it runs, until cancelled.
     */
    @Test
    void aChangelogScanShowsTheUpsertsAndDeletesOfTheVersionsWritten() throws Exception {
        createCustomers("customers", "'bucket' = '2'");
        createCustomers(
                "customer_changes",
                "'scan.mode' = 'latest-full', 'scan.poll-interval' = '50 ms'",
                tablePath("customers"));
        insertChanges(
                "customers",
                customer(RowKind.INSERT, 1, "ann", 1),
                customer(RowKind.INSERT, 2, "bob", 1),
                customer(RowKind.INSERT, 3, "cid", 2));

        try (CloseableIterator<Row> changes =
                sql.executeSql("SELECT id, name, tier FROM customer_changes").collect()) {
            assertThat(take(changes, 3))
                    .as("the full snapshot of the version latest at start")
                    .containsExactlyInAnyOrder(
                            Row.ofKind(RowKind.INSERT, 1L, "ann", 1),
                            Row.ofKind(RowKind.INSERT, 2L, "bob", 1),
                            Row.ofKind(RowKind.INSERT, 3L, "cid", 2));
            insertChanges(
                    "customers",
                    customer(RowKind.UPDATE_BEFORE, 2, "bob", 1),
                    customer(RowKind.UPDATE_AFTER, 2, "bob", 9),
                    customer(RowKind.DELETE, 3, "cid", 2),
                    customer(RowKind.INSERT, 4, "dan", 2),
                    customer(RowKind.DELETE, 5, "eve", 3));
            assertThat(take(changes, 4))
                    .as("the changes of the version written since, as the planner normalises them")
                    .containsExactlyInAnyOrder(
                            Row.ofKind(RowKind.UPDATE_BEFORE, 2L, "bob", 1),
                            Row.ofKind(RowKind.UPDATE_AFTER, 2L, "bob", 9),
                            Row.ofKind(RowKind.DELETE, 3L, "cid", 2),
                            Row.ofKind(RowKind.INSERT, 4L, "dan", 2));
        }

        List<Row> all = new ArrayList<>();
        try (CloseableIterator<Row> changes =
                sql.executeSql(
                                "SELECT id, name, tier FROM customers /*+ OPTIONS('scan.mode' ="
                                        + " 'from-version', 'scan.version' = '1', 'scan.bounded' ="
                                        + " 'true') */")
                        .collect()) {
            changes.forEachRemaining(all::add);
        }
        assertThat(all)
                .as("a bounded changelog scan of versions 1 and 2")
                .containsExactlyInAnyOrder(
                        Row.ofKind(RowKind.INSERT, 1L, "ann", 1),
                        Row.ofKind(RowKind.INSERT, 2L, "bob", 1),
                        Row.ofKind(RowKind.INSERT, 3L, "cid", 2),
                        Row.ofKind(RowKind.UPDATE_BEFORE, 2L, "bob", 1),
                        Row.ofKind(RowKind.UPDATE_AFTER, 2L, "bob", 9),
                        Row.ofKind(RowKind.DELETE, 3L, "cid", 2),
                        Row.ofKind(RowKind.INSERT, 4L, "dan", 2));
        assertThat(all.indexOf(Row.ofKind(RowKind.INSERT, 2L, "bob", 1)))
                .as("a key's changes in version order")
                .isLessThan(all.indexOf(Row.ofKind(RowKind.UPDATE_AFTER, 2L, "bob", 9)));

        assertPlanningFailsWithValidation(
                "SELECT * FROM customers /*+ OPTIONS('scan.mode' = 'from-version') */",
                "Invalid value for option 'scan.version' of the 'kiln' connector: must be set"
                        + " when 'scan.mode' = 'from-version'");
    }

    /** The next {@code n} rows of an unbounded query, failing after a minute without them. */
    private static List<Row> take(CloseableIterator<Row> rows, int n) throws Exception {
        java.util.concurrent.ExecutorService reader =
                java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            return reader.submit(
                            () -> {
                                List<Row> taken = new ArrayList<>();
                                while (taken.size() < n && rows.hasNext()) {
                                    taken.add(rows.next());
                                }
                                return taken;
                            })
                    .get(1, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void everyScalarTypeRoundTrips() throws Exception {
        sql.executeSql(
                "CREATE TABLE all_types ("
                        + " k INT, b BOOLEAN, ti TINYINT, si SMALLINT, bi BIGINT, f FLOAT,"
                        + " d DOUBLE, dc DECIMAL(20, 4), c CHAR(3), vc VARCHAR(10), s STRING,"
                        + " bin BINARY(2), vb VARBINARY(5), bys BYTES, dt DATE, t TIME,"
                        + " ts3 TIMESTAMP(3), ts6 TIMESTAMP(6), ts9 TIMESTAMP(9),"
                        + " ltz TIMESTAMP_LTZ(3), ltz9 TIMESTAMP_LTZ(9),"
                        + " PRIMARY KEY (k) NOT ENFORCED"
                        + ") WITH ('connector' = 'kiln', 'path' = '"
                        + tablePath("all_types")
                        + "')");
        sql.executeSql(
                        "INSERT INTO all_types VALUES (1, TRUE, CAST(-8 AS TINYINT),"
                                + " CAST(-1600 AS SMALLINT), -9000000000, CAST(1.5 AS FLOAT),"
                                + " -2.25, CAST('1234567890123456.7891' AS DECIMAL(20, 4)),"
                                + " 'abc', 'vé', 'a string', X'0102', X'0A0B0C', X'FF00',"
                                + " DATE '2026-11-23', TIME '12:34:56',"
                                + " TIMESTAMP '2026-11-23 12:34:56.789',"
                                + " TIMESTAMP '2026-11-23 12:34:56.123456',"
                                + " TIMESTAMP '2262-04-11 23:47:16.854775807',"
                                + " TO_TIMESTAMP_LTZ(1795437296789, 3),"
                                + " CAST(TO_TIMESTAMP_LTZ(1795437296789, 3) AS TIMESTAMP_LTZ(9))),"
                                + " (2, CAST(NULL AS BOOLEAN), CAST(NULL AS TINYINT),"
                                + " CAST(NULL AS SMALLINT), CAST(NULL AS BIGINT),"
                                + " CAST(NULL AS FLOAT), CAST(NULL AS DOUBLE),"
                                + " CAST(NULL AS DECIMAL(20, 4)), CAST(NULL AS CHAR(3)),"
                                + " CAST(NULL AS VARCHAR(10)), CAST(NULL AS STRING),"
                                + " CAST(NULL AS BINARY(2)), CAST(NULL AS VARBINARY(5)),"
                                + " CAST(NULL AS BYTES), CAST(NULL AS DATE), CAST(NULL AS TIME),"
                                + " CAST(NULL AS TIMESTAMP(3)), CAST(NULL AS TIMESTAMP(6)),"
                                + " CAST(NULL AS TIMESTAMP(9)), CAST(NULL AS TIMESTAMP_LTZ(3)),"
                                + " CAST(NULL AS TIMESTAMP_LTZ(9)))")
                .await();

        List<Row> rows = query("SELECT * FROM all_types");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0))
                .isEqualTo(
                        Row.of(
                                1,
                                true,
                                (byte) -8,
                                (short) -1600,
                                -9_000_000_000L,
                                1.5f,
                                -2.25d,
                                new BigDecimal("1234567890123456.7891"),
                                "abc",
                                "vé",
                                "a string",
                                new byte[] {1, 2},
                                new byte[] {10, 11, 12},
                                new byte[] {(byte) 0xFF, 0},
                                LocalDate.of(2026, 11, 23),
                                LocalTime.of(12, 34, 56),
                                LocalDateTime.of(2026, 11, 23, 12, 34, 56, 789_000_000),
                                LocalDateTime.of(2026, 11, 23, 12, 34, 56, 123_456_000),
                                LocalDateTime.of(2262, 4, 11, 23, 47, 16, 854_775_807),
                                Instant.ofEpochMilli(1795437296789L),
                                Instant.ofEpochMilli(1795437296789L)));
        Row nulls = new Row(21);
        nulls.setField(0, 2);
        assertThat(rows.get(1)).isEqualTo(nulls);
    }

    @Test
    void badOptionsFailNamingTheOption() {
        assertBadTable("'pth' = 'x'", "Unsupported options found for 'kiln'", "pth");
        assertBadTable("'bucket' = 'many'", "Could not parse value 'many' for key 'bucket'");
        assertBadTable(
                "'bucket' = '0'",
                "Invalid value for option 'bucket' of the 'kiln' connector: must be positive,"
                        + " but was 0");
        assertBadTable(
                "'write.filter-fpp' = '1.5'",
                "Invalid value for option 'write.filter-fpp' of the 'kiln' connector: must be in"
                        + " (0, 1), but was 1.5");
        assertBadTable(
                "'warm.deadline' = '0 s'",
                "Invalid value for option 'warm.deadline' of the 'kiln' connector: must be"
                        + " positive");
        assertBadTable(
                "'sink.memtable-size' = 'lots'",
                "Could not parse value 'lots' for key 'sink.memtable-size'");
        assertBadTable(
                "'sink.parallelism' = '-1'",
                "Invalid value for option 'sink.parallelism' of the 'kiln' connector");
        assertBadTable(
                "'warm.concurrency' = '0'",
                "Invalid value for option 'warm.concurrency' of the 'kiln' connector");
        assertBadTable(
                "'cache.page-bytes' = '0 b'",
                "Invalid value for option 'cache.page-bytes' of the 'kiln' connector");

        assertBadTable(
                "'lookup.async' = 'maybe'", "Could not parse value 'maybe' for key 'lookup.async'");
        assertBadTable(
                "'lookup.batch.max-size' = '0'",
                "Invalid value for option 'lookup.batch.max-size' of the 'kiln' connector: must be"
                        + " positive, but was 0");
        assertBadTable(
                "'lookup.poll-interval' = '0 ms'",
                "Invalid value for option 'lookup.poll-interval' of the 'kiln' connector: must be"
                        + " positive, but was 0 ms");

        sql.executeSql(
                "CREATE TABLE no_path (id BIGINT, PRIMARY KEY (id) NOT ENFORCED)"
                        + " WITH ('connector' = 'kiln')");
        assertPlanningFails(
                "INSERT INTO no_path VALUES (1)", "Missing required options are:", "path");
    }

    @Test
    void badDeclarationsFailNamingTheDifference() throws Exception {
        sql.executeSql(
                "CREATE TABLE no_key (id BIGINT, name STRING) WITH ('connector' = 'kiln',"
                        + " 'path' = '"
                        + tablePath("no_key")
                        + "')");
        assertPlanningFails(
                "INSERT INTO no_key VALUES (1, 'a')",
                "Table default_catalog.default_database.no_key of the 'kiln' connector needs a"
                        + " primary key");

        sql.executeSql(
                "CREATE TABLE nested (id BIGINT, tags ARRAY<STRING>, PRIMARY KEY (id) NOT"
                        + " ENFORCED) WITH ('connector' = 'kiln', 'path' = '"
                        + tablePath("nested")
                        + "')");
        assertPlanningFails(
                "INSERT INTO nested VALUES (1, ARRAY['a'])",
                "column 'tags' has type ARRAY<STRING>, which a Kiln table cannot store");

        assertPlanningFails(
                "SELECT * FROM nested",
                "column 'tags' has type ARRAY<STRING>, which a Kiln table cannot store");

        for (String type : new String[] {"DOUBLE", "FLOAT"}) {
            String table = "key_" + type;
            sql.executeSql(
                    "CREATE TABLE "
                            + table
                            + " (k "
                            + type
                            + ", v INT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'kiln',"
                            + " 'path' = '"
                            + tablePath(table)
                            + "')");
            String expected =
                    "Table default_catalog.default_database."
                            + table
                            + ": primary key column 'k' has type "
                            + type
                            + " NOT NULL, which cannot be a key of a Kiln table";
            assertPlanningFailsWithValidation(
                    "INSERT INTO " + table + " VALUES (1.5, 1)", expected);
            assertPlanningFailsWithValidation("SELECT * FROM " + table, expected);
        }

        createCustomers("customers", "'bucket' = '4'");
        insertChanges("customers", customer(RowKind.INSERT, 1, "ann", 1));
        String path = tablePath("customers");

        sql.executeSql(
                "CREATE TABLE other_type (id BIGINT, name INT, tier INT, updated TIMESTAMP(3),"
                        + " PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln', 'path' = '"
                        + path
                        + "')");
        String mismatch = "does not match the Kiln table at " + shown(path) + ": ";
        assertPlanningFails(
                "SELECT * FROM other_type",
                mismatch + "column 'name' has type STRING in the table, but INT is declared");
        assertPlanningFails(
                "INSERT INTO other_type VALUES (1, 1, 1, TIMESTAMP '2026-01-01 00:00:00')",
                mismatch + "column 'name' has type STRING in the table, but INT is declared");

        sql.executeSql(
                "CREATE TABLE other_key (id BIGINT, name STRING, tier INT, updated TIMESTAMP(3),"
                        + " PRIMARY KEY (name) NOT ENFORCED) WITH ('connector' = 'kiln', 'path' ="
                        + " '"
                        + path
                        + "')");
        assertPlanningFails(
                "SELECT * FROM other_key",
                mismatch + "the table's primary key is [id], but [name] is declared");

        sql.executeSql(
                "CREATE TABLE fewer_columns (id BIGINT, name STRING, tier INT, PRIMARY KEY (id)"
                        + " NOT ENFORCED) WITH ('connector' = 'kiln', 'path' = '"
                        + path
                        + "')");
        assertPlanningFails(
                "SELECT * FROM fewer_columns",
                mismatch + "the table's column 'updated' is not declared");

        createCustomers("other_buckets", "'bucket' = '8'", path);
        assertPlanningFails(
                "SELECT * FROM other_buckets",
                mismatch + "the table has 4 buckets, but 'bucket' = '8' is declared");

        createCustomers("same_without_bucket", "", path);
        assertThat(query("SELECT id FROM same_without_bucket")).containsExactly(Row.of(1L));
    }

    @Test
    void lookupJoinAnswersPresentDeletedAndNeverWrittenKeys() throws Exception {
        createCustomers("customers", "'bucket' = '4', 'lookup.poll-interval' = '50 ms'");
        insertChanges(
                "customers",
                customer(RowKind.INSERT, 1, "ann", 1),
                customer(RowKind.INSERT, 2, "bob", 1),
                customer(RowKind.INSERT, 3, "cid", 2));
        insertChanges(
                "customers",
                customer(RowKind.UPDATE_BEFORE, 2, "bob", 1),
                customer(RowKind.UPDATE_AFTER, 2, "bob", 9),
                customer(RowKind.DELETE, 3, "cid", 2),
                customer(RowKind.INSERT, 7, "gus", 7));
        createOrders(1L, 2L, 3L, 7L, 99L, null, 1L);

        // Left join, asynchronous (the default): every order, with its customer or nulls.
        assertThat(
                        query(
                                "SELECT o.order_id, o.customer_id, c.name, c.tier FROM orders AS o"
                                        + " LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time"
                                        + " AS c ON o.customer_id = c.id"))
                .containsExactly(
                        Row.of(0, 1L, "ann", 1),
                        Row.of(1, 2L, "bob", 9),
                        Row.of(2, 3L, null, null),
                        Row.of(3, 7L, "gus", 7),
                        Row.of(4, 99L, null, null),
                        Row.of(5, null, null, null),
                        Row.of(6, 1L, "ann", 1));

        // Inner join, synchronous, input shuffled by bucket (the LOOKUP hint asks for it), and a
        // lookup key beyond the primary key (a constant) filters what is found.
        createCustomers("customers_sync", "'lookup.async' = 'false'", tablePath("customers"));
        String shuffled =
                "SELECT /*+ LOOKUP('table'='c', 'shuffle'='true') */ o.order_id, c.name"
                        + " FROM orders AS o JOIN customers_sync FOR SYSTEM_TIME AS OF"
                        + " o.proc_time AS c ON o.customer_id = c.id";
        assertThat(query(shuffled))
                .containsExactly(
                        Row.of(0, "ann"), Row.of(1, "bob"), Row.of(3, "gus"), Row.of(6, "ann"));
        assertThat(query(shuffled + " AND c.tier = 9")).containsExactly(Row.of(1, "bob"));
        assertThat(
                        sql.explainSql(
                                shuffled,
                                org.apache.flink.table.api.ExplainDetail.JSON_EXECUTION_PLAN))
                .as("the planner partitions the lookup input with the connector's partitioner")
                .contains("\"ship_strategy\" : \"CUSTOM\"");
    }

    @Test
    void aNewTableRecordsThePageSizeBasisAndTheCompactionLevel() throws Exception {
        createCustomers(
                "customers",
                "'bucket' = '2', 'write.page-size.basis' = 'stored',"
                        + " 'write.compression.compaction-level' = '19',"
                        + " 'write.filter-fpp.bottommost' = '0.5'");
        insertChanges(
                "customers",
                customer(RowKind.INSERT, 1, "ann", 1),
                customer(RowKind.INSERT, 2, "bob", 1));
        dev.kiln.table.TableOptions options =
                KilnTable.open(new org.apache.flink.core.fs.Path(tablePath("customers"))).options();
        assertThat(options.pageSizeBasis())
                .isEqualTo(dev.kiln.table.TableOptions.PageSizeBasis.STORED);
        assertThat(options.compactionCompression())
                .isEqualTo(dev.kiln.format.PageCompression.zstd(19));
        assertThat(options.bottommostFilterFalsePositiveRate()).isEqualTo(0.5);
        assertThat(query("SELECT id, name FROM customers"))
                .containsExactlyInAnyOrder(Row.of(1L, "ann"), Row.of(2L, "bob"));
    }

    @Test
    void aTableNobodyWroteYetPlansAndScansEmpty() throws Exception {
        createCustomers("later", "'bucket' = '4'");
        String path = tablePath("later");

        assertThat(sql.explainSql("SELECT * FROM later"))
                .contains("TableSourceScan(table=[[default_catalog, default_database, later]]");
        assertThat(query("SELECT * FROM later")).as("a bounded scan of no table").isEmpty();
        createOrders(1L);
        assertThat(
                        sql.explainSql(
                                "SELECT /*+ LOOKUP('table'='c', 'shuffle'='true') */ o.order_id,"
                                        + " c.name FROM orders AS o JOIN later FOR SYSTEM_TIME AS"
                                        + " OF o.proc_time AS c ON o.customer_id = c.id",
                                org.apache.flink.table.api.ExplainDetail.JSON_EXECUTION_PLAN))
                .as("the lookup input partitioned by the declared bucket count")
                .contains("\"ship_strategy\" : \"CUSTOM\"");
        String lookupJoin =
                "SELECT /*+ LOOKUP('table'='c', 'shuffle'='true') */ o.order_id, c.name FROM"
                        + " orders AS o LEFT JOIN later FOR SYSTEM_TIME AS OF o.proc_time AS c"
                        + " ON o.customer_id = c.id";
        assertThat(query(lookupJoin))
                .as("a lookup join run before the table exists answers absent")
                .containsExactly(Row.of(0, null));
        assertThat(Files.exists(dir.resolve("later"))).as("reading created nothing").isFalse();

        insertChanges("later", customer(RowKind.INSERT, 1, "ann", 1));
        assertThat(KilnTable.open(new org.apache.flink.core.fs.Path(path)).options().bucketCount())
                .isEqualTo(4);
        assertThat(query("SELECT id, name FROM later")).containsExactly(Row.of(1L, "ann"));
        assertThat(query(lookupJoin)).containsExactly(Row.of(0, "ann"));
    }

    /**
     * A lookup join's equality on a column beyond the primary key has SQL's meaning for every type:
     * for each probe, the lookup join must find the row exactly when Flink itself evaluates {@code
     * p.x = c.x} as true on the key's row ({@code -0.0 = 0.0}, {@code NaN <> NaN}, {@code NULL}
     * equals nothing, DECIMALs by value, strings, binary strings, timestamps by content).
     */
    @Test
    void lookupJoinEqualityBeyondTheKeyIsSqlEquality() throws Exception {
        LocalDateTime t0 = LocalDateTime.of(2026, 1, 1, 0, 0);
        Object[][] values = {
            {Float.NaN, -0.0f, 0.0f, 1.5f, null},
            {Double.NaN, -0.0d, 0.0d, 1.5d, null},
            {
                new BigDecimal("1.5"),
                new BigDecimal("1.5000"),
                new BigDecimal("-0.0"),
                BigDecimal.ZERO,
                null
            },
            {"a", "", "é", "A", null},
            {new byte[] {1, 2}, new byte[] {1, 2, 0}, new byte[0], null},
            {t0, t0.plusNanos(1_000), t0.plusNanos(1_000), null},
            {1L, -1L, null},
            {true, false, null}
        };
        String[] columns = {"f", "d", "dc", "s", "b", "ts", "bi", "bo"};
        String[] types = {
            "FLOAT",
            "DOUBLE",
            "DECIMAL(10, 4)",
            "STRING",
            "BYTES",
            "TIMESTAMP(6)",
            "BIGINT",
            "BOOLEAN"
        };
        TypeInformation<?>[] infos = {
            Types.FLOAT,
            Types.DOUBLE,
            Types.BIG_DEC,
            Types.STRING,
            Types.PRIMITIVE_ARRAY(Types.BYTE),
            Types.LOCAL_DATE_TIME,
            Types.LONG,
            Types.BOOLEAN
        };
        int rowCount = 5;

        // Row i of the table holds the i-th value of each column (or NULL past its values).
        List<Row> stored = new ArrayList<>();
        for (int i = 0; i < rowCount; i++) {
            Row row = new Row(columns.length + 1);
            row.setField(0, i);
            for (int c = 0; c < columns.length; c++) {
                row.setField(c + 1, i < values[c].length ? values[c][i] : null);
            }
            stored.add(row);
        }
        // A probe per column, row and value: that value in its column, NULL in the others.
        List<Row> probes = new ArrayList<>();
        int[] probeColumn = new int[columns.length * rowCount * rowCount];
        for (int c = 0; c < columns.length; c++) {
            for (int i = 0; i < rowCount; i++) {
                for (Object value : values[c]) {
                    Row probe = new Row(columns.length + 2);
                    probe.setField(0, probes.size());
                    probe.setField(1, i);
                    probe.setField(c + 2, value);
                    probeColumn[probes.size()] = c;
                    probes.add(probe);
                }
            }
        }

        StringBuilder ddl = new StringBuilder("CREATE TABLE typed (id INT");
        org.apache.flink.table.api.Schema.Builder storedSchema =
                org.apache.flink.table.api.Schema.newBuilder().column("id", "INT NOT NULL");
        org.apache.flink.table.api.Schema.Builder probeSchema =
                org.apache.flink.table.api.Schema.newBuilder()
                        .column("pid", "INT")
                        .column("id", "INT");
        for (int c = 0; c < columns.length; c++) {
            ddl.append(", ").append(columns[c]).append(' ').append(types[c]);
            storedSchema.column(columns[c], types[c]);
            probeSchema.column(columns[c], types[c]);
        }
        sql.executeSql(
                ddl.append(
                                ", PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln', 'path' = '")
                        .append(tablePath("typed"))
                        .append("', 'bucket' = '2')")
                        .toString());
        String[] storedNames = new String[columns.length + 1];
        TypeInformation<?>[] storedInfos = new TypeInformation<?>[columns.length + 1];
        storedNames[0] = "id";
        storedInfos[0] = Types.INT;
        String[] probeNames = new String[columns.length + 2];
        TypeInformation<?>[] probeInfos = new TypeInformation<?>[columns.length + 2];
        probeNames[0] = "pid";
        probeInfos[0] = Types.INT;
        probeNames[1] = "id";
        probeInfos[1] = Types.INT;
        for (int c = 0; c < columns.length; c++) {
            storedNames[c + 1] = columns[c];
            storedInfos[c + 1] = infos[c];
            probeNames[c + 2] = columns[c];
            probeInfos[c + 2] = infos[c];
        }
        sql.fromDataStream(
                        env.fromData(stored, Types.ROW_NAMED(storedNames, storedInfos)),
                        storedSchema.build())
                .executeInsert("typed")
                .await();
        sql.createTemporaryView(
                "probes",
                sql.fromDataStream(
                        env.fromData(probes, Types.ROW_NAMED(probeNames, probeInfos)),
                        probeSchema.columnByExpression("proc_time", "PROCTIME()").build()));

        // Flink's own evaluation of p.x = c.x on the key's row: a regular join on the key.
        StringBuilder comparisons = new StringBuilder("SELECT p.pid");
        for (String column : columns) {
            comparisons.append(", p.").append(column).append(" = c.").append(column);
        }
        List<Row> evaluated =
                query(
                        comparisons
                                .append(" FROM probes AS p JOIN typed AS c ON p.id = c.id")
                                .toString());
        assertThat(evaluated).hasSize(probes.size());

        for (int c = 0; c < columns.length; c++) {
            List<Integer> expected = new ArrayList<>();
            for (Row row : evaluated) {
                int pid = (Integer) row.getField(0);
                if (probeColumn[pid] == c && Boolean.TRUE.equals(row.getField(c + 1))) {
                    expected.add(pid);
                }
            }
            List<Integer> joined = new ArrayList<>();
            for (Row row :
                    query(
                            "SELECT p.pid FROM probes AS p JOIN typed FOR SYSTEM_TIME AS OF"
                                    + " p.proc_time AS c ON p.id = c.id AND p."
                                    + columns[c]
                                    + " = c."
                                    + columns[c])) {
                joined.add((Integer) row.getField(0));
            }
            assertThat(joined).as("lookup join on %s", types[c]).isEqualTo(expected);
            if (columns[c].equals("d")) {
                // Row 1 holds -0.0: the probes 0..4 of row 1 hold NaN, -0.0, 0.0, 1.5, NULL.
                int first = probeIndex(probeColumn, c) + values[c].length;
                assertThat(expected)
                        .as("Flink's -0.0 = 0.0, NaN <> NaN, NULL <> NULL")
                        .contains(first + 1, first + 2)
                        .doesNotContain(first + 4, first - values[c].length);
            }
        }
    }

    private static int probeIndex(int[] probeColumn, int column) {
        int i = 0;
        while (probeColumn[i] != column) {
            i++;
        }
        return i;
    }

    @Test
    void aLookupJoinMustUseTheWholePrimaryKey() throws Exception {
        createCustomers("customers", "");
        insertChanges("customers", customer(RowKind.INSERT, 1, "ann", 1));
        createOrders(1L);
        assertPlanningFails(
                "SELECT o.order_id, c.name FROM orders AS o JOIN customers FOR SYSTEM_TIME AS OF"
                        + " o.proc_time AS c ON o.order_id = c.tier",
                "Table default_catalog.default_database.customers: a lookup join on a 'kiln'"
                        + " table must look up its whole primary key [id], but it looks up"
                        + " [tier]");
    }

    /**
     * The TaskManager declares 64 mb of task off-heap memory, less than a default cache (256 mb):
     * with {@code 'cache.memory-check' = 'FAIL'} the job fails at the open of the sink's warm step
     * or of the lookup function (synchronous and asynchronous: Flink wraps their contexts
     * differently), naming both settings; a cache within the budget runs.
     */
    @Test
    void aCacheBoundOverTheTaskManagersTaskOffHeapFailsTheJobWithFail() throws Exception {
        createCustomers("customers", "'bucket' = '4'");
        insertChanges("customers", customer(RowKind.INSERT, 1, "ann", 1)); // WARN: runs
        createOrders(1L);

        createCustomers("failing_sink", "'cache.memory-check' = 'FAIL'", tablePath("customers"));
        assertFailsOverBudget(
                () -> insertChanges("failing_sink", customer(RowKind.INSERT, 2, "bob", 1)));
        for (String async : List.of("true", "false")) {
            String name = "failing_lookup_" + async;
            createCustomers(
                    name,
                    "'cache.memory-check' = 'FAIL', 'lookup.async' = '" + async + "'",
                    tablePath("customers"));
            assertFailsOverBudget(
                    () ->
                            query(
                                    "SELECT o.order_id, c.name FROM orders AS o JOIN "
                                            + name
                                            + " FOR SYSTEM_TIME AS OF o.proc_time AS c"
                                            + " ON o.customer_id = c.id"));
        }

        createCustomers(
                "fitting",
                "'cache.memory-check' = 'FAIL', 'cache.page-bytes' = '32 mb'",
                tablePath("customers"));
        assertThat(
                        query(
                                "SELECT o.order_id, c.name FROM orders AS o JOIN fitting FOR"
                                        + " SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id"
                                        + " = c.id"))
                .containsExactly(Row.of(0, "ann"));
    }

    private static void assertFailsOverBudget(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable job) {
        assertThatThrownBy(job)
                .satisfies(
                        e ->
                                assertThat(
                                                org.apache.flink.util.ExceptionUtils
                                                        .stringifyException(e))
                                        .contains(
                                                "IllegalConfigurationException: Kiln's page caches")
                                        .contains("cache.page-bytes = 256 mb")
                                        .contains(
                                                "taskmanager.memory.task.off-heap.size = "
                                                        + TASK_OFF_HEAP)
                                        .contains("cache.memory-check = FAIL"));
    }

    private static org.apache.flink.configuration.Configuration smallTaskOffHeap() {
        org.apache.flink.configuration.Configuration config =
                new org.apache.flink.configuration.Configuration();
        config.set(
                org.apache.flink.configuration.TaskManagerOptions.TASK_OFF_HEAP_MEMORY,
                org.apache.flink.configuration.MemorySize.parse(TASK_OFF_HEAP));
        return config;
    }

    // ------------------------------------------------------------------------------------------

    private void createOrders(Long... customerIds) {
        List<Row> orders = new ArrayList<>();
        for (int i = 0; i < customerIds.length; i++) {
            orders.add(Row.of(i, customerIds[i]));
        }
        sql.createTemporaryView(
                "orders",
                sql.fromDataStream(
                        env.fromData(
                                orders,
                                Types.ROW_NAMED(
                                        new String[] {"order_id", "customer_id"},
                                        Types.INT,
                                        Types.LONG)),
                        org.apache.flink.table.api.Schema.newBuilder()
                                .columnByExpression("proc_time", "PROCTIME()")
                                .build()));
    }

    private void createCustomers(String name, String options) {
        createCustomers(name, options, tablePath(name));
    }

    private void createCustomers(String name, String options, String path) {
        sql.executeSql(
                "CREATE TABLE "
                        + name
                        + " (id BIGINT, name STRING, tier INT, updated TIMESTAMP(3),"
                        + " PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln', 'path' = '"
                        + path
                        + "'"
                        + (options.isEmpty() ? "" : ", " + options)
                        + ")");
    }

    private String tablePath(String name) {
        return dir.resolve(name).toUri().toString();
    }

    /** How messages show a table path (as Flink's {@code Path} prints it). */
    private static String shown(String path) {
        return new org.apache.flink.core.fs.Path(path).toString();
    }

    private static Row customer(RowKind kind, long id, String name, int tier) {
        return Row.ofKind(kind, id, name, tier, updated(id));
    }

    private static LocalDateTime updated(long id) {
        return LocalDateTime.of(2026, 1, 1, 0, 0).plusMinutes(id);
    }

    private void insertChanges(String table, Row... changes) throws Exception {
        Table changelog =
                sql.fromChangelogStream(
                        env.fromData(List.of(changes), CUSTOMER).setParallelism(1),
                        org.apache.flink.table.api.Schema.newBuilder()
                                .column("id", "BIGINT NOT NULL")
                                .column("name", "STRING")
                                .column("tier", "INT")
                                .column("updated", "TIMESTAMP(3)")
                                .primaryKey("id")
                                .build(),
                        ChangelogMode.all());
        changelog.executeInsert(table).await();
    }

    /** Runs {@code query} and returns its rows, sorted by their first column. */
    private List<Row> query(String query) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = sql.executeSql(query).collect()) {
            it.forEachRemaining(rows::add);
        }
        rows.sort(Comparator.comparing(r -> ((Comparable) r.getField(0))));
        return rows;
    }

    private int badTables;

    private void assertBadTable(String options, String... expected) {
        String name = "bad" + badTables++;
        createCustomers(name, options);
        assertPlanningFails(
                "INSERT INTO "
                        + name
                        + " VALUES (CAST(1 AS BIGINT), 'a', 1, TIMESTAMP '2026-01-01 00:00:00')",
                expected);
    }

    /** Planning fails with a {@link ValidationException} (somewhere in the causes) saying it. */
    private void assertPlanningFailsWithValidation(String statement, String expected) {
        assertThatThrownBy(() -> sql.explainSql(statement))
                .satisfies(
                        e -> {
                            List<String> validations = new ArrayList<>();
                            for (Throwable t = e; t != null; t = t.getCause()) {
                                if (t instanceof ValidationException) {
                                    validations.add(t.getMessage());
                                }
                            }
                            assertThat(validations)
                                    .anySatisfy(m -> assertThat(m).contains(expected));
                        });
    }

    private void assertPlanningFails(String statement, String... expected) {
        assertThatThrownBy(() -> sql.explainSql(statement))
                .satisfies(
                        e -> {
                            StringBuilder messages = new StringBuilder();
                            for (Throwable t = e; t != null; t = t.getCause()) {
                                messages.append(t.getMessage()).append('\n');
                            }
                            assertThat(messages.toString()).contains(expected);
                        });
    }
}
