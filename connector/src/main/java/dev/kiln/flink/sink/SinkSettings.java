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
import java.util.Objects;

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
        boolean writeThrough,
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
    record Expiry(int keepLast, Duration keepFor) implements Serializable {
        @Override
        public boolean equals(Object o) {
            return o instanceof Expiry other
                    && keepLast == other.keepLast
                    && Objects.equals(keepFor, other.keepFor);
        }

        @Override
        public int hashCode() {
            return 31 * Integer.hashCode(keepLast) + Objects.hashCode(keepFor);
        }

        @Override
        public String toString() {
            return "Expiry[keepLast=" + keepLast + ", keepFor=" + keepFor + "]";
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SinkSettings other
                && Objects.equals(tablePath, other.tablePath)
                && Objects.equals(rowType, other.rowType)
                && Objects.equals(writeOptions, other.writeOptions)
                && memtableBytes == other.memtableBytes
                && warming == other.warming
                && writeThrough == other.writeThrough
                && Objects.equals(warmers, other.warmers)
                && Objects.equals(warmDeadline, other.warmDeadline)
                && warmConcurrency == other.warmConcurrency
                && Objects.equals(cache, other.cache)
                && Objects.equals(name, other.name)
                && operatorUids == other.operatorUids
                && Objects.equals(compaction, other.compaction)
                && Objects.equals(expiry, other.expiry)
                && Objects.equals(orphansOlderThan, other.orphansOlderThan);
    }

    @Override
    public int hashCode() {
        int h = Objects.hashCode(tablePath);
        h = 31 * h + Objects.hashCode(rowType);
        h = 31 * h + Objects.hashCode(writeOptions);
        h = 31 * h + Long.hashCode(memtableBytes);
        h = 31 * h + Boolean.hashCode(warming);
        h = 31 * h + Boolean.hashCode(writeThrough);
        h = 31 * h + Objects.hashCode(warmers);
        h = 31 * h + Objects.hashCode(warmDeadline);
        h = 31 * h + Integer.hashCode(warmConcurrency);
        h = 31 * h + Objects.hashCode(cache);
        h = 31 * h + Objects.hashCode(name);
        h = 31 * h + Boolean.hashCode(operatorUids);
        h = 31 * h + Objects.hashCode(compaction);
        h = 31 * h + Objects.hashCode(expiry);
        h = 31 * h + Objects.hashCode(orphansOlderThan);
        return h;
    }

    @Override
    public String toString() {
        return "SinkSettings[tablePath="
                + tablePath
                + ", rowType="
                + rowType
                + ", writeOptions="
                + writeOptions
                + ", memtableBytes="
                + memtableBytes
                + ", warming="
                + warming
                + ", writeThrough="
                + writeThrough
                + ", warmers="
                + warmers
                + ", warmDeadline="
                + warmDeadline
                + ", warmConcurrency="
                + warmConcurrency
                + ", cache="
                + cache
                + ", name="
                + name
                + ", operatorUids="
                + operatorUids
                + ", compaction="
                + compaction
                + ", expiry="
                + expiry
                + ", orphansOlderThan="
                + orphansOlderThan
                + "]";
    }
}
