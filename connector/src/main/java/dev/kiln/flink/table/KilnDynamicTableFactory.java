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

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The {@code 'kiln'} connector of Flink SQL: an upsert sink ({@link KilnDynamicTableSink}) and a
 * source ({@link KilnDynamicTableSource}) over a Kiln table at {@code 'path'}. Options are those of
 * {@link KilnOptions}; unknown options and values of the wrong type fail with Flink's messages
 * naming them, and out-of-range values, a missing primary key, unsupported (nested) column types
 * and a declaration that disagrees with the table at the path fail with a {@link
 * ValidationException} naming the option, column or difference, when the statement that uses the
 * table is planned. A source needs no table at planning: over a path where none exists yet it is
 * planned from the declaration, and its scan is empty until a writer creates the table.
 *
 * <p>Stateless and thread-safe; registered as a {@code Factory} service.
 */
@PublicEvolving
public final class KilnDynamicTableFactory
        implements DynamicTableSourceFactory, DynamicTableSinkFactory {

    /** The connector's name: {@code 'connector' = 'kiln'}. */
    public static final String IDENTIFIER = "kiln";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(KilnOptions.PATH);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return new LinkedHashSet<>(KilnOptions.optional());
    }

    @Override
    public DynamicTableSink createDynamicTableSink(Context context) {
        DeclaredTable table = declared(context);
        table.existing();
        return new KilnDynamicTableSink(
                table.name, table.path, table.rowType, table.primaryKey, table.options);
    }

    @Override
    public DynamicTableSource createDynamicTableSource(Context context) {
        DeclaredTable table = declared(context);
        return new KilnDynamicTableSource(table, table.existing());
    }

    private DeclaredTable declared(Context context) {
        FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
        helper.validate();
        ReadableConfig options = helper.getOptions();
        KilnOptions.validate(options);
        return DeclaredTable.of(
                context.getObjectIdentifier(),
                context.getCatalogTable().getResolvedSchema(),
                options);
    }
}
