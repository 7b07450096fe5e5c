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
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a table walks, checks and deletes its own files, never following a symbolic link and
 * tolerating entries that vanish while it lists them.
 *
 * <p>On {@code file://} it uses {@code java.nio} without following links: a link is reported as
 * one, and an entry deleted between listing a folder and reading its attributes is skipped (Flink's
 * local {@code listStatus} fails then). Other file systems are reached through Flink's {@link
 * FileSystem} only, which reports no links (object stores have none; HDFS has them disabled by
 * default and Flink's {@link FileStatus} cannot show them); a listing that fails with {@link
 * FileNotFoundException} while the folder still exists is retried.
 */
abstract class TableFiles {

    /** What a listed entry is, seen without following links. */
    enum Kind {
        FILE,
        DIRECTORY,
        LINK,
        OTHER
    }

    /** One entry of a folder. */
    record Entry(Path path, String name, Kind kind, long modificationTime) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Entry other
                    && Objects.equals(path, other.path)
                    && Objects.equals(name, other.name)
                    && Objects.equals(kind, other.kind)
                    && modificationTime == other.modificationTime;
        }

        @Override
        public int hashCode() {
            int h = Objects.hashCode(path);
            h = 31 * h + Objects.hashCode(name);
            h = 31 * h + Objects.hashCode(kind);
            h = 31 * h + Long.hashCode(modificationTime);
            return h;
        }

        @Override
        public String toString() {
            return "Entry[path="
                    + path
                    + ", name="
                    + name
                    + ", kind="
                    + kind
                    + ", modificationTime="
                    + modificationTime
                    + "]";
        }
    }

    static final int LISTING_ATTEMPTS = 3;

    static TableFiles of(FileSystem fs) {
        return "file".equals(fs.getUri().getScheme()) ? new Local() : new Flink(fs);
    }

    /**
     * Lists the folder {@code relative} under {@code root}: empty if it or any folder between it
     * and the root is missing, not a folder, or a link.
     */
    abstract List<Entry> list(Path root, String relative) throws IOException;

    /**
     * Throws {@link LinkedPathException} naming the first of {@code relative}'s components under
     * {@code root} that is a link. Components that do not exist are not checked.
     */
    abstract void checkNoLinks(Path root, String relative) throws IOException;

    /**
     * Deletes the file at {@code path}, never what a link there points to.
     *
     * @return false if it was gone already
     */
    abstract boolean delete(Path path) throws IOException;

    private static String[] segments(String relative) {
        return relative.isEmpty() ? new String[0] : relative.split("/");
    }

    /** {@code file://}, through {@code java.nio}, links seen and never followed. */
    private static final class Local extends TableFiles {

        private static java.nio.file.Path local(Path path) {
            return java.nio.file.Path.of(path.toUri().getPath());
        }

        private static BasicFileAttributes attributes(java.nio.file.Path path) throws IOException {
            try {
                return Files.readAttributes(
                        path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        private static Kind kind(BasicFileAttributes attributes) {
            if (attributes.isSymbolicLink()) {
                return Kind.LINK;
            }
            if (attributes.isDirectory()) {
                return Kind.DIRECTORY;
            }
            return attributes.isRegularFile() ? Kind.FILE : Kind.OTHER;
        }

        @Override
        List<Entry> list(Path root, String relative) throws IOException {
            java.nio.file.Path folder = local(root);
            for (String segment : segments(relative)) {
                folder = folder.resolve(segment);
                BasicFileAttributes attributes = attributes(folder);
                if (attributes == null || kind(attributes) != Kind.DIRECTORY) {
                    return List.of();
                }
            }
            Path dir = relative.isEmpty() ? root : new Path(root, relative);
            List<Entry> entries = new ArrayList<>();
            try (DirectoryStream<java.nio.file.Path> children = Files.newDirectoryStream(folder)) {
                for (java.nio.file.Path child : children) {
                    String name = child.getFileName().toString();
                    BasicFileAttributes attributes = attributes(child);
                    Path path = child(dir, name);
                    if (attributes != null && path != null) {
                        entries.add(
                                new Entry(
                                        path,
                                        name,
                                        kind(attributes),
                                        attributes.lastModifiedTime().toMillis()));
                    }
                }
            } catch (NoSuchFileException | NotDirectoryException e) {
                return List.of();
            }
            return entries;
        }

        @Override
        void checkNoLinks(Path root, String relative) throws IOException {
            java.nio.file.Path path = local(root);
            StringBuilder prefix = new StringBuilder();
            for (String segment : segments(relative)) {
                path = path.resolve(segment);
                prefix.append(prefix.length() == 0 ? "" : "/").append(segment);
                BasicFileAttributes attributes = attributes(path);
                if (attributes == null) {
                    return;
                }
                if (attributes.isSymbolicLink()) {
                    throw new LinkedPathException(
                            (prefix.length() == relative.length()
                                            ? relative
                                            : relative + ": its folder " + prefix)
                                    + " is a symbolic link ("
                                    + path
                                    + "); Kiln never follows links under a table root");
                }
            }
        }

        @Override
        boolean delete(Path path) throws IOException {
            return Files.deleteIfExists(local(path));
        }
    }

    /** Any other scheme, through Flink's {@link FileSystem}, which reports no links. */
    private static final class Flink extends TableFiles {

        private final FileSystem fs;

        Flink(FileSystem fs) {
            this.fs = fs;
        }

        @Override
        List<Entry> list(Path root, String relative) throws IOException {
            Path dir = relative.isEmpty() ? root : new Path(root, relative);
            FileNotFoundException vanished = null;
            for (int attempt = 0; attempt < LISTING_ATTEMPTS; attempt++) {
                FileStatus[] statuses;
                try {
                    statuses = fs.listStatus(dir);
                } catch (FileNotFoundException e) {
                    if (!fs.exists(dir)) {
                        return List.of();
                    }
                    vanished = e;
                    continue;
                }
                List<Entry> entries = new ArrayList<>();
                for (FileStatus status : statuses == null ? new FileStatus[0] : statuses) {
                    Path path = status.getPath();
                    if (path.equals(dir)) {
                        // Flink lists a file as itself: it is not a folder's entry.
                        continue;
                    }
                    entries.add(
                            new Entry(
                                    path,
                                    path.getName(),
                                    status.isDir() ? Kind.DIRECTORY : Kind.FILE,
                                    status.getModificationTime()));
                }
                return entries;
            }
            throw vanished;
        }

        @Override
        void checkNoLinks(Path root, String relative) {}

        @Override
        boolean delete(Path path) throws IOException {
            try {
                return fs.delete(path, false);
            } catch (FileNotFoundException e) {
                return false;
            }
        }
    }

    /** Returns {@code dir}'s child {@code name}, or null for a name a Flink path cannot hold. */
    private static Path child(Path dir, String name) {
        try {
            Path child = new Path(dir, name);
            return name.equals(child.getName()) ? child : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
