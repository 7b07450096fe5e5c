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

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystem.WriteMode;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * Publishes a file under a name that must not exist yet, so that readers see either nothing or the
 * whole file. Both forms write the content to a temporary file first (whose name readers ignore)
 * and then make it appear under the final name in one step:
 *
 * <ul>
 *   <li>{@code file://}: a hard link ({@code link(2)}), which fails if the name exists: atomic
 *       create-if-absent, so racing committers are safe.
 *   <li>other schemes: {@link FileSystem#rename}. On HDFS rename fails if the target exists
 *       (atomic); on object stores (S3) it is a copy that silently overwrites, so there the table
 *       needs a single committer (Kiln's Flink committer runs at parallelism 1).
 * </ul>
 *
 * <p>It also rewrites files that readers never trust blindly (the version hint), as cheaply as the
 * file system allows. Thread-safe.
 */
final class ManifestPublisher {

    private final boolean local;

    private ManifestPublisher(boolean local) {
        this.local = local;
    }

    static ManifestPublisher forScheme(String scheme) {
        return new ManifestPublisher("file".equals(scheme));
    }

    /**
     * Publishes {@code content} as {@code target}.
     *
     * @throws ManifestConflictException if {@code target} exists already (another committer won)
     * @throws IOException if the storage fails; {@code target} then does not exist
     */
    void publish(FileSystem fs, Path target, Path temporary, byte[] content) throws IOException {
        if (local) {
            publishByLink(fs, target, temporary, content);
        } else {
            publishByRename(fs, target, temporary, content);
        }
    }

    /**
     * Writes {@code content} as {@code target}, replacing what is there. On {@code file://} through
     * {@code temporary} and an atomic rename, so a reader sees the old or the new file; elsewhere
     * by overwriting in place (one request; atomic on object stores, where an object appears whole;
     * a reader on HDFS may see a partial file), so the content must be checked by its reader.
     */
    void replace(FileSystem fs, Path target, Path temporary, byte[] content) throws IOException {
        if (!local) {
            try (OutputStream out = fs.create(target, WriteMode.OVERWRITE)) {
                out.write(content);
            }
            return;
        }
        writeTemporary(fs, temporary, content);
        try {
            Files.move(
                    Paths.get(temporary.toUri()),
                    Paths.get(target.toUri()),
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            fs.delete(temporary, false);
        }
    }

    private static void writeTemporary(FileSystem fs, Path temporary, byte[] content)
            throws IOException {
        try (OutputStream out = fs.create(temporary, WriteMode.NO_OVERWRITE)) {
            out.write(content);
        }
    }

    private static void publishByLink(FileSystem fs, Path target, Path temporary, byte[] content)
            throws IOException {
        writeTemporary(fs, temporary, content);
        try {
            Files.createLink(Paths.get(target.toUri()), Paths.get(temporary.toUri()));
        } catch (FileAlreadyExistsException e) {
            throw new ManifestConflictException(target + " was published by another committer", e);
        } finally {
            fs.delete(temporary, false);
        }
    }

    private static void publishByRename(FileSystem fs, Path target, Path temporary, byte[] content)
            throws IOException {
        if (fs.exists(target)) {
            throw new ManifestConflictException(target + " was published by another committer");
        }
        writeTemporary(fs, temporary, content);
        boolean renamed;
        try {
            renamed = fs.rename(temporary, target);
        } catch (IOException e) {
            fs.delete(temporary, false);
            if (fs.exists(target)) {
                throw new ManifestConflictException(
                        target + " was published by another committer", e);
            }
            throw e;
        }
        if (!renamed) {
            fs.delete(temporary, false);
            throw new ManifestConflictException(target + " was published by another committer");
        }
    }
}
