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

package dev.kiln.flink.data;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.table.data.RowData;

import java.io.Serializable;

/**
 * Turns a DataStream user's element into the {@link RowData} a {@link dev.kiln.flink.sink.KilnSink}
 * writes, with its {@link org.apache.flink.types.RowKind} saying what the row does ({@code INSERT}
 * and {@code UPDATE_AFTER} upsert, {@code DELETE} deletes, {@code UPDATE_BEFORE} is ignored).
 *
 * <p>Shipped to the tasks, so it must be serializable; called on a task thread, once to find the
 * element's bucket before the shuffle and once more in the writer, so it should be cheap and must
 * be deterministic. The returned row is read before the next call and not kept.
 *
 * @param <T> the element type
 */
@PublicEvolving
@FunctionalInterface
public interface RowDataConverter<T> extends Serializable {

    /** Returns {@code element} as a row of the sink's row type. */
    RowData convert(T element);
}
