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

package dev.kiln.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KilnSqlJobTest {

    @TempDir Path dir;

    @Test
    void statementsGiveTheCheckedResults() throws Exception {
        // run() throws IllegalStateException on any wrong join or scan result
        KilnSqlJob.run(dir, 20);
        assertEquals(true, Files.isDirectory(dir.resolve("customers")));
    }

    @Test
    void tooFewKeysForTheExampleOrdersIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> KilnSqlJob.run(dir, 3));
    }
}
