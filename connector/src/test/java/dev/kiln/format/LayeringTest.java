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

package dev.kiln.format;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layering rules of {@code io} and {@code format}: Flink only through {@code
 * org.apache.flink.core.fs}, no higher layer, and {@code io} below {@code format}.
 */
class LayeringTest {

    private static final Path MAIN = Paths.get("src/main/java/dev/kiln");

    private static List<String> imports(String layer) throws IOException {
        List<String> imports = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve(layer))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (line.startsWith("import ")) {
                        imports.add(file.getFileName() + ": " + line);
                    }
                }
            }
        }
        assertThat(imports).as("imports of %s", layer).isNotEmpty();
        return imports;
    }

    @Test
    void ioUsesOnlyFlinkFileSystemsAndNoOtherKilnLayer() throws IOException {
        for (String line : imports("io")) {
            assertThat(line).doesNotContain("import dev.kiln.");
            if (line.contains("org.apache.flink.")) {
                assertThat(line).contains("import org.apache.flink.core.fs.");
            }
        }
    }

    @Test
    void formatUsesOnlyIoAndFlinkFileSystems() throws IOException {
        for (String line : imports("format")) {
            if (line.contains("dev.kiln.")) {
                assertThat(line).contains("import dev.kiln.io.");
            }
            if (line.contains("org.apache.flink.")) {
                assertThat(line).contains("import org.apache.flink.core.fs.");
            }
        }
    }
}
