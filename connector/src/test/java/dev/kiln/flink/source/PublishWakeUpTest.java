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

package dev.kiln.flink.source;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.table.Commit;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.logical.RowType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A commit made in the enumerator's JVM wakes it: the readers hear of the new version without the
 * enumerator's periodic poll running (its interval is an hour here), and a closed enumerator leaves
 * no listener behind.
 */
class PublishWakeUpTest {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void aCommitInThisJvmIsAnnouncedWithoutWaitingForThePoll() throws Exception {
        // Another spelling of the same root than the one the source is given.
        KilnTable writer =
                KilnTable.create(
                        new Path("file://" + dir.resolve("t")),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(2)
                                .build());
        KilnSource source =
                KilnSource.builder(new Path(dir.resolve("t").toString()))
                        .pollInterval(Duration.ofHours(1))
                        .build();
        TestingSplitEnumeratorContext<BucketSplit> context = new TestingSplitEnumeratorContext<>(1);
        context.registerReader(0, "localhost");
        try (KilnSplitEnumerator enumerator =
                (KilnSplitEnumerator) source.createEnumerator(context)) {
            enumerator.start();
            context.getExecutorService().triggerPeriodicScheduledTasks();
            enumerator.addReader(0);
            assertThat(announced(context)).containsOnly(0L);

            for (long checkpoint = 1; checkpoint <= 3; checkpoint++) {
                long version =
                        writer.commit(new Commit("w", checkpoint, List.of(), List.of())).version();
                context.getExecutorService().triggerAll();
                context.getExecutorService().triggerAll();
                assertThat(announced(context)).last().isEqualTo(version);
            }
        }
        long before = version(writer);
        writer.commit(new Commit("w", 4, List.of(), List.of()));
        context.getExecutorService().triggerAll();
        assertThat(announced(context))
                .as("a closed enumerator hears nothing")
                .last()
                .isEqualTo(before);
    }

    private static long version(KilnTable table) throws Exception {
        return table.latestVersion();
    }

    private static List<Long> announced(TestingSplitEnumeratorContext<BucketSplit> context) {
        List<SourceEvent> events = context.getSentEvents().getOrDefault(0, List.of());
        return events.stream()
                .filter(LatestVersionEvent.class::isInstance)
                .map(e -> ((LatestVersionEvent) e).version())
                .toList();
    }
}
