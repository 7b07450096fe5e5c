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

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * A standalone Flink session cluster of processes: one JobManager ({@code
 * StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner}), each a JVM
 * started with the options Flink's memory model computes for it ({@link MemoryModel}), in a
 * directory of its own under {@code target/e2e-clusters/} ({@link FlinkHome}: conf, lib, logs,
 * checkpoints, savepoints, tables).
 *
 * <p>As a JUnit 5 extension ({@code @RegisterExtension static FlinkCluster cluster = ...}) it
 * starts before the class's tests and stops after them; the directory is deleted if every test
 * passed, and kept, its path printed, if one failed. {@link #start()} and {@link #close()} do the
 * same by hand.
 */
final class FlinkCluster
        implements AutoCloseable, BeforeAllCallback, AfterAllCallback, TestWatcher {

    private static final Duration STARTUP = Duration.ofMinutes(2);

    private final String name;
    private final int taskManagers;
    private final Map<String, String> config;
    private final List<Path> extraLib;

    private Path dir;
    private FlinkHome home;
    private RestApi rest;
    private JvmProcess jobManager;
    private final Map<String, JvmProcess> taskManagerProcesses = new LinkedHashMap<>();
    private int nextTaskManager;
    private MemoryModel taskManagerModel;
    private volatile boolean failed;

    private FlinkCluster(Builder builder) {
        this.name = builder.name;
        this.taskManagers = builder.taskManagers;
        this.config = builder.config;
        this.extraLib = builder.extraLib;
    }

    static Builder builder(String name) {
        return new Builder(name);
    }

    /** Lays out the cluster's directory, starts the JobManager and the TaskManagers, and waits. */
    void start() throws IOException, InterruptedException {
        Path work = Path.of(System.getProperty("kiln.e2e.work", "target/e2e-clusters"));
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss-SSS"));
        dir = work.resolve(name + "-" + stamp).toAbsolutePath();
        Files.createDirectories(dir);
        int restPort = FreePorts.next();
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("jobmanager.rpc.address", "localhost");
        conf.put("jobmanager.rpc.port", String.valueOf(FreePorts.next()));
        conf.put("jobmanager.bind-host", "localhost");
        conf.put("jobmanager.memory.process.size", "768m");
        conf.put("taskmanager.bind-host", "localhost");
        conf.put("taskmanager.host", "localhost");
        conf.put("taskmanager.memory.process.size", "1g");
        conf.put("taskmanager.numberOfTaskSlots", "2");
        conf.put("parallelism.default", "1");
        conf.put("rest.address", "localhost");
        conf.put("rest.bind-address", "localhost");
        conf.put("rest.port", String.valueOf(restPort));
        conf.put("state.backend.type", "rocksdb");
        conf.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        conf.put(
                "execution.checkpointing.savepoint-dir",
                dir.resolve("savepoints").toUri().toString());
        // The processes' working directories (TaskManager: tm_<resource id>, with RocksDB's local
        // state) in the cluster's directory: under /tmp, a TaskManager id reused by another
        // cluster would find the files of a killed one.
        conf.put("io.tmp.dirs", Files.createDirectories(dir.resolve("tmp")).toString());
        conf.put("restart-strategy.type", "fixed-delay");
        conf.put("restart-strategy.fixed-delay.attempts", "20");
        conf.put("restart-strategy.fixed-delay.delay", "1 s");
        // A killed TaskManager is noticed within seconds, not Flink's default 50 s.
        conf.put("heartbeat.interval", "1000");
        conf.put("heartbeat.timeout", "5000");
        // REST metrics are refreshed every second (default 10 s).
        conf.put("metrics.fetcher.update-interval", "1000");
        conf.put("env.java.opts.all", String.join(" ", FlinkHome.JAVA_OPTS));
        conf.putAll(config);
        home = FlinkHome.create(dir, extraLib, conf);
        rest = new RestApi(restPort);

        // Both memory models at once, then every process at once: TaskManagers retry until the
        // JobManager is up.
        CompletableFuture<MemoryModel> tmModel =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return MemoryModel.taskManager(home);
                            } catch (IOException | InterruptedException e) {
                                throw new CompletionException(e);
                            }
                        });
        MemoryModel jm = MemoryModel.jobManager(home);
        jobManager =
                JvmProcess.builder(
                                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint")
                        .jvmOptions(jm.jvmOptions)
                        .jvmOptions(home.logAndJavaOptions("jobmanager", "log4j.properties"))
                        .classPath(home.classPath())
                        .arguments(List.of("--configDir", home.conf().toString()))
                        .arguments(jm.dynamicProperties)
                        .environment("FLINK_CONF_DIR", home.conf().toString())
                        .environment("FLINK_LIB_DIR", home.lib().toString())
                        .start("jobmanager", home.logs().resolve("jobmanager.out"));
        try {
            taskManagerModel = tmModel.get();
        } catch (ExecutionException e) {
            throw new IOException("The TaskManagers' memory model", e.getCause());
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < taskManagers; i++) {
            ids.add(launchTaskManager());
        }
        Deadline.await(
                "the JobManager's REST endpoint at " + rest.base(),
                STARTUP,
                () -> {
                    if (!jobManager.isAlive()) {
                        throw new AssertionError(
                                "JobManager exited: see " + home.logs().resolve("jobmanager.log"));
                    }
                    return Optional.of(rest.get("/overview"));
                });
        for (String id : ids) {
            awaitRegistered(id);
        }
    }

    /**
     * Starts one more TaskManager (a replacement after {@link #killTaskManager}) and waits until it
     * has registered; returns its id.
     */
    String startTaskManager() throws IOException, InterruptedException {
        String id = launchTaskManager();
        awaitRegistered(id);
        return id;
    }

    private String launchTaskManager() throws IOException {
        String id = "tm-" + nextTaskManager++;
        MemoryModel tm = taskManagerModel;
        List<String> args = new ArrayList<>(List.of("--configDir", home.conf().toString()));
        args.addAll(tm.dynamicProperties);
        args.addAll(List.of("-D", "taskmanager.resource-id=" + id));
        JvmProcess process =
                JvmProcess.builder("org.apache.flink.runtime.taskexecutor.TaskManagerRunner")
                        .jvmOptions(tm.jvmOptions)
                        .jvmOptions(home.logAndJavaOptions(id, "log4j.properties"))
                        .classPath(home.classPath())
                        .arguments(args)
                        .environment("FLINK_CONF_DIR", home.conf().toString())
                        .environment("FLINK_LIB_DIR", home.lib().toString())
                        .start(id, home.logs().resolve(id + ".out"));
        taskManagerProcesses.put(id, process);
        return id;
    }

    private void awaitRegistered(String id) throws InterruptedException {
        JvmProcess process = taskManagerProcesses.get(id);
        Deadline.await(
                "TaskManager " + id + " to register",
                STARTUP,
                () -> {
                    if (!process.isAlive()) {
                        throw new AssertionError(
                                id + " exited: see " + home.logs().resolve(id + ".log"));
                    }
                    return rest.taskManagers().contains(id) ? Optional.of(id) : Optional.empty();
                });
    }

    /**
     * Kills the TaskManager {@code id} with {@code kill -9} and waits until its process is gone.
     */
    void killTaskManager(String id) throws InterruptedException {
        JvmProcess process = taskManagerProcesses.remove(id);
        if (process == null) {
            throw new IllegalArgumentException("No running TaskManager " + id);
        }
        process.kill();
    }

    /** The operating system's process id of the TaskManager {@code id}. */
    long taskManagerPid(String id) {
        JvmProcess process = taskManagerProcesses.get(id);
        if (process == null) {
            throw new IllegalArgumentException("No running TaskManager " + id);
        }
        return process.process().pid();
    }

    /** The ids of the TaskManagers started and not killed, in start order. */
    List<String> taskManagerIds() {
        return new ArrayList<>(taskManagerProcesses.keySet());
    }

    RestApi rest() {
        return rest;
    }

    FlinkHome home() {
        return home;
    }

    /** The cluster's directory. */
    Path dir() {
        return dir;
    }

    /** A new directory in the cluster's {@code tables/} directory for a scenario's tables. */
    Path tablesDir(String scenario) throws IOException {
        return Files.createDirectories(dir.resolve("tables").resolve(scenario));
    }

    FlinkCli cli() {
        return new FlinkCli(home);
    }

    SqlClient sqlClient() {
        return new SqlClient(home);
    }

    /** Marks the run failed: {@link #close()} keeps the directory. */
    void markFailed() {
        failed = true;
    }

    /** Stops the TaskManagers and the JobManager; deletes the directory unless a test failed. */
    @Override
    public void close() throws IOException, InterruptedException {
        List<JvmProcess> processes = new ArrayList<>(taskManagerProcesses.values());
        if (jobManager != null) {
            processes.add(jobManager);
        }
        // SIGTERM to all at once, then each gets the rest of a common grace period.
        processes.forEach(p -> p.process().destroy());
        for (JvmProcess process : processes) {
            process.stop(Duration.ofSeconds(10));
        }
        taskManagerProcesses.clear();
        if (dir == null) {
            return;
        }
        if (failed) {
            System.out.println("E2E cluster directory kept (a test failed): " + dir);
        } else {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (context.getExecutionException().isPresent()) {
            failed = true;
        }
        close();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
        System.out.println(
                "E2E test " + context.getDisplayName() + " failed; cluster logs: " + home.logs());
    }

    /** Describes a cluster. */
    static final class Builder {
        private final String name;
        private int taskManagers = 2;
        private final Map<String, String> config = new LinkedHashMap<>();
        private final List<Path> extraLib = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        /** TaskManagers started with the cluster (default 2). */
        Builder taskManagers(int count) {
            this.taskManagers = count;
            return this;
        }

        /** A configuration entry of {@code config.yaml}, over the harness's defaults. */
        Builder config(String key, String value) {
            config.put(key, value);
            return this;
        }

        /** A jar to put in the cluster's {@code lib/} (e.g. Kiln's {@code sql} jar). */
        Builder lib(Path jar) {
            extraLib.add(jar);
            return this;
        }

        FlinkCluster build() {
            return new FlinkCluster(this);
        }
    }
}
