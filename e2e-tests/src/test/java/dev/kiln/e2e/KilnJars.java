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

package dev.kiln.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The jars the scenarios deploy, built by the reactor before this module: Kiln's self-contained
 * {@code sql} jar (connector module) and the examples' job jars ({@code job}, with Kiln; {@code
 * job-provided}, without). Paths come from the failsafe configuration.
 */
final class KilnJars {

    private KilnJars() {}

    static Path sqlJar() {
        return jar("kiln.e2e.sql.jar");
    }

    static Path jobJar() {
        return jar("kiln.e2e.job.jar");
    }

    static Path jobProvidedJar() {
        return jar("kiln.e2e.job.provided.jar");
    }

    /** Whether the long variants run ({@code -Pe2e-long}). */
    static boolean longRun() {
        return Boolean.getBoolean("kiln.e2e.long");
    }

    private static Path jar(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException(property + " is not set: run through Maven");
        }
        Path jar = Path.of(value).normalize().toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "No jar at " + jar + ": package its module first (mvn package -DskipTests)");
        }
        return jar;
    }
}
