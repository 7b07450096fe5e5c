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

package dev.kiln.flink.lookup;

import dev.kiln.flink.runtime.CacheSettings;

import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LookupOptionsTest {

    @Test
    void defaults() {
        LookupOptions options = LookupOptions.defaults();
        assertThat(options.pollInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(options.warmBeforeSwap()).isTrue();
        assertThat(options.warmDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(options.batchMaxSize()).isEqualTo(128);
        assertThat(options.batchWindow()).isZero();
        assertThat(options.cacheSettings()).isEqualTo(CacheSettings.defaults());
    }

    @Test
    void badValuesAreRejectedNamingTheOption() {
        LookupOptions.Builder builder = LookupOptions.builder();
        assertThatThrownBy(() -> builder.pollInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lookup.poll-interval");
        assertThatThrownBy(() -> builder.warmDeadline(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lookup.warm-deadline");
        assertThatThrownBy(() -> builder.batchMaxSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lookup.batch.max-size");
        assertThatThrownBy(() -> builder.batchWindow(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lookup.batch.window");
        assertThatThrownBy(() -> builder.batchWindow(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("lookup.batch.window");
    }

    @Test
    void serializableAndEqualByValue() throws Exception {
        LookupOptions options =
                LookupOptions.builder()
                        .pollInterval(Duration.ofMillis(200))
                        .warmBeforeSwap(false)
                        .warmDeadline(Duration.ofSeconds(3))
                        .batchMaxSize(64)
                        .batchWindow(Duration.ofMillis(2))
                        .cacheSettings(CacheSettings.builder().ioThreads(4).build())
                        .build();
        LookupOptions copy =
                InstantiationUtil.clone(options, LookupOptionsTest.class.getClassLoader());
        assertThat(copy).isEqualTo(options).hasSameHashCodeAs(options);
        assertThat(copy.toString()).contains("lookup.batch.window=PT0.002S");
        assertThat(copy).isNotEqualTo(LookupOptions.defaults());
    }
}
