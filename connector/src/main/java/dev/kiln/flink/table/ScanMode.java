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

/** What a scan of a {@code 'kiln'} table reads: the {@code 'scan.mode'} option's values. */
@PublicEvolving
public enum ScanMode {
    /** A bounded scan of the version latest when the job starts, insert-only (the default). */
    SNAPSHOT("snapshot"),
    /** The full snapshot of the latest version, then every later change: an upsert changelog. */
    LATEST_FULL("latest-full"),
    /** Only the changes of the versions published after the job starts. */
    LATEST("latest"),
    /** The changes of the version {@code 'scan.version'} and of every later one. */
    FROM_VERSION("from-version"),
    /** The changes of the versions published at or after {@code 'scan.timestamp-millis'}. */
    FROM_TIMESTAMP("from-timestamp");

    private final String value;

    ScanMode(String value) {
        this.value = value;
    }

    /** The option's value, as Flink parses and prints it. */
    @Override
    public String toString() {
        return value;
    }
}
