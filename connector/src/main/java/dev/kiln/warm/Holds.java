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

import org.apache.flink.core.fs.Path;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The holds readers sharing a {@link GenerationCache} take on the paths of their snapshots ({@link
 * GenerationCache#holdPaths}), counted per path, not per holder: a path whose last hold is given up
 * becomes evictable, unless held again before its eviction runs. Thread-safe.
 */
final class Holds {

    /** Guarded by itself. */
    private final Map<String, Integer> holds = new HashMap<>();

    /** Takes one hold on each of {@code held}. */
    void hold(Set<Path> held) {
        requireNonNull(held, "held");
        synchronized (holds) {
            for (Path path : held) {
                holds.merge(path.toString(), 1, Integer::sum);
            }
        }
    }

    /**
     * Gives up one hold on each of {@code held}, all or nothing.
     *
     * @return the paths of {@code held} that no holder holds any more
     * @throws IllegalStateException if a path of {@code held} has no hold (nothing is released)
     */
    Set<Path> release(Set<Path> held) {
        requireNonNull(held, "held");
        Set<Path> unheld = new HashSet<>();
        synchronized (holds) {
            for (Path path : held) {
                if (!holds.containsKey(path.toString())) {
                    throw new IllegalStateException("no hold on " + path + " to release");
                }
            }
            for (Path path : held) {
                String key = path.toString();
                if (holds.merge(key, -1, Integer::sum) == 0) {
                    holds.remove(key);
                    unheld.add(path);
                }
            }
        }
        return unheld;
    }

    /**
     * Drops from {@code unheld} the paths held again since they were released and applies {@code
     * evict} to the rest, under the lock, so that no hold is taken in between.
     */
    <T> T evictUnheld(Set<Path> unheld, Function<Set<Path>, T> evict) {
        synchronized (holds) {
            unheld.removeIf(path -> holds.containsKey(path.toString()));
            return evict.apply(unheld);
        }
    }

    /** Returns how many holds {@code path} has now. */
    int holdsOf(Path path) {
        synchronized (holds) {
            return holds.getOrDefault(path.toString(), 0);
        }
    }
}
