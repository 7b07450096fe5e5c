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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The JVM options and dynamic properties Flink's memory model computes for a JobManager or
 * TaskManager process, obtained as Flink's scripts obtain them ({@code config.sh}: {@code
 * runBashJavaUtilsCmd}): {@code BashJavaUtils GET_JM_RESOURCE_PARAMS} / {@code
 * GET_TM_RESOURCE_PARAMS --configDir conf}, whose lines starting {@code
 * BASH_JAVA_UTILS_EXEC_RESULT:} are the JVM options ({@code -Xmx... -Xms...
 * -XX:MaxDirectMemorySize=... -XX:MaxMetaspaceSize=...}), then the {@code -D key=value} properties
 * that fix the computed sizes for the process.
 */
final class MemoryModel {

    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    /** The JVM options ({@code -Xmx...}). */
    final List<String> jvmOptions;

    /** The dynamic properties, as arguments ({@code -D}, {@code key=value}, ...). */
    final List<String> dynamicProperties;

    private MemoryModel(List<String> jvmOptions, List<String> dynamicProperties) {
        this.jvmOptions = jvmOptions;
        this.dynamicProperties = dynamicProperties;
    }

    static MemoryModel jobManager(FlinkHome home) throws IOException, InterruptedException {
        return compute(home, "GET_JM_RESOURCE_PARAMS");
    }

    static MemoryModel taskManager(FlinkHome home) throws IOException, InterruptedException {
        return compute(home, "GET_TM_RESOURCE_PARAMS");
    }

    private static MemoryModel compute(FlinkHome home, String command)
            throws IOException, InterruptedException {
        JvmProcess process =
                JvmProcess.builder("org.apache.flink.runtime.util.bash.BashJavaUtils")
                        .jvmOptions(FlinkHome.JAVA_OPTS)
                        .jvmOption("-Xmx128m")
                        .classPath(home.classPath())
                        .arguments(
                                List.of(
                                        command,
                                        "--configDir",
                                        home.conf().toAbsolutePath().toString()))
                        .start("BashJavaUtils " + command, home.logs().resolve(command + ".out"));
        int exit = process.waitFor(Duration.ofMinutes(1));
        String output = process.output();
        List<String> results =
                output.lines()
                        .filter(l -> l.startsWith(RESULT_PREFIX))
                        .map(l -> l.substring(RESULT_PREFIX.length()).strip())
                        .collect(Collectors.toList());
        if (exit != 0 || results.isEmpty()) {
            throw new IllegalStateException(
                    "BashJavaUtils " + command + " failed (exit " + exit + "):\n" + output);
        }
        List<String> dynamic = new ArrayList<>();
        if (results.size() > 1) {
            dynamic.addAll(words(results.get(1)));
        }
        return new MemoryModel(words(results.get(0)), dynamic);
    }

    private static List<String> words(String line) {
        return line.isBlank()
                ? List.of()
                : Arrays.stream(line.strip().split("\\s+")).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return jvmOptions + " " + dynamicProperties;
    }
}
