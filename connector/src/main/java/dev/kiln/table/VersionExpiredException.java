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

package dev.kiln.table;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Thrown when a reader asks for a version that expiry has removed ({@link
 * KilnTable#expireVersions}): it names the version and the oldest one still retained. A reader
 * pinned to it (a lagging follower, a time-travel query) moves to a retained version.
 */
@PublicEvolving
public final class VersionExpiredException extends KilnTableException {

    private static final long serialVersionUID = 1L;

    private final long version;
    private final long oldestRetained;

    VersionExpiredException(long version, long oldestRetained, Throwable cause) {
        super(
                "version "
                        + version
                        + " has expired; the oldest version retained is "
                        + oldestRetained,
                cause);
        this.version = version;
        this.oldestRetained = oldestRetained;
    }

    /** Returns the version asked for. */
    public long version() {
        return version;
    }

    /** Returns the oldest version still retained. */
    public long oldestRetained() {
        return oldestRetained;
    }
}
