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

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Java program run as a separate process with the test JVM's {@code java}, as Flink's scripts run
 * theirs: JVM options, a class path, a main class and its arguments, environment variables; its
 * standard output and error go to one file.
 */
final class JvmProcess {

    private final String name;
    private final Process process;
    private final Path output;

    private JvmProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /** Describes a process to start. */
    static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    String name() {
        return name;
    }

    Process process() {
        return process;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** What the process wrote to its standard output and error so far. */
    String output() throws IOException {
        return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
    }

    /**
     * Waits for the process to end; returns its exit status. Kills it and throws {@link
     * AssertionError} with its output if it runs longer than {@code timeout}.
     */
    int waitFor(Duration timeout) throws IOException, InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(
                    name + " did not end within " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    /** Kills the process at once ({@code kill -9}) and waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Asks the process to stop ({@code SIGTERM}), then kills it if it is still there. */
    void stop(Duration grace) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
        }
    }

    /** A process to start. */
    static final class Builder {
        private final String mainClass;
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<Path> classPath = new ArrayList<>();
        private final List<String> arguments = new ArrayList<>();
        private final Map<String, String> environment = new HashMap<>();

        private Builder(String mainClass) {
            this.mainClass = mainClass;
        }

        Builder jvmOptions(List<String> options) {
            jvmOptions.addAll(options);
            return this;
        }

        Builder jvmOption(String option) {
            jvmOptions.add(option);
            return this;
        }

        Builder classPath(List<Path> entries) {
            classPath.addAll(entries);
            return this;
        }

        Builder arguments(List<String> args) {
            arguments.addAll(args);
            return this;
        }

        Builder environment(String key, String value) {
            environment.put(key, value);
            return this;
        }

        /**
         * Starts the process, its output appended to {@code output}; {@code name} is for messages.
         */
        JvmProcess start(String name, Path output) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add("-classpath");
            StringBuilder cp = new StringBuilder();
            for (Path entry : classPath) {
                if (cp.length() > 0) {
                    cp.append(File.pathSeparatorChar);
                }
                cp.append(entry);
            }
            command.add(cp.toString());
            command.add(mainClass);
            command.addAll(arguments);
            Files.createDirectories(output.getParent());
            ProcessBuilder builder =
                    new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
            builder.environment().putAll(environment);
            Files.writeString(
                    output,
                    "# " + String.join(" ", command) + System.lineSeparator(),
                    StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            return new JvmProcess(name, builder.start(), output);
        }
    }
}
