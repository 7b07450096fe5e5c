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

import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;

/**
 * Thrown when a page of a generation being written cannot be encoded: its codec failed (for example
 * the compressor threw, or its native library is missing from the class path, a {@link
 * NoClassDefFoundError}). The write fails, the partial file is deleted, and every buffer the
 * encoding allocated is released. The message names the file, the page and the codec; the cause is
 * the codec's error.
 */
@PublicEvolving
public class PageEncodingException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String path;

    /**
     * @param path the file being written
     * @param message what failed, without the path
     * @param cause the codec's error
     */
    public PageEncodingException(String path, String message, Throwable cause) {
        super(path + ": " + message, cause);
        this.path = path;
    }

    /** Returns the file that was being written. */
    public String path() {
        return path;
    }
}
