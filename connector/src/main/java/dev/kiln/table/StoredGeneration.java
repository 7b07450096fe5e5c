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

import java.io.FileNotFoundException;
import java.io.IOException;

/**
 * The check a commit makes of each generation file it adds before a manifest names it: the file is
 * there, whole (its reference's size), reached without links, and not older than the orphan cutoff
 * of the version the commit builds on (so no running orphan cleanup may be deleting it).
 *
 * <p>Threading: stateless; blocks on one status request (on {@code file://} also a few local {@code
 * lstat} calls for links).
 */
final class StoredGeneration {

    private StoredGeneration() {}

    /**
     * Checks {@code ref}'s file for a commit on {@code base}.
     *
     * @throws MissingGenerationException if it is missing, a folder, of another size, or last
     *     modified before {@code base}'s orphan cutoff
     * @throws LinkedPathException if it, or a folder between it and the root, is a link
     */
    static void check(ManifestStore store, GenerationRef ref, Manifest base) throws IOException {
        store.files().checkNoLinks(store.paths().root(), ref.path());
        Path file = store.paths().resolve(ref.path());
        FileStatus status;
        try {
            status = store.fs().getFileStatus(file);
        } catch (FileNotFoundException e) {
            throw new MissingGenerationException(
                    "cannot commit " + ref.path() + ": there is no file at " + file, e);
        }
        if (status.isDir()) {
            throw new MissingGenerationException(
                    "cannot commit " + ref.path() + ": " + file + " is a folder");
        }
        if (status.getLen() != ref.sizeBytes()) {
            throw new MissingGenerationException(
                    "cannot commit "
                            + ref.path()
                            + ": the file has "
                            + status.getLen()
                            + " bytes, its reference says "
                            + ref.sizeBytes());
        }
        if (status.getModificationTime() < base.orphanCutoffMillis()) {
            throw new MissingGenerationException(
                    "cannot commit "
                            + ref.path()
                            + ": it was last modified at "
                            + status.getModificationTime()
                            + ", before the orphan cutoff "
                            + base.orphanCutoffMillis()
                            + " of version "
                            + base.version()
                            + ", so an orphan cleanup may be removing it (the cleanup's grace"
                            + " period must exceed the time between writing and committing a"
                            + " generation)");
        }
    }
}
