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

package dev.kiln.format;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

/**
 * Thrown when a generation was written in a format version this reader does not know (typically by
 * a newer Kiln). The file may be intact; this reader cannot interpret it.
 */
@Internal
public final class UnsupportedFormatVersionException extends CorruptGenerationException {

    private static final long serialVersionUID = 1L;

    private final String version;

    UnsupportedFormatVersionException(Path path, long offset, String version) {
        super(
                path,
                offset,
                "format version "
                        + version
                        + " is not supported (this reader supports "
                        + GenerationFormat.FORMAT_VERSION_BASE64_INDEX
                        + " to "
                        + GenerationFormat.FORMAT_VERSION
                        + ")");
        this.version = version;
    }

    /** Returns the format version the file declares, as written. */
    public String version() {
        return version;
    }
}
