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

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.LookupFunction;

import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.CompletionException;

/**
 * The SQL lookup join's synchronous function ({@code 'lookup.async' = 'false'}): the task thread
 * waits for each lookup. An {@code IOException} of the storage is thrown as is.
 */
@Internal
public final class KilnSqlLookupFunction extends LookupFunction {

    private static final long serialVersionUID = 1L;

    private final SqlLookup lookup;

    KilnSqlLookupFunction(SqlLookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        lookup.open(context);
    }

    @Override
    public Collection<RowData> lookup(RowData keyRow) throws IOException {
        try {
            return lookup.lookup(keyRow).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        lookup.close();
    }
}
