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

package dev.kiln.table;

import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.util.function.LongSupplier;

/**
 * The real local file system as a storage whose clock is the test's: a clock marker the table
 * writes to read the storage's time ({@link KilnTable#storageMillis}) is given {@code clock}'s
 * time, as a store whose clock reads that would. Other files keep the times the disk and the test
 * give them. For tests of logical time, or of a storage clock fixed while several cleanups run.
 */
final class StorageClockFileSystem extends LocalFileSystem {

    private final LongSupplier clock;

    StorageClockFileSystem(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public FileStatus getFileStatus(Path path) throws IOException {
        if (path.getName().startsWith(TablePaths.CLOCK_MARKER_PREFIX)) {
            Files.setLastModifiedTime(
                    Paths.get(path.toUri()), FileTime.fromMillis(clock.getAsLong()));
        }
        return super.getFileStatus(path);
    }
}
