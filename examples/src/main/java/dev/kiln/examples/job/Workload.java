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

package dev.kiln.examples.job;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The example's data, a pure function of a write's sequence number: write {@code seq} sets key
 * {@link #keyOf} to value {@code "v<seq>"}, or deletes it when {@link #isDelete}. So any answer can
 * be checked without shared state: a found row of key {@code k} must hold the value of a write of
 * {@code k} that was not a delete, and the table after the job must equal {@link #finalState}.
 */
public final class Workload implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The table's row type: {@code id BIGINT NOT NULL, seq BIGINT, v STRING}, keyed by id. */
    public static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("seq", DataTypes.BIGINT()),
                                    DataTypes.FIELD("v", DataTypes.STRING()))
                            .getLogicalType();

    public static final List<String> PRIMARY_KEY = List.of("id");

    private final long keys;
    private final int deleteEvery;

    public Workload(long keys, int deleteEvery) {
        this.keys = keys;
        this.deleteEvery = deleteEvery;
    }

    public long keys() {
        return keys;
    }

    /** The key write {@code seq} touches. */
    public long keyOf(long seq) {
        return Math.floorMod(mix(seq), keys);
    }

    /** Whether write {@code seq} deletes its key. */
    public boolean isDelete(long seq) {
        return deleteEvery > 0 && Math.floorMod(mix(seq ^ 0x5DEECE66DL), deleteEvery) == 0;
    }

    /** The row of write {@code seq}, with its row kind. */
    public RowData row(long seq) {
        GenericRowData row = GenericRowData.of(keyOf(seq), seq, StringData.fromString("v" + seq));
        row.setRowKind(isDelete(seq) ? RowKind.DELETE : RowKind.INSERT);
        return row;
    }

    /** The key lookup {@code i} asks for: one in ten was never written. */
    public long lookupKey(long i) {
        return Math.floorMod(mix(i * 31 + 7), keys + keys / 10);
    }

    /**
     * Returns whether {@code row}, an answer for {@code key}, is one the writes could have made:
     * the value of a write of that key that was not a delete.
     */
    public boolean isPossibleAnswer(long key, RowData row) {
        if (row == null) {
            return true;
        }
        long seq = row.getLong(1);
        return row.getLong(0) == key
                && keyOf(seq) == key
                && !isDelete(seq)
                && row.getString(2).toString().equals("v" + seq);
    }

    /** The table after writes {@code 0..writes-1}: each key's last write, absent if a delete. */
    public Map<Long, Long> finalState(long writes) {
        Map<Long, Long> state = new HashMap<>();
        for (long seq = 0; seq < writes; seq++) {
            if (isDelete(seq)) {
                state.remove(keyOf(seq));
            } else {
                state.put(keyOf(seq), seq);
            }
        }
        return state;
    }

    /** SplitMix64's finalizer: a cheap, well-spread bijection of longs. */
    private static long mix(long x) {
        x += 0x9E3779B97F4A7C15L;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }
}
