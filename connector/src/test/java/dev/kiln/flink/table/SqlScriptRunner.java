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

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Runs a SQL script as the SQL client would: each statement in turn, printing the rows of each
 * query as {@code row: <row>}. Depends on Flink only: {@link SqlJarIT} runs it in a JVM whose class
 * path has Flink and the connector's self-contained jar, and nothing else of Kiln.
 */
public final class SqlScriptRunner {

    private SqlScriptRunner() {}

    public static void main(String[] args) throws Exception {
        System.out.println(
                "unshaded Arrow visible: " + visible("org.apache.arrow.memory.RootAllocator"));
        System.out.println(
                "unshaded Caffeine visible: "
                        + visible("com.github.benmanes.caffeine.cache.Caffeine"));
        TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        sql.getConfig().set("parallelism.default", "2");
        for (String statement : Files.readString(Path.of(args[0])).split(";")) {
            if (statement.isBlank()) {
                continue;
            }
            TableResult result = sql.executeSql(statement);
            String verb = statement.strip().toUpperCase(Locale.ROOT);
            if (verb.startsWith("SELECT")) {
                try (CloseableIterator<Row> rows = result.collect()) {
                    rows.forEachRemaining(row -> System.out.println("row: " + row));
                }
            } else if (verb.startsWith("INSERT")) {
                result.await();
            }
            System.out.println("done: " + verb.split("\\s+")[0]);
        }
    }

    private static boolean visible(String className) {
        try {
            Class.forName(className, false, SqlScriptRunner.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
