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

package dev.kiln.warm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Work in flight and the close that waits for it. */
class WorkInFlightTest {

    private final AtomicInteger settled = new AtomicInteger();
    private final WorkInFlight work = new WorkInFlight(settled::incrementAndGet);

    @Test
    void theCloseCompletesOnceTheLoadsInFlightAndTheLivePagesHaveEnded() {
        CompletableFuture<String> load = new CompletableFuture<>();
        CompletableFuture<String> tracked = work.track(() -> load);
        work.pageDecoded();
        assertThat(work.loadsInFlight()).isEqualTo(1);
        assertThat(work.livePages()).isEqualTo(1);

        assertThat(work.close()).isTrue();
        assertThat(work.close()).as("only the first close closes").isFalse();
        work.settle();
        CompletableFuture<Void> closed = work.closeFuture();
        assertThat(closed).isNotDone();

        load.complete("page");
        assertThat(tracked).isCompletedWithValue("page");
        assertThat(closed).isNotDone();
        work.pageReleased();

        assertThat(closed).isCompleted();
        assertThat(work.closeFuture()).isCompleted();
        assertThat(settled).as("the final action runs once").hasValue(1);
        work.settle();
        assertThat(settled).hasValue(1);
    }

    @Test
    void noWorkStartsOnceClosed() {
        work.close();
        AtomicInteger ran = new AtomicInteger();
        CompletableFuture<String> refused =
                work.track(
                        () -> {
                            ran.incrementAndGet();
                            return CompletableFuture.completedFuture("loaded");
                        });

        assertThat(ran).hasValue(0);
        assertThat(refused)
                .failsWithin(java.time.Duration.ZERO)
                .withThrowableThat()
                .withCauseInstanceOf(IllegalStateException.class)
                .withMessageContaining("generation cache is closed");
        assertThat(work.closeFuture()).as("the refused work was not left in flight").isCompleted();
    }

    @Test
    void workThatThrowsFailsItsFutureAndIsNotLeftInFlight() {
        CompletableFuture<String> failed =
                work.track(
                        () -> {
                            throw new IllegalArgumentException("bad");
                        });
        assertThat(failed).isCompletedExceptionally();
        assertThat(work.loadsInFlight()).isZero();
    }

    @Test
    void aFinalActionThatThrowsFailsTheClose() {
        WorkInFlight leaking =
                new WorkInFlight(
                        () -> {
                            throw new IllegalStateException("leaked 1 byte");
                        });
        leaking.close();
        leaking.settle();
        assertThat(leaking.closeFuture())
                .failsWithin(java.time.Duration.ZERO)
                .withThrowableThat()
                .withMessageContaining("leaked 1 byte");
    }
}
