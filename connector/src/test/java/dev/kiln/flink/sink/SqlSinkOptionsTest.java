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

import dev.kiln.flink.table.KilnDynamicTableFactory;
import dev.kiln.flink.table.KilnDynamicTableSink;
import dev.kiln.table.CompactionPolicy;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.connector.sink.SinkV2Provider;
import org.apache.flink.table.factories.FactoryUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SQL sink's compaction and expiry options reach the {@link KilnSink} the factory builds. */
class SqlSinkOptionsTest {

    @TempDir java.nio.file.Path dir;

    @Test
    void defaultsCompactByThePolicysDefaultsAndNeverExpire() {
        SinkSettings settings = sinkSettings(Map.of());

        assertThat(settings.compaction().maxGenerations())
                .isEqualTo(CompactionPolicy.DEFAULT_MAX_GENERATIONS);
        assertThat(settings.compaction().tierFactor())
                .isEqualTo(CompactionPolicy.DEFAULT_TIER_FACTOR);
        assertThat(settings.expiry()).isNull();
    }

    @Test
    void compactionAndExpiryOptionsReachTheSink() {
        SinkSettings settings =
                sinkSettings(
                        Map.of(
                                "sink.compaction.max-generations", "6",
                                "sink.compaction.tier-factor", "3",
                                "sink.expire.keep-last", "5",
                                "sink.expire.keep-for", "2 h",
                                "sink.orphans.older-than", "1 d"));

        assertThat(settings.compaction().maxGenerations()).isEqualTo(6);
        assertThat(settings.compaction().tierFactor()).isEqualTo(3);
        assertThat(settings.expiry()).isEqualTo(new SinkSettings.Expiry(5, Duration.ofHours(2)));
        assertThat(settings.orphansOlderThan()).isEqualTo(Duration.ofDays(1));
        assertThat(sinkSettings(Map.of()).orphansOlderThan()).isNull();

        assertThat(sinkSettings(Map.of("sink.compaction.enabled", "false")).compaction()).isNull();
        assertThat(sinkSettings(Map.of("sink.expire.keep-last", "3")).expiry())
                .isEqualTo(new SinkSettings.Expiry(3, Duration.ZERO));
        assertThat(sinkSettings(Map.of("sink.expire.keep-for", "1 d")).expiry())
                .isEqualTo(new SinkSettings.Expiry(1, Duration.ofDays(1)));
    }

    @Test
    void badValuesFailNamingTheOption() {
        assertBad(
                "sink.compaction.max-generations",
                "0",
                "Invalid value for option 'sink.compaction.max-generations' of the 'kiln'"
                        + " connector: must be at least 1, but was 0.");
        assertBad(
                "sink.compaction.tier-factor",
                "1",
                "Invalid value for option 'sink.compaction.tier-factor' of the 'kiln' connector:"
                        + " must be at least 2, but was 1.");
        assertBad(
                "sink.expire.keep-last",
                "0",
                "Invalid value for option 'sink.expire.keep-last' of the 'kiln' connector: must"
                        + " be at least 1, but was 0.");
        assertBad(
                "sink.expire.keep-for",
                "-PT1M",
                "Could not parse value '-PT1M' for key 'sink.expire.keep-for'.\nnegative"
                        + " duration is not supported");
        assertBad(
                "sink.orphans.older-than",
                "30 s",
                "Invalid value for option 'sink.orphans.older-than' of the 'kiln' connector: must"
                        + " be at least 1 min, but was PT30S.");
        assertBad(
                "sink.compaction.enabled",
                "sometimes",
                "Could not parse value 'sometimes' for key 'sink.compaction.enabled'");
    }

    private void assertBad(String key, String value, String message) {
        assertThatThrownBy(() -> sinkSettings(Map.of(key, value)))
                .isInstanceOf(ValidationException.class)
                .satisfies(
                        e -> {
                            Throwable root = e;
                            StringBuilder messages = new StringBuilder();
                            while (root != null) {
                                messages.append(root.getMessage()).append('\n');
                                root = root.getCause();
                            }
                            assertThat(messages.toString()).contains(message);
                        });
    }

    /** Plans a sink of {@code (id BIGINT NOT NULL, v STRING)} keyed by id with {@code options}. */
    private SinkSettings sinkSettings(Map<String, String> options) {
        Map<String, String> all = new HashMap<>(options);
        all.put("connector", KilnDynamicTableFactory.IDENTIFIER);
        all.put("path", new Path(dir.resolve("t").toUri()).toString());
        ResolvedSchema schema =
                new ResolvedSchema(
                        List.of(
                                Column.physical("id", DataTypes.BIGINT().notNull()),
                                Column.physical("v", DataTypes.STRING())),
                        List.of(),
                        UniqueConstraint.primaryKey("pk", List.of("id")));
        CatalogTable table =
                CatalogTable.newBuilder()
                        .schema(Schema.newBuilder().fromResolvedSchema(schema).build())
                        .options(all)
                        .build();
        KilnDynamicTableSink sink =
                (KilnDynamicTableSink)
                        FactoryUtil.createDynamicTableSink(
                                new KilnDynamicTableFactory(),
                                ObjectIdentifier.of("c", "d", "t"),
                                new ResolvedCatalogTable(table, schema),
                                Map.of(),
                                new Configuration(),
                                getClass().getClassLoader(),
                                false);
        SinkV2Provider provider = (SinkV2Provider) sink.getSinkRuntimeProvider(null);
        return ((KilnSink<?>) provider.createSink()).settings();
    }
}
