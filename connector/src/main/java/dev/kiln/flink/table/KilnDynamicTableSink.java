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

package dev.kiln.flink.table;

import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.format.PageCompression;
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import java.io.UncheckedIOException;
import java.util.List;

/**
 * The {@code 'kiln'} connector as an upsert sink: {@code INSERT} and {@code UPDATE_AFTER} rows
 * upsert their primary key, {@code DELETE} rows delete it, through {@link KilnSink} (warm before
 * commit, one manifest per checkpoint, exactly once). Created by {@link KilnDynamicTableFactory} at
 * planning; the runtime provider creates the table if it is absent.
 */
@Internal
public final class KilnDynamicTableSink implements DynamicTableSink {

    private final String tableName;
    private final Path tablePath;
    private final RowType rowType;
    private final List<String> primaryKey;
    private final ReadableConfig options;

    KilnDynamicTableSink(
            String tableName,
            Path tablePath,
            RowType rowType,
            List<String> primaryKey,
            ReadableConfig options) {
        this.tableName = tableName;
        this.tablePath = tablePath;
        this.rowType = rowType;
        this.primaryKey = primaryKey;
        this.options = options;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
        // Upsert by the primary key: everything asked for but UPDATE_BEFORE (the UPDATE_AFTER that
        // follows carries the row). An insert-only query stays insert-only, so the planner adds
        // no upsert materialization for it.
        ChangelogMode.Builder mode = ChangelogMode.newBuilder();
        for (RowKind kind : requestedMode.getContainedKinds()) {
            if (kind != RowKind.UPDATE_BEFORE) {
                mode.addContainedKind(kind);
            }
        }
        return mode.build();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
        CacheSettings cache = KilnOptions.cacheSettings(options);
        KilnSink.Builder<org.apache.flink.table.data.RowData> builder =
                KilnSink.forRowData(tablePath, rowType, primaryKey)
                        .memtableBytes(options.get(KilnOptions.SINK_MEMTABLE_SIZE).getBytes())
                        .warming(options.get(KilnOptions.WARM_ENABLED))
                        .warmDeadline(cache.warmDeadline())
                        .warmConcurrency(cache.maxConcurrentWarms())
                        .cacheSettings(cache)
                        // The planner gives sinks no uid unless plans are compiled: see sink.md.
                        .operatorUids(false);
        KilnOptions.compactionAndExpiry(options, builder);
        options.getOptional(KilnOptions.BUCKET).ifPresent(builder::bucketCount);
        options.getOptional(KilnOptions.WRITE_PAGE_SIZE)
                .ifPresent(size -> builder.targetPageBytes(size.getBytes()));
        options.getOptional(KilnOptions.WRITE_FILTER_FPP)
                .ifPresent(builder::filterFalsePositiveRate);
        options.getOptional(KilnOptions.WRITE_FILTER_FPP_BOTTOMMOST)
                .ifPresent(builder::bottommostFilterFalsePositiveRate);
        PageCompression compression = KilnOptions.compression(options);
        if (compression != null) {
            builder.compression(compression);
        }
        TableOptions.PageSizeBasis basis = KilnOptions.pageSizeBasis(options);
        if (basis != null) {
            builder.pageSizeBasis(basis);
        }
        Integer compactionLevel = KilnOptions.compactionLevel(options);
        if (compactionLevel != null) {
            builder.compactionCompressionLevel(compactionLevel);
        }
        KilnSink<org.apache.flink.table.data.RowData> sink;
        try {
            sink = builder.build();
        } catch (UncheckedIOException e) {
            throw new ValidationException(
                    "Table "
                            + tableName
                            + ": cannot create or open the Kiln table at "
                            + tablePath
                            + ": "
                            + e.getCause(),
                    e);
        }
        return SinkV2Provider.of(
                sink, options.getOptional(KilnOptions.SINK_PARALLELISM).orElse(null));
    }

    @Override
    public DynamicTableSink copy() {
        return new KilnDynamicTableSink(tableName, tablePath, rowType, primaryKey, options);
    }

    @Override
    public String asSummaryString() {
        return "Kiln(" + tablePath + ")";
    }
}
