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

package dev.kiln;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Temporary directories a test needs before JUnit's {@code @TempDir} exists, such as the checkpoint
 * directory in the configuration of a class's static {@code MiniClusterExtension}. Each is deleted
 * with everything in it when the test JVM exits, so test runs leave nothing in {@code
 * java.io.tmpdir}. Thread-safe.
 */
public final class TemporaryDirectories {

    private static final Set<Path> CREATED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> CREATED.forEach(TemporaryDirectories::deleteQuietly),
                                "kiln-test-temporary-directories"));
    }

    private TemporaryDirectories() {}

    /**
     * A new empty directory whose name starts with {@code prefix}, deleted at JVM exit.
     *
     * @throws UncheckedIOException if it cannot be created
     */
    public static Path create(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            CREATED.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort at exit: a directory already gone or unreadable is left as it is
        }
    }
}
