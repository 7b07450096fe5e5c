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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BloomFilterTest {

    private static byte[] key(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.01, 0.001})
    void hasNoFalseNegativesAndStaysNearItsFalsePositiveRate(double rate) {
        int n = 20_000;
        int probes = 200_000;
        Random random = new Random(12345);
        Set<Long> inserted = new HashSet<>();
        BloomFilter filter = BloomFilter.create(n, rate);
        while (inserted.size() < n) {
            long v = random.nextLong();
            if (inserted.add(v)) {
                filter.put(key(v));
            }
        }
        for (long v : inserted) {
            assertThat(filter.mightContain(key(v))).isTrue();
        }
        int falsePositives = 0;
        int tried = 0;
        while (tried < probes) {
            long v = random.nextLong();
            if (inserted.contains(v)) {
                continue;
            }
            tried++;
            if (filter.mightContain(key(v))) {
                falsePositives++;
            }
        }
        double observed = (double) falsePositives / probes;
        // The count is binomial: mean probes*rate, sd ~ sqrt(probes*rate). Allow the sizing's
        // rounding (up to ~10%) plus 4 standard deviations; a broken hash is far outside this.
        double bound = rate * 1.1 + 4 * Math.sqrt(rate / probes);
        assertThat(observed).as("false-positive rate at %s", rate).isLessThan(bound);
        assertThat(observed).isGreaterThan(rate / 4);
    }

    @Test
    void roundTripsThroughItsSerializedForm() {
        BloomFilter filter = BloomFilter.create(1000, 0.01);
        for (long i = 0; i < 1000; i++) {
            filter.put(key(i));
        }
        ByteBuffer bytes = ByteBuffer.allocate(filter.serializedSize());
        filter.writeTo(bytes);
        bytes.flip();
        BloomFilter copy = BloomFilter.readFrom(bytes);
        assertThat(copy.hashCount()).isEqualTo(filter.hashCount());
        assertThat(copy.bitCount()).isEqualTo(filter.bitCount());
        for (long i = 0; i < 2000; i++) {
            assertThat(copy.mightContain(key(i))).isEqualTo(filter.mightContain(key(i)));
        }
        assertThatThrownBy(
                        () ->
                                BloomFilter.readFrom(
                                        ByteBuffer.wrap(new byte[] {0, 0, 0, 99, 0, 0, 0, 1})))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anEmptyFilterContainsNothing() {
        BloomFilter filter = BloomFilter.create(0, 0.01);
        for (long i = 0; i < 100; i++) {
            assertThat(filter.mightContain(key(i))).isFalse();
        }
    }

    @Test
    void theHashOfAKeyInABlockOfKeysIsTheHashOfTheKeyAlone() {
        Random random = new Random(22);
        for (int length = 0; length <= 70; length++) {
            for (int from = 0; from < 10; from++) {
                byte[] block = new byte[from + length + 7];
                random.nextBytes(block);
                byte[] key = java.util.Arrays.copyOfRange(block, from, from + length);
                assertThat(BloomFilter.hash(block, from, from + length))
                        .as("length %d at %d", length, from)
                        .isEqualTo(BloomFilter.hash(key));
            }
        }
    }

    /**
     * The bit a hash sets is bit {@code h mod bits} (unsigned) of the filter, as files written
     * before the word was found without a division hold it: for filters of 1 to millions of words
     * and hashes at the edges of the unsigned range and random.
     */
    @Test
    void aHashSetsTheBitOfItsUnsignedRemainder() {
        Random random = new Random(22);
        long[] edges = {0, 1, 63, 64, -1, -64, -65, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 58};
        for (long keys : new long[] {1, 7, 50, 400, 401, 999, 30_000, 123_457, 2_000_000}) {
            BloomFilter filter = BloomFilter.create(keys, 0.01);
            long bits = filter.bitCount();
            long words = bits / 64;
            for (int i = 0; i < 200_000; i++) {
                long h = i < edges.length ? edges[i] : random.nextLong();
                if (i % 3 == 0 && i >= edges.length) {
                    // hashes near a multiple of the filter's size, where a quotient is off by one
                    h = Long.divideUnsigned(h, bits) * bits + (i % 6) - 3;
                }
                long bit = Long.remainderUnsigned(h, bits);
                assertThat(filter.wordOf(h))
                        .as("hash %d in %d words", h, words)
                        .isEqualTo(bit >>> 6);
                assertThat(bit & 63).isEqualTo(h & 63);
            }
        }
    }
}
