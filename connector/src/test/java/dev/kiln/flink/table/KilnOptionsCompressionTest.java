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

import dev.kiln.format.PageCompression;
import dev.kiln.table.TableOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.ValidationException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code write.compression} and {@code write.compression.level}: parsed, errors name them. */
class KilnOptionsCompressionTest {

    @Test
    void unsetMeansTheTablesAndValuesParse() {
        assertThat(KilnOptions.compression(new Configuration())).isNull();
        assertThat(KilnOptions.compression(config("zstd", null))).isEqualTo(PageCompression.ZSTD);
        assertThat(KilnOptions.compression(config("zstd", 9))).isEqualTo(PageCompression.zstd(9));
        assertThat(KilnOptions.compression(config("lz4-frame", null)))
                .isEqualTo(PageCompression.LZ4_FRAME);
        assertThat(KilnOptions.compression(config("none", null))).isEqualTo(PageCompression.NONE);
    }

    @Test
    void invalidValuesFailNamingTheOption() {
        assertThatThrownBy(() -> KilnOptions.validate(config("snappy", null)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'write.compression'")
                .hasMessageContaining("snappy");
        assertThatThrownBy(() -> KilnOptions.validate(config("zstd", 0)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'write.compression.level'")
                .hasMessageContaining("0");
        assertThatThrownBy(() -> KilnOptions.validate(config("none", 3)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'write.compression.level'");
        assertThatThrownBy(() -> KilnOptions.validate(config(null, 3)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("write.compression.level");
    }

    @Test
    void thePageSizeBasisAndTheCompactionLevelParseAndFailNamingTheOption() {
        Configuration config = new Configuration();
        assertThat(KilnOptions.pageSizeBasis(config)).isNull();
        assertThat(KilnOptions.compactionLevel(config)).isNull();
        config.set(KilnOptions.WRITE_PAGE_SIZE_BASIS, "stored");
        config.set(KilnOptions.WRITE_COMPRESSION_COMPACTION_LEVEL, 19);
        KilnOptions.validate(config);
        assertThat(KilnOptions.pageSizeBasis(config)).isEqualTo(TableOptions.PageSizeBasis.STORED);
        assertThat(KilnOptions.compactionLevel(config)).isEqualTo(19);

        Configuration basis = new Configuration();
        basis.set(KilnOptions.WRITE_PAGE_SIZE_BASIS, "rows");
        assertThatThrownBy(() -> KilnOptions.validate(basis))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'write.page-size.basis'")
                .hasMessageContaining("rows");
        for (int bad : new int[] {0, 23}) {
            Configuration level = new Configuration();
            level.set(KilnOptions.WRITE_COMPRESSION_COMPACTION_LEVEL, bad);
            assertThatThrownBy(() -> KilnOptions.validate(level))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("'write.compression.compaction-level'")
                    .hasMessageContaining(Integer.toString(bad));
        }
        Configuration none = config("none", null);
        none.set(KilnOptions.WRITE_COMPRESSION_COMPACTION_LEVEL, 19);
        assertThatThrownBy(() -> KilnOptions.validate(none))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'write.compression.compaction-level'")
                .hasMessageContaining("zstd");
    }

    @Test
    void theBottommostFilterRateIsOptionalAndFailsNamingTheOption() {
        KilnOptions.validate(new Configuration());
        Configuration config = new Configuration();
        config.set(KilnOptions.WRITE_FILTER_FPP_BOTTOMMOST, 0.9);
        KilnOptions.validate(config);
        for (double bad : new double[] {0, 1, 2}) {
            Configuration rate = new Configuration();
            rate.set(KilnOptions.WRITE_FILTER_FPP_BOTTOMMOST, bad);
            assertThatThrownBy(() -> KilnOptions.validate(rate))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("'write.filter-fpp.bottommost'")
                    .hasMessageContaining(Double.toString(bad));
        }
    }

    private static Configuration config(String codec, Integer level) {
        Configuration config = new Configuration();
        if (codec != null) {
            config.set(KilnOptions.WRITE_COMPRESSION, codec);
        }
        if (level != null) {
            config.set(KilnOptions.WRITE_COMPRESSION_LEVEL, level);
        }
        return config;
    }
}
