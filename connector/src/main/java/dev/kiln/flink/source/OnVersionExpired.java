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

import org.apache.flink.annotation.PublicEvolving;

/**
 * What a {@link KilnSource} does when the next version it must read has expired ({@link
 * dev.kiln.table.KilnTable#expireVersions}): it fell further behind the table than the table keeps.
 */
@PublicEvolving
public enum OnVersionExpired {
    /**
     * Fail with {@link dev.kiln.table.VersionExpiredException} naming the version (the default):
     * the changes in between are lost to this reader, and it never skips them silently.
     */
    FAIL,
    /**
     * Read the full snapshot of the latest version of the expired split's bucket again ({@code
     * +I}), count it in the {@code expiredRereads} metric and log a warning, then follow from
     * there. Keys deleted in the versions missed are not deleted downstream: only for consumers
     * that tolerate that.
     */
    REREAD_LATEST
}
