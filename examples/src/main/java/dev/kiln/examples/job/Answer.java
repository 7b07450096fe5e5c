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

import org.apache.flink.table.data.RowData;

/**
 * A lookup's answer as the example checks it (a Flink POJO): whether a row was found, whether it is
 * one the writes could have made for the key, which write made it, and the lookup's latency from
 * issue to answer.
 */
public class Answer {
    /** The {@link #seq} of an answer with no row. */
    public static final long NO_ROW = -1;

    public long key;
    public boolean found;

    /** The {@code seq} column of the row found (the write that made it), or {@link #NO_ROW}. */
    public long seq;

    public boolean possible;
    public long issuedMillis;
    public long latencyMicros;
    public String seen;

    public Answer() {}

    static Answer of(Probe probe, RowData row, Workload workload) {
        Answer answer = new Answer();
        answer.key = probe.key;
        answer.found = row != null;
        answer.seq = row == null ? NO_ROW : row.getLong(1);
        answer.possible = workload.isPossibleAnswer(probe.key, row);
        answer.issuedMillis = probe.issuedMillis;
        answer.latencyMicros = (System.nanoTime() - probe.issuedNanos) / 1000;
        answer.seen =
                row == null
                        ? "no row"
                        : row.getLong(0) + "/" + row.getLong(1) + "/" + row.getString(2);
        return answer;
    }
}
