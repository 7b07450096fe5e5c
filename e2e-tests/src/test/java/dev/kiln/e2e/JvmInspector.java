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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looks inside a running JVM of the cluster with the JDK's own tools, as an operator would: {@code
 * jmap -histo:live} (which runs a full GC first, so it counts only what is still reachable) for the
 * job class loaders alive, and {@code jcmd Thread.print} for the threads alive.
 */
final class JvmInspector {

    /**
     * Flink's user-code class loaders: one per job (and per job's library set) in a TaskManager.
     */
    private static final Pattern USER_LOADER =
            Pattern.compile(
                    "^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+(\\S*(ChildFirstClassLoader|ParentFirstClassLoader))\\b",
                    Pattern.MULTILINE);

    private static final Pattern THREAD = Pattern.compile("^\"([^\"]*)\"", Pattern.MULTILINE);

    private static final Pattern METASPACE = Pattern.compile("Metaspace\\s+used (\\d+)K");

    private JvmInspector() {}

    /** What one look at a JVM found. */
    record Look(
            long userLoaders,
            List<String> kilnThreads,
            List<String> threadNames,
            long metaspaceKb) {

        int threads() {
            return threadNames.size();
        }

        @Override
        public String toString() {
            return userLoaders
                    + " job class loader(s), "
                    + metaspaceKb / 1024
                    + " MB of Metaspace used, "
                    + threads()
                    + " threads, Kiln's: "
                    + kilnThreads;
        }
    }

    /** Collects garbage in the JVM {@code pid}, then counts its job class loaders and threads. */
    static Look look(long pid) throws IOException, InterruptedException {
        String histogram = tool("jmap", "-histo:live", Long.toString(pid));
        long loaders = 0;
        Matcher m = USER_LOADER.matcher(histogram);
        while (m.find()) {
            loaders += Long.parseLong(m.group(1));
        }
        String dump = tool("jcmd", Long.toString(pid), "Thread.print");
        List<String> kiln = new ArrayList<>();
        List<String> threads = new ArrayList<>();
        Matcher t = THREAD.matcher(dump);
        while (t.find()) {
            threads.add(t.group(1));
            if (t.group(1).startsWith("kiln")) {
                kiln.add(t.group(1));
            }
        }
        String heap = tool("jcmd", Long.toString(pid), "GC.heap_info");
        Matcher metaspace = METASPACE.matcher(heap);
        if (!metaspace.find()) {
            throw new IOException("No Metaspace line in GC.heap_info of " + pid + ": " + heap);
        }
        return new Look(loaders, kiln, threads, Long.parseLong(metaspace.group(1)));
    }

    private static String tool(String name, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", name).toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(
                    String.join(" ", command)
                            + " failed: "
                            + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
