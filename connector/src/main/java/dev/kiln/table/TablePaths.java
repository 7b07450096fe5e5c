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

import org.apache.flink.core.fs.Path;

import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where a table keeps what: the one place that knows the layout under the root. */
final class TablePaths {

    static final String META_DIR = "_kiln";
    static final String TABLE_FILE = META_DIR + "/table.json";
    static final String MANIFEST_DIR = META_DIR + "/manifests";
    static final String TEMP_DIR = META_DIR + "/tmp";
    static final String DATA_DIR = "data";
    static final String VERSION_HINT = META_DIR + "/version-hint";

    private static final Pattern BUCKET_DIR_NAME = Pattern.compile("bucket-\\d{1,10}");

    private static final Pattern MANIFEST_NAME = Pattern.compile("manifest-(\\d{20})\\.json");
    private static final String TEMP_PREFIX = ".tmp-";

    /** How the name of a clock marker ({@link #clockMarker}) starts. */
    static final String CLOCK_MARKER_PREFIX = ".clock-";

    private final Path root;

    TablePaths(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path tableFile() {
        return new Path(root, TABLE_FILE);
    }

    Path manifestDir() {
        return new Path(root, MANIFEST_DIR);
    }

    Path manifest(long version) {
        return new Path(manifestDir(), String.format(Locale.ROOT, "manifest-%020d.json", version));
    }

    /**
     * A unique file in the temporary folder, where a publish of {@code target} writes first. It is
     * not in the manifests folder, so listing manifests never races with temporary files.
     */
    Path temporary(Path target) {
        return new Path(tempDir(), TEMP_PREFIX + target.getName() + "-" + UUID.randomUUID());
    }

    /**
     * A unique file in the temporary folder that an orphan cleanup writes and deletes to read the
     * storage's clock (see {@link KilnTable#removeOrphans}); one left behind is removed as a
     * temporary file.
     */
    Path clockMarker() {
        return new Path(tempDir(), CLOCK_MARKER_PREFIX + UUID.randomUUID());
    }

    Path tempDir() {
        return new Path(root, TEMP_DIR);
    }

    /**
     * The version hint: the decimal number of a recent version, rewritten after each publish. Never
     * trusted blindly (see {@link KilnTable#latestVersion()}).
     */
    Path versionHint() {
        return new Path(root, VERSION_HINT);
    }

    /**
     * Returns the version a manifest file name holds, or -1 if it is not a manifest's name (wrong
     * pattern, or a number no version can have).
     */
    static long manifestVersion(Path path) {
        return manifestVersion(path.getName());
    }

    static long manifestVersion(String name) {
        Matcher m = MANIFEST_NAME.matcher(name);
        if (!m.matches()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Returns whether {@code name} is the name of a bucket folder under the data folder. */
    static boolean isBucketFolder(String name) {
        return BUCKET_DIR_NAME.matcher(name).matches();
    }

    static String newGenerationPath(int bucket) {
        return DATA_DIR + "/bucket-" + bucket + "/g-" + UUID.randomUUID() + ".arrow";
    }

    /**
     * Resolves a generation path relative to the root, after checking that it stays under the data
     * folder: no scheme, not absolute, no {@code .} or {@code ..} segment, no backslash.
     *
     * @throws IllegalArgumentException naming the path if it could leave the table root
     */
    Path resolve(String relative) {
        return new Path(root, checkRelative(relative));
    }

    static String checkRelative(String relative) {
        if (relative.isEmpty()
                || relative.startsWith("/")
                || relative.contains(":")
                || relative.contains("\\")
                || !relative.startsWith(DATA_DIR + "/")) {
            throw new IllegalArgumentException(
                    "generation path '" + relative + "' is not under the table's data folder");
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException(
                        "generation path '" + relative + "' is not under the table's data folder");
            }
        }
        return relative;
    }
}
