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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The self-contained SQL jar ({@code flink-connector-kiln-<version>-sql.jar}) does what a SQL
 * client user needs with nothing of Kiln but itself: a JVM with Flink's jars and that jar (no Kiln
 * classes, no Arrow, Caffeine or Jackson) runs a script that creates, writes, upserts and reads a
 * table. Runs in the {@code integration-test} phase, after the jar is built.
 */
class SqlJarIT {

    /**
     * Jars the SQL jar carries relocated, and the S3 tests' jars: kept off the child's class path.
     */
    private static final Pattern BUNDLED =
            Pattern.compile(
                    ".*/(org/apache/arrow|com/github/ben-manes/caffeine|com/fasterxml/jackson"
                            + "|com/google/flatbuffers|org/gaul|org/apache/flink/flink-s3-fs-hadoop)/.*");

    @TempDir Path dir;

    @Test
    void aScriptRunsAgainstTheJarAlonePlusFlink() throws Exception {
        Path jar = Path.of(System.getProperty("kiln.sql.jar"));
        assertThat(jar).exists();
        Path runner = dir.resolve("runner");
        Path runnerClass = runner.resolve("dev/kiln/flink/table/SqlScriptRunner.class");
        Files.createDirectories(runnerClass.getParent());
        Files.copy(
                Path.of(
                                SqlScriptRunner.class
                                        .getProtectionDomain()
                                        .getCodeSource()
                                        .getLocation()
                                        .toURI())
                        .resolve("dev/kiln/flink/table/SqlScriptRunner.class"),
                runnerClass);

        List<String> classPath = new ArrayList<>();
        classPath.add(jar.toString());
        classPath.add(runner.toString());
        String testClassPath =
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : testClassPath.split(File.pathSeparator)) {
            String path = entry.replace(File.separatorChar, '/');
            if (path.endsWith(".jar") && !BUNDLED.matcher(path).matches()) {
                classPath.add(entry);
            }
        }

        String table = dir.resolve("users").toUri().toString();
        Path script = dir.resolve("script.sql");
        Files.writeString(
                script,
                "CREATE TABLE users (id BIGINT, name STRING, score DECIMAL(10, 2),"
                        + " PRIMARY KEY (id) NOT ENFORCED)"
                        + " WITH ('connector' = 'kiln', 'path' = '"
                        + table
                        + "', 'bucket' = '2');\n"
                        + "INSERT INTO users VALUES (1, 'ann', 1.50), (2, 'bob', 2.25),"
                        + " (3, 'cid', 3.00);\n"
                        + "INSERT INTO users VALUES (2, 'bob', 9.99);\n"
                        + "SELECT * FROM users;\n");

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens"))
                .forEach(command::add);
        command.add("-Xmx1g");
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classPath));
        command.add(SqlScriptRunner.class.getName());
        command.add(script.toString());
        Path log = dir.resolve("out.log");
        Process process =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        boolean exited = process.waitFor(5, TimeUnit.MINUTES);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(exited).as(output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output)
                .contains("unshaded Arrow visible: false", "unshaded Caffeine visible: false");
        List<String> rows =
                output.lines()
                        .filter(l -> l.startsWith("row: "))
                        .sorted()
                        .collect(Collectors.toList());
        assertThat(rows)
                .as(output)
                .containsExactly(
                        "row: +I[1, ann, 1.50]", "row: +I[2, bob, 9.99]", "row: +I[3, cid, 3.00]");
    }
}
