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

package dev.kiln.flink.runtime;

import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KilnCacheRegistryTest {

    @TempDir java.nio.file.Path dir;

    private final KilnCacheRegistry registry = new KilnCacheRegistry();

    @Test
    void leasesOfOneTableShareOneCacheUntilTheLastIsClosed() {
        Path table = new Path(dir.resolve("t").toUri());
        KilnCacheRegistry.Lease sink = registry.acquire(table, CacheSettings.defaults());
        KilnCacheRegistry.Lease lookup =
                registry.acquire(
                        new Path(dir.resolve("t").toString()),
                        CacheSettings.builder().maximumPageBytes(1 << 20).build());

        GenerationCache shared = sink.cache();
        assertThat(lookup.cache()).isSameAs(shared);
        assertThat(registry.openCaches()).isOne();

        sink.close();
        sink.close();
        assertThat(lookup.cache()).isSameAs(shared);
        assertThat(registry.openCaches()).isOne();
        assertThatThrownBy(sink::cache).isInstanceOf(IllegalStateException.class);

        lookup.close();
        assertThat(registry.openCaches()).isZero();

        try (KilnCacheRegistry.Lease again = registry.acquire(table, CacheSettings.defaults())) {
            assertThat(again.cache()).isNotSameAs(shared);
        }
        assertThat(registry.openCaches()).isZero();
    }

    @Test
    void tablesHaveCachesOfTheirOwn() {
        try (KilnCacheRegistry.Lease a =
                        registry.acquire(
                                new Path(dir.resolve("a").toUri()), CacheSettings.defaults());
                KilnCacheRegistry.Lease b =
                        registry.acquire(
                                new Path(dir.resolve("b").toUri()), CacheSettings.defaults())) {
            assertThat(a.cache()).isNotSameAs(b.cache());
            assertThat(registry.openCaches()).isEqualTo(2);
        }
        assertThat(registry.openCaches()).isZero();
    }

    @Test
    void plainSettingsGiveEachLeaseACacheOfItsOwnClosedWithIt() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        CacheSettings plain = CacheSettings.builder().plainPerSubtask().build();
        try (KilnCacheRegistry.Lease shared = registry.acquire(table, CacheSettings.defaults())) {
            KilnCacheRegistry.Lease first = registry.acquire(table, plain);
            KilnCacheRegistry.Lease second = registry.acquire(table, plain);
            GenerationCache own = first.cache();

            assertThat(own).isNotSameAs(second.cache()).isNotSameAs(shared.cache());
            assertThat(registry.openCaches()).isOne();

            first.close();
            assertThat(own.closeAsync()).succeedsWithin(java.time.Duration.ofSeconds(10));
            assertThatThrownBy(() -> own.open(table).join())
                    .hasRootCauseInstanceOf(IllegalStateException.class);
            assertThat(second.cache().open(new Path(table, "missing.arrow")))
                    .as("the other plain cache is still open")
                    .failsWithin(java.time.Duration.ofSeconds(10))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withRootCauseInstanceOf(java.io.FileNotFoundException.class);
            second.close();
        }
        assertThat(registry.openCaches()).isZero();
    }

    @Test
    void settingsAreValidatedNamingTheOption() {
        assertThatThrownBy(() -> CacheSettings.builder().maximumPageBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximumPageBytes");
        assertThatThrownBy(() -> CacheSettings.builder().ioThreads(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ioThreads");
        assertThatThrownBy(() -> CacheSettings.builder().warmDeadline(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warmDeadline");
    }
}
