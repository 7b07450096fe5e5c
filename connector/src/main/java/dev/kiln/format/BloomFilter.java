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

import java.nio.ByteBuffer;

/**
 * A Bloom filter over encoded keys: no false negatives, false positives at about the rate it was
 * sized for. Bits are set by double hashing (Kirsch and Mitzenmacher) from one XXH64 of the key
 * with a seed of its own, so that its bits are independent of the bucket hash ({@link
 * KeyCodec#hash64}): all keys of one bucket share {@code hash mod B}, and reusing that hash would
 * crowd them onto a fraction of the bits.
 *
 * <p>Serialized as: int number of hash functions, int number of 64-bit words, the words (all
 * big-endian). Not thread-safe while being filled; immutable after.
 */
final class BloomFilter {

    private static final long SEED = 0x5EEDB100F1L;
    private static final int MAX_HASHES = 30;

    /** Below this many words a word index is found by division, above by {@link #wordOf}. */
    private static final int MIN_WORDS_BY_RECIPROCAL = 64;

    private final long[] words;
    private final int hashes;
    private final long bits;
    private final double wordsReciprocal;

    private BloomFilter(long[] words, int hashes) {
        this.words = words;
        this.hashes = hashes;
        this.bits = (long) words.length * 64;
        this.wordsReciprocal = 1.0 / words.length;
    }

    /** Returns an empty filter sized for {@code expectedKeys} at {@code falsePositiveRate}. */
    static BloomFilter create(long expectedKeys, double falsePositiveRate) {
        long n = Math.max(1, expectedKeys);
        double ln2 = Math.log(2);
        double m = -n * Math.log(falsePositiveRate) / (ln2 * ln2);
        long words = Math.max(1, (long) Math.ceil(m / 64));
        if (words > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a filter of " + n + " keys is too large");
        }
        int k = (int) Math.max(1, Math.min(MAX_HASHES, Math.round(words * 64.0 / n * ln2)));
        return new BloomFilter(new long[(int) words], k);
    }

    void put(byte[] key) {
        putHash(hash(key));
    }

    /** Returns the hash of {@code key} that {@link #putHash} takes: the same for every filter. */
    static long hash(byte[] key) {
        return XxHash64.hash(key, SEED);
    }

    /** As {@link #hash(byte[])} of the key {@code keys[from, to)}. */
    static long hash(byte[] keys, int from, int to) {
        return XxHash64.hash(keys, from, to - from, SEED);
    }

    /** Adds the key whose {@link #hash} is {@code h1}: the same as {@code put} of that key. */
    void putHash(long h1) {
        long h2 = mix(h1);
        for (int i = 0; i < hashes; i++) {
            long h = h1 + i * h2;
            words[wordOf(h)] |= 1L << h;
        }
    }

    boolean mightContain(byte[] key) {
        long h1 = XxHash64.hash(key, SEED);
        long h2 = mix(h1);
        for (int i = 0; i < hashes; i++) {
            long h = h1 + i * h2;
            if ((words[wordOf(h)] & (1L << h)) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The word holding bit {@code h mod bits} ({@code h} unsigned), whose place in the word is
     * {@code h mod 64} since {@code bits} is a multiple of 64: {@code (h >>> 6) mod words}, with
     * the quotient estimated by a multiplication in floating point and corrected, not a 64-bit
     * division (tens of cycles, {@link #hashes} times per key).
     */
    int wordOf(long h) {
        long y = h >>> 6;
        int count = words.length;
        if (count < MIN_WORDS_BY_RECIPROCAL) {
            return (int) (y % count);
        }
        // y < 2^58 and count >= 64: the estimate is off by at most 3 either way.
        long r = y - (long) (y * wordsReciprocal) * count;
        while (r < 0) {
            r += count;
        }
        while (r >= count) {
            r -= count;
        }
        return (int) r;
    }

    int hashCount() {
        return hashes;
    }

    long bitCount() {
        return bits;
    }

    int serializedSize() {
        return 8 + words.length * 8;
    }

    void writeTo(ByteBuffer out) {
        out.putInt(hashes);
        out.putInt(words.length);
        for (long w : words) {
            out.putLong(w);
        }
    }

    /**
     * Reads a filter written by {@link #writeTo}.
     *
     * @throws IllegalArgumentException if the bytes do not hold a valid filter
     */
    static BloomFilter readFrom(ByteBuffer in) {
        int k = in.getInt();
        int n = in.getInt();
        if (k < 1 || k > MAX_HASHES || n < 1 || n > in.remaining() / 8) {
            throw new IllegalArgumentException(
                    "invalid filter header: " + k + " hashes, " + n + " words");
        }
        long[] words = new long[n];
        for (int i = 0; i < n; i++) {
            words[i] = in.getLong();
        }
        return new BloomFilter(words, k);
    }

    /** SplitMix64's finalizer: a second, independent-looking hash derived from the first. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) | 1L;
    }
}
