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

package dev.kiln.flink.compat;

import dev.kiln.TemporaryDirectories;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.util.MiniClusterWithClientResource;

import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;

/**
 * Writes the fixture of {@code SavepointCompatibilityITCase}: runs {@link CompatJob} over events
 * {@code [0, 6000)} on a MiniCluster, stops it with a canonical savepoint at event 3,000, and
 * leaves {@code <dir>/table} (the Kiln table) and {@code <dir>/savepoint} (the savepoint). Run
 * once, on the layout whose savepoints are to stay restorable; the fixture in {@code
 * src/test/resources/compat/pre-split} was written at the commit before the Flink layers were split
 * into packages by capability:
 *
 * <pre>{@code
 * mvn -pl connector test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java --add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED \
 *     -cp connector/target/test-classes:connector/target/classes:$(cat connector/cp.txt) \
 *     dev.kiln.flink.compat.PreSplitSavepoint <dir>
 * }</pre>
 */
public final class PreSplitSavepoint {

    static final long EVENTS = 6_000;
    static final long STOP_AT = 3_000;

    private PreSplitSavepoint() {}

    public static void main(String[] args) throws Exception {
        java.nio.file.Path dir = java.nio.file.Paths.get(args[0]).toAbsolutePath();
        Files.createDirectories(dir);
        MiniClusterWithClientResource cluster =
                new MiniClusterWithClientResource(
                        new MiniClusterResourceConfiguration.Builder()
                                .setNumberTaskManagers(1)
                                .setNumberSlotsPerTaskManager(4)
                                .setConfiguration(
                                        CompatJob.clusterConfig(
                                                TemporaryDirectories.create(
                                                        "kiln-pre-split-checkpoints")))
                                .build());
        cluster.before();
        try {
            CompatJob.stopAt = STOP_AT;
            CompatJob.reached = new CountDownLatch(1);
            JobClient job =
                    CompatJob.start(
                            StreamExecutionEnvironment.getExecutionEnvironment(),
                            new Path(dir.resolve("table").toUri()),
                            EVENTS);
            CompatJob.reached.await();
            String savepoint =
                    job.stopWithSavepoint(
                                    false,
                                    dir.resolve("savepoints").toUri().toString(),
                                    SavepointFormatType.CANONICAL)
                            .get();
            Files.move(
                    java.nio.file.Paths.get(java.net.URI.create(savepoint)),
                    dir.resolve("savepoint"));
            Files.delete(dir.resolve("savepoints"));
            System.out.println("fixture written to " + dir);
        } finally {
            cluster.after();
        }
    }
}
