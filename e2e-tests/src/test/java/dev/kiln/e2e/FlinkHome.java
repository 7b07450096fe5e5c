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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One cluster's Flink installation, laid out as Flink's binary distribution: {@code lib/} (links to
 * the jars the build assembled under {@code target/flink-2.3.0/lib}, plus the jars the scenario
 * adds, such as Kiln's {@code sql} jar), {@code opt/}, {@code conf/} (written per cluster), {@code
 * log/}, and the directories of its data ({@code checkpoints/}, {@code savepoints/}, {@code
 * tables/}).
 */
final class FlinkHome {

    /**
     * The JVM options of Flink 2.x's default {@code config.yaml} ({@code env.java.opts.all}), which
     * its scripts pass to every Flink process on JDK 17.
     */
    static final List<String> JAVA_OPTS =
            List.of(
                    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
                    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.net=ALL-UNNAMED",
                    "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                    "--add-opens=java.base/java.text=ALL-UNNAMED",
                    "--add-opens=java.base/java.time=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final Path dir;

    private FlinkHome(Path dir) {
        this.dir = dir;
    }

    /** The distribution the build assembled ({@code -Dkiln.e2e.flink.dist}). */
    static Path distribution() {
        Path dist = Path.of(System.getProperty("kiln.e2e.flink.dist", "target/flink-2.3.0"));
        if (!Files.isDirectory(dist.resolve("lib"))) {
            throw new IllegalStateException(
                    "No Flink distribution at " + dist + ": run through Maven (mvn verify)");
        }
        return dist;
    }

    /**
     * Lays out a home in {@code dir}: {@code lib/} links to the distribution's jars and {@code
     * extraLib}, {@code opt/} to its optional jars, and {@code conf/} with {@code config} and the
     * log configurations.
     */
    static FlinkHome create(Path dir, List<Path> extraLib, Map<String, String> config)
            throws IOException {
        Path dist = distribution().toAbsolutePath();
        for (String sub : List.of("lib", "opt", "conf", "log", "checkpoints", "savepoints")) {
            Files.createDirectories(dir.resolve(sub));
        }
        for (String sub : List.of("lib", "opt")) {
            for (Path jar : jars(dist.resolve(sub))) {
                Files.createSymbolicLink(dir.resolve(sub).resolve(jar.getFileName()), jar);
            }
        }
        for (Path jar : extraLib) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("No jar at " + jar + ": package it first");
            }
            Files.copy(jar, dir.resolve("lib").resolve(jar.getFileName()));
        }
        FlinkHome home = new FlinkHome(dir);
        FlinkConf.write(home.conf(), config);
        return home;
    }

    Path dir() {
        return dir;
    }

    Path conf() {
        return dir.resolve("conf");
    }

    Path lib() {
        return dir.resolve("lib");
    }

    Path logs() {
        return dir.resolve("log");
    }

    /** The class path of Flink's processes: every jar of lib/, sorted (as Flink's config.sh). */
    List<Path> classPath() throws IOException {
        return jars(lib());
    }

    /** The jar of opt/ whose name starts with {@code prefix}. */
    Path optJar(String prefix) throws IOException {
        return jars(dir.resolve("opt")).stream()
                .filter(j -> j.getFileName().toString().startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("No " + prefix + " in opt/"));
    }

    /** Options for a Flink process: Flink's JVM options and its log file in log/. */
    List<String> logAndJavaOptions(String logName, String log4jConfig) {
        List<String> options = new ArrayList<>(JAVA_OPTS);
        options.add("-Dlog.file=" + logs().resolve(logName + ".log").toAbsolutePath());
        String log4j = "file:" + conf().resolve(log4jConfig).toAbsolutePath();
        options.add("-Dlog4j.configuration=" + log4j);
        options.add("-Dlog4j.configurationFile=" + log4j);
        return options;
    }

    private static List<Path> jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }
}
