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

import dev.kiln.flink.runtime.CacheSettings;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code cache.disk.*} options reach the shared cache's settings; off unless set. */
class KilnOptionsCacheTest {

    @Test
    void theDiskTierIsOffByDefaultAndItsOptionsReachTheCacheSettings() {
        CacheSettings defaults = KilnOptions.cacheSettings(new Configuration());
        assertThat(defaults.diskBytes()).isZero();
        assertThat(defaults.diskDirectory()).isNull();
        assertThat(defaults).isEqualTo(CacheSettings.defaults());

        Configuration config = new Configuration();
        config.set(KilnOptions.CACHE_DISK_BYTES, MemorySize.parse("2 gb"));
        config.set(KilnOptions.CACHE_DISK_DIR, "/mnt/ssd");
        CacheSettings disk = KilnOptions.cacheSettings(config);
        assertThat(disk.diskBytes()).isEqualTo(2L << 30);
        assertThat(disk.diskDirectory()).isEqualTo("/mnt/ssd");
        assertThat(disk).isNotEqualTo(defaults);
        assertThat(disk.toString()).contains("disk=" + (2L << 30) + "B in /mnt/ssd");
    }
}
