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

import dev.kiln.s3.S3Loopback;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class S3ConnectionPoolTest {

    @RegisterExtension static final S3Loopback S3 = new S3Loopback(5);

    @TempDir java.nio.file.Path dir;

    @Test
    void readsTheS3ConnectionPoolAndNothingElsewhere() throws Exception {
        assertThat(S3ConnectionPool.size(S3.root("pool").getFileSystem())).isEqualTo(5);
        assertThat(S3ConnectionPool.size(new Path(dir.toUri()).getFileSystem())).isEqualTo(-1);
    }
}
