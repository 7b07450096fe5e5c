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

package dev.kiln.flink.sink;

import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.GenerationWarmerFactory;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.types.logical.RowType;

import javax.annotation.Nullable;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * What a {@link KilnSink}'s operators need, shipped to the tasks: the values {@link
 * KilnSink.Builder#build()} settled on. Immutable, so safe to share between threads.
 */
record SinkSettings(
        Path tablePath,
        RowType rowType,
        TableOptions writeOptions,
        long memtableBytes,
        boolean warming,
        List<GenerationWarmerFactory> warmers,
        Duration warmDeadline,
        int warmConcurrency,
        CacheSettings cache,
        String name,
        boolean operatorUids,
        CompactionPolicy compaction,
        Expiry expiry,
        @Nullable Duration orphansOlderThan)
        implements Serializable {

    /**
     * What the committer keeps after each commit (see {@link KilnTable#expireVersions}).
     *
     * @param keepLast the newest versions kept whatever their age
     * @param keepFor how long a version is kept whatever the count
     */
    record Expiry(int keepLast, Duration keepFor) implements Serializable {}
}
