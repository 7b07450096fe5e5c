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

package dev.kiln.warm;

import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link GenerationWarmer} needs to open a generation without asking storage anything first:
 * its resolved location and its length, as the manifest entry (or the writer) knows them. Two files
 * are equal when their paths are. Immutable.
 *
 * <p>A file may also name its {@linkplain dev.kiln.format.Generation#tailChecksum checksum}, as its
 * writer computed it: then a warm in the writer's process may take what the writer handed over of
 * that very file instead of reading it ({@link Handover}).
 *
 * @param path the generation's resolved path, e.g. {@code file:/data/t/data/bucket-3/g-....arrow}
 * @param length the file's length in bytes, not negative
 * @param checksum the file's checksum, or {@link #NO_CHECKSUM}
 */
@Internal
public record GenerationFile(Path path, long length, long checksum) {

    /** The checksum of a file whose checksum is not known. */
    public static final long NO_CHECKSUM = 0;

    public GenerationFile {
        requireNonNull(path, "path");
        if (length < 0) {
            throw new IllegalArgumentException(
                    "length of " + path + " must not be negative, but was " + length);
        }
    }

    /** A file whose checksum is not known. */
    public GenerationFile(Path path, long length) {
        this(path, length, NO_CHECKSUM);
    }

    /** Returns this file naming {@code checksum} ({@link #NO_CHECKSUM}: none). */
    public GenerationFile withChecksum(long checksum) {
        return new GenerationFile(path, length, checksum);
    }

    /** Returns the file of {@code ref}, resolved against {@code table}'s root. */
    public static GenerationFile of(KilnTable table, GenerationRef ref) {
        return new GenerationFile(table.resolve(ref.path()), ref.sizeBytes());
    }

    /** Returns the path as cache keys name it. */
    public String key() {
        return path.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationFile other && path.equals(other.path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    @Override
    public String toString() {
        return "GenerationFile[path="
                + path
                + ", length="
                + length
                + (checksum == NO_CHECKSUM ? "" : ", checksum=" + Long.toHexString(checksum))
                + "]";
    }
}
