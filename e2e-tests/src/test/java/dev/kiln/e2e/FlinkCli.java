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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink's command line client ({@code bin/flink}: {@code CliFrontend}) run as a process against a
 * cluster, with {@code FLINK_CONF_DIR} and {@code FLINK_LIB_DIR} set and {@code lib/*} as class
 * path, as the script runs it. Each call's output goes to {@code log/flink-cli-<n>.out}.
 */
final class FlinkCli {

    private static final AtomicInteger CALLS = new AtomicInteger();
    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private final FlinkHome home;

    FlinkCli(FlinkHome home) {
        this.home = home;
    }

    /**
     * {@code flink run -d [-p parallelism] [-s savepoint] jar args...}: submits the job detached;
     * returns its id. {@code parallelism} 0 and {@code savepoint} null leave them out.
     */
    String run(Path jar, int parallelism, String savepoint, List<String> jobArgs)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("run", "-d"));
        if (parallelism > 0) {
            args.addAll(List.of("-p", String.valueOf(parallelism)));
        }
        if (savepoint != null) {
            args.addAll(List.of("-s", savepoint));
        }
        args.add(jar.toAbsolutePath().toString());
        args.addAll(jobArgs);
        return find(JOB_ID, call(args), "a JobID");
    }

    /** {@code flink stop --savepointPath dir jobId}: returns the savepoint's path. */
    String stopWithSavepoint(String jobId, Path savepointDir)
            throws IOException, InterruptedException {
        String output =
                call(List.of("stop", "--savepointPath", savepointDir.toUri().toString(), jobId));
        return find(SAVEPOINT, output, "a savepoint path");
    }

    /**
     * {@code flink stop --savepointPath dir jobId} started and not awaited, for a TaskManager to be
     * killed while it runs.
     */
    JvmProcess startStopWithSavepoint(String jobId, Path savepointDir) throws IOException {
        return start(List.of("stop", "--savepointPath", savepointDir.toUri().toString(), jobId));
    }

    /** {@code flink cancel jobId}. */
    void cancel(String jobId) throws IOException, InterruptedException {
        call(List.of("cancel", jobId));
    }

    /** {@code flink list}: its output. */
    String list() throws IOException, InterruptedException {
        return call(List.of("list"));
    }

    /** Runs the CLI with {@code args}; returns its output, or throws if it exits with an error. */
    String call(List<String> args) throws IOException, InterruptedException {
        JvmProcess process = start(args);
        int exit = process.waitFor(TIMEOUT);
        String output = process.output();
        if (exit != 0) {
            throw new AssertionError(
                    "flink " + String.join(" ", args) + " exited " + exit + ":\n" + output);
        }
        return output;
    }

    private JvmProcess start(List<String> args) throws IOException {
        int n = CALLS.incrementAndGet();
        return JvmProcess.builder("org.apache.flink.client.cli.CliFrontend")
                .jvmOptions(home.logAndJavaOptions("flink-cli-" + n, "log4j-cli.properties"))
                .jvmOption("-Xmx256m")
                .classPath(home.classPath())
                .arguments(args)
                .environment("FLINK_CONF_DIR", home.conf().toString())
                .environment("FLINK_LIB_DIR", home.lib().toString())
                .start("flink " + args.get(0), home.logs().resolve("flink-cli-" + n + ".out"));
    }

    static String find(Pattern pattern, String output, String what) {
        Matcher m = pattern.matcher(output);
        if (!m.find()) {
            throw new AssertionError("No " + what + " in the output:\n" + output);
        }
        return m.group(1);
    }
}
