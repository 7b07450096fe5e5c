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

import org.apache.flink.configuration.ConfigOption;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code docs/sql.md} lists every option of the connector with its default, and nothing else. */
class KilnOptionsDocsTest {

    @Test
    void docsListEveryOptionWithItsDefault() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "docs", "sql.md"));
        for (ConfigOption<?> option : KilnOptions.all()) {
            String row = "| `" + option.key() + "` | " + KilnOptions.defaultText(option) + " |";
            assertThat(lines)
                    .as("docs/sql.md has the row of %s", option.key())
                    .anySatisfy(line -> assertThat(line).startsWith(row));
        }
        Set<String> keys =
                KilnOptions.all().stream().map(ConfigOption::key).collect(Collectors.toSet());
        List<String> documented =
                lines.stream()
                        .filter(l -> l.startsWith("| `"))
                        .map(l -> l.substring(3, l.indexOf('`', 3)))
                        .filter(k -> !k.startsWith("connector"))
                        .toList();
        assertThat(documented)
                .as("options docs/sql.md lists")
                .containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void factoryDeclaresEveryOption() {
        KilnDynamicTableFactory factory = new KilnDynamicTableFactory();
        Set<ConfigOption<?>> declared = new java.util.HashSet<>(factory.requiredOptions());
        declared.addAll(factory.optionalOptions());
        assertThat(declared).containsExactlyInAnyOrderElementsOf(KilnOptions.all());
    }
}
