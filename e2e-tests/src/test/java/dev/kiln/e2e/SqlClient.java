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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Flink's SQL client ({@code bin/sql-client.sh}: {@code org.apache.flink.table.client.SqlClient})
 * in embedded mode, run as a process against a cluster with {@code -f script.sql}: class path
 * {@code lib/*} and opt/'s Python, SQL client and SQL gateway jars, as the script builds it.
 */
final class SqlClient {

    private static final AtomicInteger CALLS = new AtomicInteger();

    private final FlinkHome home;

    SqlClient(FlinkHome home) {
        this.home = home;
    }

    /**
     * Runs {@code script}; returns the client's output (what a user sees: the results in tableau
     * mode). Throws {@link AssertionError} with the output if the client exits with an error.
     */
    String runScript(String script, Duration timeout) throws IOException, InterruptedException {
        int n = CALLS.incrementAndGet();
        Path file = home.dir().resolve("script-" + n + ".sql");
        Files.writeString(file, script);
        Path clientJar = home.optJar("flink-sql-client");
        List<Path> classPath = new ArrayList<>(home.classPath());
        classPath.add(home.optJar("flink-python"));
        classPath.add(clientJar);
        classPath.add(home.optJar("flink-sql-gateway"));
        JvmProcess process =
                JvmProcess.builder("org.apache.flink.table.client.SqlClient")
                        .jvmOptions(
                                home.logAndJavaOptions("sql-client-" + n, "log4j-cli.properties"))
                        .jvmOption("-Xmx512m")
                        .classPath(classPath)
                        .arguments(List.of("--jar", clientJar.toString(), "-f", file.toString()))
                        .environment("FLINK_CONF_DIR", home.conf().toString())
                        .environment("FLINK_LIB_DIR", home.lib().toString())
                        .start("sql-client", home.logs().resolve("sql-client-" + n + ".out"));
        int exit = process.waitFor(timeout);
        String output = process.output();
        if (exit != 0 || output.contains("[ERROR]")) {
            throw new AssertionError("SQL client exited " + exit + ":\n" + output);
        }
        return output;
    }
}
