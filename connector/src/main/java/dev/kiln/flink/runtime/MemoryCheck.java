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

import org.apache.flink.annotation.PublicEvolving;

/**
 * What a Kiln operator does at open when the off-heap memory Kiln's caches may hold in its
 * TaskManager (the sum of the page-cache bounds, {@code cache.page-bytes}, of every table with a
 * cache open there, plus the one being opened) is larger than the TaskManager's task off-heap
 * memory ({@code taskmanager.memory.task.off-heap.size}), the memory Flink reserves for it.
 */
@PublicEvolving
public enum MemoryCheck {
    /** Log a WARN naming both settings and the fix, and run (the default). */
    WARN,
    /** Fail the operator's open with an {@code IllegalConfigurationException} naming both. */
    FAIL,
    /** Check nothing. */
    OFF
}
