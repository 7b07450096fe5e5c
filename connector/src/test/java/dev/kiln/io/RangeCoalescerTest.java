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

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RangeCoalescerTest {

    private final ExecutorService io = Executors.newFixedThreadPool(2);

    @AfterEach
    void shutdown() {
        io.shutdownNow();
    }

    private static ByteRange r(long offset, long length) {
        return ByteRange.of(offset, length);
    }

    @Test
    void mergesNeighboursWhoseHoleIsAtTheLimit() {
        RangeCoalescer c = RangeCoalescer.of(10, 1000);
        RangeCoalescer.Plan plan = c.plan(List.of(r(0, 10), r(20, 10)));
        assertThat(plan.merged()).containsExactly(r(0, 30));
    }

    @Test
    void keepsNeighboursApartWhoseHoleIsOverTheLimit() {
        RangeCoalescer c = RangeCoalescer.of(10, 1000);
        RangeCoalescer.Plan plan = c.plan(List.of(r(0, 10), r(21, 10)));
        assertThat(plan.merged()).containsExactly(r(0, 10), r(21, 10));
    }

    @Test
    void zeroHoleLimitMergesOnlyTouchingRanges() {
        RangeCoalescer c = RangeCoalescer.of(0, 1000);
        RangeCoalescer.Plan plan = c.plan(List.of(r(0, 10), r(10, 5), r(16, 4)));
        assertThat(plan.merged()).containsExactly(r(0, 15), r(16, 4));
    }

    @Test
    void rangeSizeLimitStartsANewRange() {
        RangeCoalescer c = RangeCoalescer.of(100, 20);
        RangeCoalescer.Plan plan = c.plan(List.of(r(0, 10), r(10, 10), r(20, 10), r(30, 10)));
        assertThat(plan.merged()).containsExactly(r(0, 20), r(20, 20));
        assertThat(plan.mergedIndexOf(0)).isEqualTo(0);
        assertThat(plan.mergedIndexOf(1)).isEqualTo(0);
        assertThat(plan.mergedIndexOf(2)).isEqualTo(1);
        assertThat(plan.mergedIndexOf(3)).isEqualTo(1);
    }

    @Test
    void aRangeLongerThanTheLimitIsReadAloneAndNotSplit() {
        RangeCoalescer c = RangeCoalescer.of(100, 20);
        RangeCoalescer.Plan plan = c.plan(List.of(r(0, 5), r(5, 50), r(55, 5)));
        assertThat(plan.merged()).containsExactly(r(0, 5), r(5, 50), r(55, 5));
    }

    @Test
    void unsortedOverlappingAndDuplicateInputsMapBackInInputOrder() {
        RangeCoalescer c = RangeCoalescer.of(4, 1000);
        List<ByteRange> requested =
                List.of(r(50, 10), r(0, 10), r(5, 10), r(0, 10), r(100, 1), r(58, 4));
        RangeCoalescer.Plan plan = c.plan(requested);
        assertThat(plan.merged()).containsExactly(r(0, 15), r(50, 12), r(100, 1));
        for (int i = 0; i < requested.size(); i++) {
            ByteRange holder = plan.merged().get(plan.mergedIndexOf(i));
            assertThat(holder.contains(requested.get(i))).as("range %d", i).isTrue();
        }
        byte[] file = bytes(200, 7);
        List<byte[]> merged = new ArrayList<>();
        for (ByteRange m : plan.merged()) {
            merged.add(Arrays.copyOfRange(file, (int) m.offset(), (int) m.end()));
        }
        List<byte[]> sliced = plan.slice(merged);
        for (int i = 0; i < requested.size(); i++) {
            ByteRange q = requested.get(i);
            assertThat(sliced.get(i))
                    .isEqualTo(Arrays.copyOfRange(file, (int) q.offset(), (int) q.end()));
        }
    }

    @Test
    void emptyRangesNeedNoRead() {
        RangeCoalescer.Plan plan = RangeCoalescer.defaults().plan(List.of(r(10, 0), r(20, 5)));
        assertThat(plan.merged()).containsExactly(r(20, 5));
        assertThat(plan.mergedIndexOf(0)).isEqualTo(-1);
        List<byte[]> sliced = plan.slice(List.of(new byte[5]));
        assertThat(sliced.get(0)).isEmpty();
        assertThat(RangeCoalescer.defaults().plan(List.of()).merged()).isEmpty();
    }

    @Test
    void sliceRejectsMergedBytesOfTheWrongShape() {
        RangeCoalescer.Plan plan = RangeCoalescer.defaults().plan(List.of(r(0, 5)));
        assertThatThrownBy(() -> plan.slice(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 1 merged reads");
        assertThatThrownBy(() -> plan.slice(List.of(new byte[4])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 4 bytes");
    }

    @Test
    void invalidOptionsAreRejectedNamingTheOption() {
        assertThatThrownBy(() -> RangeCoalescer.of(-1, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holeSizeLimit");
        assertThatThrownBy(() -> RangeCoalescer.of(1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rangeSizeLimit");
        assertThatThrownBy(() -> ByteRange.of(-1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset");
        assertThatThrownBy(() -> ByteRange.of(0, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length");
    }

    @Test
    void defaultsAreDocumentedValues() {
        assertThat(RangeCoalescer.defaults().holeSizeLimit()).isEqualTo(1L << 20);
        assertThat(RangeCoalescer.defaults().rangeSizeLimit()).isEqualTo(32L << 20);
    }

    @Test
    void readIssuesOneRequestPerMergedRangeAndReturnsExactBytes(@TempDir java.nio.file.Path dir)
            throws Exception {
        byte[] content = bytes(100_000, 3);
        java.nio.file.Path file = dir.resolve("data.bin");
        Files.write(file, content);
        Path path = new Path(file.toUri());
        InstrumentedRangeReader reader = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));

        Random random = new Random(42);
        List<ByteRange> requested = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long offset = random.nextInt(99_000);
            requested.add(r(offset, 1 + random.nextInt(999)));
        }
        RangeCoalescer c = RangeCoalescer.of(512, 16_384);
        int expectedRequests = c.plan(requested).merged().size();
        assertThat(expectedRequests).isBetween(2, 39);

        List<byte[]> result = c.read(reader, path, requested).join();

        assertThat(reader.requests(path)).isEqualTo(expectedRequests);
        assertThat(reader.ranges(path))
                .containsExactlyInAnyOrderElementsOf(c.plan(requested).merged());
        for (int i = 0; i < requested.size(); i++) {
            ByteRange q = requested.get(i);
            assertThat(result.get(i))
                    .isEqualTo(Arrays.copyOfRange(content, (int) q.offset(), (int) q.end()));
        }
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
