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
import org.apache.flink.table.functions.AsyncLookupFunction;
import org.apache.flink.table.functions.FunctionContext;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;

/**
 * The SQL lookup join's asynchronous function ({@code 'lookup.async' = 'true'}, the default): each
 * key row is looked up in micro-batches against the snapshot the follower keeps warm. Futures
 * complete on Kiln's I/O or dispatcher threads; failures are the storage's errors, unwrapped.
 */
@Internal
public final class KilnSqlAsyncLookupFunction extends AsyncLookupFunction {

    private static final long serialVersionUID = 1L;

    private final SqlLookup lookup;

    KilnSqlAsyncLookupFunction(SqlLookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        lookup.open(context);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncLookup(RowData keyRow) {
        return lookup.lookup(keyRow);
    }

    @Override
    public void close() throws Exception {
        lookup.close();
    }
}
