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

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystem.WriteMode;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes a file under a name that must not exist yet, so that readers see either nothing or the
 * whole file. How depends on what the file system can do ({@link Mode}), chosen once per table by
 * {@link #forFileSystem}:
 *
 * <ul>
 *   <li>{@code file://}: the content goes to a temporary file (whose name readers ignore), then a
 *       hard link ({@code link(2)}) gives it the final name, failing if the name exists: atomic
 *       create-if-absent, racing committers are safe.
 *   <li>{@code s3://} through Flink's Hadoop S3 file system: one PUT with {@code If-None-Match: *}
 *       straight to the final name (an object appears whole); S3 answers 412 if it exists: atomic,
 *       racing committers are safe.
 *   <li>HDFS: a temporary file and {@link FileSystem#rename}, which fails if the target exists
 *       (atomic on the NameNode).
 *   <li>other stores (S3 through presto, object stores without conditional writes): rename after an
 *       existence check, which a racing committer can overwrite, so the table needs a single
 *       committer. The publish reads the file back and throws {@link ConcurrentCommitterException}
 *       if it holds another committer's content: a second committer is detected (not prevented) in
 *       most races.
 * </ul>
 *
 * <p>It also rewrites files that readers never trust blindly (the version hint), as cheaply as the
 * file system allows. Thread-safe.
 */
final class ManifestPublisher {

    /** How a publish makes its name appear. */
    enum Mode {
        LINK,
        CONDITIONAL_PUT,
        RENAME,
        RENAME_VERIFIED
    }

    private static final Logger LOG = LoggerFactory.getLogger(ManifestPublisher.class);

    /** File systems (scheme and authority) whose chosen mode was logged already. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private final Mode mode;
    private final S3ConditionalPut conditionalPut;

    private ManifestPublisher(Mode mode, S3ConditionalPut conditionalPut) {
        this.mode = mode;
        this.conditionalPut = conditionalPut;
    }

    /** Chooses the safest publish {@code fs} supports for a table at {@code root}, and logs it. */
    static ManifestPublisher forFileSystem(FileSystem fs, Path root) {
        String scheme = String.valueOf(root.toUri().getScheme()).toLowerCase(Locale.ROOT);
        ManifestPublisher publisher;
        if (scheme.equals("file")) {
            publisher = new ManifestPublisher(Mode.LINK, null);
        } else if (scheme.equals("hdfs") || scheme.equals("viewfs")) {
            publisher = new ManifestPublisher(Mode.RENAME, null);
        } else {
            S3ConditionalPut put = S3ConditionalPut.probe(fs);
            publisher =
                    put != null
                            ? new ManifestPublisher(Mode.CONDITIONAL_PUT, put)
                            : new ManifestPublisher(Mode.RENAME_VERIFIED, null);
        }
        String authority = root.toUri().getAuthority();
        String store = scheme + "://" + (authority == null ? "" : authority);
        if (LOGGED.add(store + "/" + publisher.mode)) {
            if (publisher.mode == Mode.RENAME_VERIFIED) {
                LOG.warn(
                        "Kiln tables on {} publish manifests by rename: this store offers no"
                                + " create-if-absent through Flink's FileSystem, so run a single"
                                + " committer per table (a second one is detected, not prevented)",
                        store);
            } else {
                LOG.info("Kiln tables on {} publish manifests by {}", store, publisher.mode);
            }
        }
        return publisher;
    }

    Mode mode() {
        return mode;
    }

    /**
     * Publishes {@code content} as {@code target}.
     *
     * @throws ManifestConflictException if {@code target} exists already (another committer won)
     * @throws ConcurrentCommitterException if, on a store without create-if-absent, {@code target}
     *     holds another committer's content after this publish
     * @throws IOException if the storage fails; {@code target} may still have been written (a PUT
     *     whose answer was lost), so a caller that must know reads it
     */
    void publish(FileSystem fs, Path target, Path temporary, byte[] content) throws IOException {
        switch (mode) {
            case LINK -> publishByLink(fs, target, temporary, content);
            case CONDITIONAL_PUT -> conditionalPut.putIfAbsent(target, content);
            case RENAME -> publishByRename(fs, target, temporary, content);
            case RENAME_VERIFIED -> {
                publishByRename(fs, target, temporary, content);
                verify(fs, target, content);
            }
        }
    }

    /** Whether a publish needs the target's folder to exist (object stores have no folders). */
    boolean needsFolders() {
        return mode != Mode.CONDITIONAL_PUT;
    }

    private static void verify(FileSystem fs, Path target, byte[] content) throws IOException {
        byte[] stored;
        try (FSDataInputStream in = fs.open(target)) {
            stored = in.readNBytes(content.length + 1);
        }
        if (!Arrays.equals(stored, content)) {
            throw new ConcurrentCommitterException(
                    target
                            + " holds another committer's content after this committer published"
                            + " it: this store has no create-if-absent, so a table on it must have"
                            + " a single committer; another one is committing to this table");
        }
    }

    /**
     * Writes {@code content} as {@code target}, replacing what is there. On {@code file://} through
     * {@code temporary} and an atomic rename, so a reader sees the old or the new file; elsewhere
     * by overwriting in place (one request; atomic on object stores, where an object appears whole;
     * a reader on HDFS may see a partial file), so the content must be checked by its reader.
     */
    void replace(FileSystem fs, Path target, Path temporary, byte[] content) throws IOException {
        if (mode != Mode.LINK) {
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
