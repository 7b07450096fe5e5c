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

import dev.kiln.flink.runtime.OffHeapBudgetCheck.Bound;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OffHeapBudgetCheckTest {

    private static final long MB = 1L << 20;

    /** Two tables open, a third being opened: 256 + 64 + 32 mb. */
    private static final List<Bound> THREE_TABLES =
            List.of(
                    new Bound("s3://b/opening", 32 * MB),
                    new Bound("s3://b/orders", 256 * MB),
                    new Bound("s3://b/customers", 64 * MB));

    private static final long TOTAL = 352 * MB;

    static Stream<Arguments> budgets() {
        return Stream.of(
                Arguments.of("0 (Flink's default)", 0L, true),
                Arguments.of("below", TOTAL - 1, true),
                Arguments.of("equal", TOTAL, false),
                Arguments.of("above", TOTAL + 1, false),
                Arguments.of("a TaskManager of 4 GB with 512 mb", 512 * MB, false));
    }

    @ParameterizedTest(name = "budget {0}")
    @MethodSource("budgets")
    void warnNamesBothSettingsWithTheirValuesOnlyOverBudget(
            String name, long budget, boolean over) {
        List<String> warnings = new ArrayList<>();
        OffHeapBudgetCheck.check(
                MemoryCheck.WARN, budget, "s3://b/opening", THREE_TABLES, warnings::add);
        if (!over) {
            assertThat(warnings).isEmpty();
            return;
        }
        assertThat(warnings).singleElement().satisfies(w -> assertNamesBoth(w, budget));
        assertThat(warnings.get(0)).contains("cache.memory-check = WARN");
    }

    @ParameterizedTest(name = "budget {0}")
    @MethodSource("budgets")
    void failThrowsNamingBothSettingsOnlyOverBudget(String name, long budget, boolean over) {
        List<String> warnings = new ArrayList<>();
        if (!over) {
            OffHeapBudgetCheck.check(
                    MemoryCheck.FAIL, budget, "s3://b/opening", THREE_TABLES, warnings::add);
            assertThat(warnings).isEmpty();
            return;
        }
        assertThatThrownBy(
                        () ->
                                OffHeapBudgetCheck.check(
                                        MemoryCheck.FAIL,
                                        budget,
                                        "s3://b/opening",
                                        THREE_TABLES,
                                        warnings::add))
                .isInstanceOf(IllegalConfigurationException.class)
                .satisfies(e -> assertNamesBoth(e.getMessage(), budget))
                .hasMessageContaining("cache.memory-check = FAIL");
        assertThat(warnings).as("FAIL throws, it does not also warn").isEmpty();
    }

    @ParameterizedTest(name = "budget {0}")
    @MethodSource("budgets")
    void offChecksNothing(String name, long budget, boolean over) {
        List<String> warnings = new ArrayList<>();
        OffHeapBudgetCheck.check(
                MemoryCheck.OFF, budget, "s3://b/opening", THREE_TABLES, warnings::add);
        assertThat(warnings).isEmpty();
    }

    @Test
    void oneTableOfTheDefaultBoundAgainstFlinksDefaultBudget() {
        List<String> warnings = new ArrayList<>();
        OffHeapBudgetCheck.check(
                MemoryCheck.WARN,
                OffHeapBudgetCheck.budgetBytes(new Configuration()),
                "file:/t",
                List.of(new Bound("file:/t", CacheSettings.defaults().maximumPageBytes())),
                warnings::add);
        assertThat(warnings)
                .singleElement()
                .asString()
                .contains("cache.page-bytes = 256 mb of the table file:/t")
                .contains("taskmanager.memory.task.off-heap.size = 0 bytes")
                .contains("at least 256 mb");
    }

    @Test
    void theBudgetIsTheTaskManagersTaskOffHeapMemory() {
        assertThat(OffHeapBudgetCheck.BUDGET_OPTION)
                .isEqualTo(TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key());
        Configuration config = new Configuration();
        config.set(TaskManagerOptions.TASK_OFF_HEAP_MEMORY, MemorySize.parse("1g"));
        assertThat(OffHeapBudgetCheck.budgetBytes(config)).isEqualTo(1L << 30);
    }

    private static void assertNamesBoth(String text, long budget) {
        assertThat(text)
                .contains("cache.page-bytes = 32 mb of the table s3://b/opening")
                .contains("s3://b/orders: 256 mb")
                .contains("s3://b/customers: 64 mb")
                .contains("may hold 352 mb off heap")
                .contains(
                        "taskmanager.memory.task.off-heap.size = "
                                + new MemorySize(budget).toString())
                .contains("set taskmanager.memory.task.off-heap.size to at least 352 mb")
                .contains("lower cache.page-bytes");
    }
}
