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

package dev.kiln.flink.runtime;

import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.TaskManagerOptions;

import java.util.List;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Compares the off-heap memory Kiln's page caches may hold in a TaskManager with the task off-heap
 * memory the TaskManager declares to Flink ({@value #BUDGET_OPTION}): Flink counts that budget in
 * the process size and the JVM's direct-memory limit, so caches within it cannot push the process
 * past its container. Over budget, {@link MemoryCheck#WARN} hands a warning to its sink and {@link
 * MemoryCheck#FAIL} throws; the text names both settings with their values, and the fix.
 *
 * <p>Stateless; the caller ({@link KilnCacheRegistry}) gathers the bounds.
 */
final class OffHeapBudgetCheck {

    /** Flink's option of the TaskManager's task off-heap memory. */
    static final String BUDGET_OPTION = "taskmanager.memory.task.off-heap.size";

    /** One cache's bound: the table and the bytes its pages may hold. */
    record Bound(String table, long bytes) {}

    private OffHeapBudgetCheck() {}

    /** Returns the task off-heap budget of a TaskManager's configuration (Flink's default: 0). */
    static long budgetBytes(ReadableConfig taskManager) {
        return taskManager.get(TaskManagerOptions.TASK_OFF_HEAP_MEMORY).getBytes();
    }

    /**
     * Checks the caches of a TaskManager against its budget.
     *
     * @param mode what to do over budget
     * @param budgetBytes the TaskManager's task off-heap memory
     * @param opening the table being opened
     * @param bounds the bounds of every cache open in the TaskManager once {@code opening} is
     * @param warn where a warning goes ({@link MemoryCheck#WARN})
     * @throws IllegalConfigurationException over budget with {@link MemoryCheck#FAIL}
     */
    static void check(
            MemoryCheck mode,
            long budgetBytes,
            String opening,
            List<Bound> bounds,
            Consumer<String> warn) {
        requireNonNull(mode, "mode");
        if (mode == MemoryCheck.OFF) {
            return;
        }
        long total = 0;
        for (Bound bound : bounds) {
            total += bound.bytes();
        }
        if (total <= budgetBytes) {
            return;
        }
        String problem = problem(mode, budgetBytes, opening, bounds, total);
        if (mode == MemoryCheck.FAIL) {
            throw new IllegalConfigurationException(problem);
        }
        warn.accept(problem);
    }

    private static String problem(
            MemoryCheck mode, long budgetBytes, String opening, List<Bound> bounds, long total) {
        StringBuilder caches = new StringBuilder();
        for (Bound bound : bounds) {
            caches.append(caches.length() == 0 ? "" : ", ")
                    .append(bound.table())
                    .append(": ")
                    .append(size(bound.bytes()));
        }
        return String.format(
                "Kiln's page caches in this TaskManager may hold %s off heap (%s = %s of the"
                        + " table %s being opened; every cache open here: %s), more than the"
                        + " TaskManager's task off-heap memory, %s = %s, which Flink reserves"
                        + " for it. Fix: set %s to at least %s plus headroom for the sink's"
                        + " memtables, or lower %s (in Java: CacheSettings.Builder#maximumPageBytes)."
                        + " %s = %s (WARN logs this, FAIL fails the job, OFF skips the check).",
                size(total),
                CacheSettings.PAGE_BYTES_OPTION,
                size(boundOf(opening, bounds)),
                opening,
                caches,
                BUDGET_OPTION,
                size(budgetBytes),
                BUDGET_OPTION,
                size(total),
                CacheSettings.PAGE_BYTES_OPTION,
                CacheSettings.MEMORY_CHECK_OPTION,
                mode);
    }

    private static long boundOf(String table, List<Bound> bounds) {
        for (Bound bound : bounds) {
            if (bound.table().equals(table)) {
                return bound.bytes();
            }
        }
        return 0;
    }

    private static String size(long bytes) {
        return new MemorySize(bytes).toString();
    }
}
