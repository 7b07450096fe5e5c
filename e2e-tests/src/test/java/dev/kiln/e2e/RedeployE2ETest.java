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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 1 of issue 20: the example job jar redeployed as a user does it with Flink's CLI. Runs
 * at {@code -p 2}; {@code stop --savepointPath} (sp1) once it committed; resumes from sp1 at {@code
 * -p 3}; stops again (sp2); resumes from sp2 at {@code -p 1} to the end; then rolls back: sp1 at
 * {@code -p 2} to the end. Every run reports no wrong lookup answer, and after each run to the end
 * the table is exactly what the writes leave.
 */
class RedeployE2ETest {

    @RegisterExtension static final FlinkCluster CLUSTER = FlinkCluster.builder("redeploy").build();

    private static final Duration RUN = Duration.ofMinutes(3);

    @Test
    void stopResumeRescaleAndRollBack() throws Exception {
        // The runs that are stopped go slowly, so that they are still running when the stop comes
        // on a loaded machine; the runs to the end go fast.
        long records = KilnJars.longRun() ? 600_000 : 30_000;
        long slow = KilnJars.longRun() ? 2_000 : 500;
        long fast = KilnJars.longRun() ? 10_000 : 3_000;
        ExampleJob job =
                new ExampleJob(
                        KilnJars.jobJar(),
                        CLUSTER.tablesDir("redeploy").resolve("table"),
                        records,
                        2_000,
                        slow);
        FlinkCli cli = CLUSTER.cli();
        RestApi rest = CLUSTER.rest();
        Path savepoints = CLUSTER.dir().resolve("savepoints");

        String run1 = job.run(cli, 2, null);
        long v1 = job.awaitCommitted(rest, run1, 3, RUN);
        String sp1 = cli.stopWithSavepoint(run1, savepoints);
        assertThat(rest.jobState(run1)).isEqualTo("FINISHED");
        ExampleJob.assertNoWrongAnswers(rest, run1);

        String run2 = job.run(cli, 3, sp1);
        job.awaitCommitted(rest, run2, v1 + 2, RUN);
        String sp2 = cli.stopWithSavepoint(run2, savepoints);
        ExampleJob.assertNoWrongAnswers(rest, run2);

        String run3 = job.run(cli, 1, sp2, fast);
        JobWatch.awaitFinished(rest, run3, "redeploy-p1", RUN);
        ExampleJob.assertNoWrongAnswers(rest, run3);
        ExampleJob.assertSomeAnswersFound(rest, run3);
        job.assertTableExact();

        long start = System.nanoTime();
        String run4 = job.run(cli, 2, sp1, fast);
        JobWatch.awaitFinished(rest, run4, "rollback-p2", RUN);
        Figures.print(
                "rollback-p2", "submitToFinishedSeconds", (System.nanoTime() - start) / 1e9, "s");
        ExampleJob.assertNoWrongAnswers(rest, run4);
        ExampleJob.assertSomeAnswersFound(rest, run4);
        job.assertTableExact();
    }
}
