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

import java.io.Serializable;
import java.util.Locale;

/**
 * How the buffers of the pages a writer writes are compressed: Arrow IPC's standard buffer
 * compression, {@code none}, {@code lz4-frame} or {@code zstd} (with a level). Readers decode
 * whatever codec a page says, so a table's generations may mix codecs; this choice only affects the
 * generations written with it. See {@code docs/format.md}.
 *
 * <p>Immutable, thread-safe and {@link Serializable}; equal by codec and level.
 */
@PublicEvolving
public final class PageCompression implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The ZSTD level used when none is given: 3, ZSTD's own default. */
    public static final int DEFAULT_ZSTD_LEVEL = 3;

    /** The lowest ZSTD level accepted (fastest). */
    public static final int MIN_ZSTD_LEVEL = 1;

    /** The highest ZSTD level accepted (smallest, slowest). */
    public static final int MAX_ZSTD_LEVEL = 22;

    /** Uncompressed pages (every Arrow reader reads them, no codec needed). */
    public static final PageCompression NONE = new PageCompression(Codec.NONE, 0);

    /** LZ4 frame compressed page buffers. */
    public static final PageCompression LZ4_FRAME = new PageCompression(Codec.LZ4_FRAME, 0);

    /** ZSTD compressed page buffers at {@link #DEFAULT_ZSTD_LEVEL}. */
    public static final PageCompression ZSTD = new PageCompression(Codec.ZSTD, DEFAULT_ZSTD_LEVEL);

    /** A codec of Arrow IPC buffer compression. */
    @PublicEvolving
    public enum Codec {
        /** No compression. */
        NONE("none"),
        /** LZ4 frame format. */
        LZ4_FRAME("lz4-frame"),
        /** Zstandard. */
        ZSTD("zstd");

        private final String optionValue;

        Codec(String optionValue) {
            this.optionValue = optionValue;
        }

        /** Returns how options name this codec: {@code none}, {@code lz4-frame}, {@code zstd}. */
        public String optionValue() {
            return optionValue;
        }
    }

    private final Codec codec;
    private final int level;

    private PageCompression(Codec codec, int level) {
        this.codec = codec;
        this.level = level;
    }

    /**
     * Returns ZSTD compression at {@code level}.
     *
     * @throws IllegalArgumentException unless {@code level} is in [{@value #MIN_ZSTD_LEVEL},
     *     {@value #MAX_ZSTD_LEVEL}]
     */
    public static PageCompression zstd(int level) {
        return new PageCompression(Codec.ZSTD, checkLevel("compression level", level));
    }

    /**
     * Parses an option: {@code codec} is {@code none}, {@code lz4-frame} or {@code zstd} (case
     * ignored); {@code level} applies to {@code zstd} only ({@code null}: {@value
     * #DEFAULT_ZSTD_LEVEL}).
     *
     * @param option how the caller names the codec setting, for the error
     * @param levelOption how the caller names the level setting, for the error
     * @throws IllegalArgumentException naming the option if the codec is unknown, or naming the
     *     level option if the level is out of range or given for a codec without levels
     */
    public static PageCompression parse(
            String option, String codec, String levelOption, Integer level) {
        String name = codec == null ? "" : codec.trim().toLowerCase(Locale.ROOT);
        for (Codec c : Codec.values()) {
            if (c.optionValue.equals(name)) {
                if (c == Codec.ZSTD) {
                    return new PageCompression(
                            c, level == null ? DEFAULT_ZSTD_LEVEL : checkLevel(levelOption, level));
                }
                if (level != null) {
                    throw new IllegalArgumentException(
                            levelOption
                                    + " applies to zstd only, but "
                                    + option
                                    + " is '"
                                    + c.optionValue
                                    + "'");
                }
                return c == Codec.NONE ? NONE : LZ4_FRAME;
            }
        }
        throw new IllegalArgumentException(
                option + " must be one of none, lz4-frame, zstd, but was '" + codec + "'");
    }

    private static int checkLevel(String option, int level) {
        if (level < MIN_ZSTD_LEVEL || level > MAX_ZSTD_LEVEL) {
            throw new IllegalArgumentException(
                    option
                            + " must be in ["
                            + MIN_ZSTD_LEVEL
                            + ", "
                            + MAX_ZSTD_LEVEL
                            + "], but was "
                            + level);
        }
        return level;
    }

    /** Returns the codec. */
    public Codec codec() {
        return codec;
    }

    /** Returns the ZSTD level; 0 for the other codecs. */
    public int level() {
        return level;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageCompression other && codec == other.codec && level == other.level;
    }

    @Override
    public int hashCode() {
        return 31 * codec.hashCode() + level;
    }

    /** Returns {@code none}, {@code lz4-frame} or {@code zstd(<level>)}. */
    @Override
    public String toString() {
        return codec == Codec.ZSTD ? "zstd(" + level + ")" : codec.optionValue;
    }

    private Object readResolve() {
        return codec == Codec.NONE ? NONE : codec == Codec.LZ4_FRAME ? LZ4_FRAME : this;
    }
}
