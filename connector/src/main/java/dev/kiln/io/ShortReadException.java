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

package dev.kiln.io;

import org.apache.flink.annotation.Internal;

import java.io.EOFException;

/**
 * Thrown (as the cause of a failed future) when a range read returned fewer bytes than its range:
 * the file ended early, or a store or proxy cut the response short. Names the path, the range and
 * the offset at which the bytes stopped.
 */
@Internal
public final class ShortReadException extends EOFException {

    private static final long serialVersionUID = 1L;

    private final ByteRange range;
    private final long bytesRead;

    public ShortReadException(String path, ByteRange range, long bytesRead) {
        super(
                "read of range "
                        + range
                        + " of "
                        + path
                        + " returned "
                        + bytesRead
                        + " bytes: the data ends at offset "
                        + (range.offset() + bytesRead));
        this.range = range;
        this.bytesRead = bytesRead;
    }

    /** Returns the range that was asked for. */
    public ByteRange range() {
        return range;
    }

    /** Returns the offset in the file at which the returned bytes stopped. */
    public long endOffset() {
        return range.offset() + bytesRead;
    }
}
