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

import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Path lifetimes: shared until retired, drained when their work ends, refusing loads after. */
class PathStatesTest {

    private final PathStates paths = new PathStates();
    private final Path a = new Path("file:/tmp/a.arrow");
    private final Path b = new Path("file:/tmp/b.arrow");

    @Test
    void aPathKeepsItsStateUntilRetiredAndThenStartsANewLifetime() {
        PathState first = paths.state(a);
        assertThat(paths.state(a)).isSameAs(first);
        assertThat(paths.get(a.toString())).isSameAs(first);

        assertThat(paths.retire(Set.of(a.toString()))).isDone();

        assertThat(first.retired).isTrue();
        assertThat(paths.get(a.toString())).isNull();
        PathState second = paths.state(a);
        assertThat(second).isNotSameAs(first);
        assertThat(second.retired).isFalse();
    }

    /** The cache's key of a path is the interned string, which snapshots ask by (identity). */
    @Test
    void aStatesPathIsTheInternedString() {
        String asked = new String("file:/tmp/interned.arrow");
        assertThat(paths.state(new Path(asked)).path).isSameAs(asked.intern());
    }

    @Test
    void retirementCompletesOnlyWhenTheWorkOfItsStatesHasEnded() {
        PathState state = paths.state(a);
        state.begin();
        CompletableFuture<Void> drained = paths.retire(Set.of(a.toString()));
        assertThat(drained).isNotDone();
        state.end();
        assertThat(drained).isCompleted();
    }

    @Test
    void aLoadInFlightHoldsTheDrainAndALoadAfterRetirementIsRefusedUnrun() {
        PathState state = paths.state(a);
        CompletableFuture<String> inFlight = new CompletableFuture<>();
        CompletableFuture<String> loading = state.load(() -> inFlight);

        CompletableFuture<Void> drained = paths.retire(Set.of(a.toString()));
        AtomicInteger ran = new AtomicInteger();
        CompletableFuture<String> refused =
                state.load(
                        () -> {
                            ran.incrementAndGet();
                            return CompletableFuture.completedFuture("loaded");
                        });

        assertThat(ran).hasValue(0);
        assertThat(refused).isCompletedExceptionally();
        refused.handle((value, error) -> assertThat(Uncacheable.isCause(error)).isTrue()).join();
        assertThat(drained).isNotDone();
        inFlight.complete("page");
        assertThat(loading).isCompletedWithValue("page");
        assertThat(drained).isCompleted();
    }

    @Test
    void retireAllButRetiresEveryOtherPathAndKeepsTheGivenOnes() {
        PathState kept = paths.state(a);
        PathState dropped = paths.state(b);

        assertThat(paths.retireAllBut(Set.of(a.toString()))).isDone();

        assertThat(kept.retired).isFalse();
        assertThat(dropped.retired).isTrue();
        assertThat(paths.get(a.toString())).isSameAs(kept);
        assertThat(paths.get(b.toString())).isNull();
    }

    @Test
    void retiringAPathWithoutAStateDoesNothing() {
        assertThat(paths.retire(Set.of(a.toString()))).isCompleted();
        assertThat(paths.get(a.toString())).isNull();
    }

    @Test
    void eachPageCountsAsAFirstReadOncePerLifetime() {
        PathState state = paths.state(a);
        assertThat(state.firstRead(3)).isTrue();
        assertThat(state.firstRead(3)).isFalse();
        assertThat(state.firstRead(4)).isTrue();
        paths.retire(Set.of(a.toString()));
        assertThat(paths.state(a).firstRead(3)).isTrue();
    }
}
