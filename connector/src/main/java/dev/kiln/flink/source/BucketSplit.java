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

package dev.kiln.flink.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * The rows of one bucket of one table version, for the bounded scan: {@code rowsEmitted} live rows
 * (in key order) were already emitted, so a restored reader skips them. Immutable.
 */
@Internal
public record BucketSplit(int bucket, long version, long rowsEmitted) implements SourceSplit {

    @Override
    public String splitId() {
        return "bucket-" + bucket;
    }

    BucketSplit emitted(long rows) {
        return new BucketSplit(bucket, version, rows);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BucketSplit other
                && bucket == other.bucket
                && version == other.version
                && rowsEmitted == other.rowsEmitted;
    }

    @Override
    public int hashCode() {
        int h = Integer.hashCode(bucket);
        h = 31 * h + Long.hashCode(version);
        h = 31 * h + Long.hashCode(rowsEmitted);
        return h;
    }

    @Override
    public String toString() {
        return "BucketSplit[bucket="
                + bucket
                + ", version="
                + version
                + ", rowsEmitted="
                + rowsEmitted
                + "]";
    }
}
