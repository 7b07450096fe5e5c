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

import org.apache.flink.api.connector.source.SourceEvent;

/**
 * From a {@link KilnSource}'s enumerator to its readers: the table's latest version is {@code
 * version}; readers read the changes of the versions up to it.
 */
final class LatestVersionEvent implements SourceEvent {

    private static final long serialVersionUID = 1L;

    private final long version;

    LatestVersionEvent(long version) {
        this.version = version;
    }

    long version() {
        return version;
    }

    @Override
    public String toString() {
        return "LatestVersionEvent[" + version + "]";
    }
}
