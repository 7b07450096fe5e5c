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

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.apache.flink.table.functions.FunctionContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * Finds the configuration of the TaskManager a function runs in (in a MiniCluster, the
 * MiniCluster's), for {@link KilnCacheRegistry#acquire(org.apache.flink.core.fs.Path,
 * CacheSettings, org.apache.flink.configuration.ReadableConfig)}'s memory check.
 *
 * <p>An operator's {@link StreamingRuntimeContext} has it. Flink gives a function no public way to
 * it: a {@code RichAsyncFunction} sees a wrapper of that context, a SQL function a {@link
 * FunctionContext} over one. Kiln follows the wrappers' fields of type {@link RuntimeContext} to
 * the operator's context; if a Flink version wraps otherwise, it returns {@code null} (the check is
 * then skipped, logged at INFO), never failing the function. {@code TaskManagerConfigTest} and the
 * memory tests of the lookups run Flink's own wrappers.
 */
@Internal
public final class TaskManagerConfig {

    private static final Logger LOG = LoggerFactory.getLogger(TaskManagerConfig.class);

    /** How many wrappers deep the operator's context is looked for. */
    private static final int MAX_DEPTH = 4;

    private TaskManagerConfig() {}

    /** Returns the TaskManager's configuration, or {@code null} if it cannot be found. */
    @Nullable
    public static Configuration of(RuntimeContext context) {
        return found(unwrap(context, 0), context);
    }

    /** Returns the TaskManager's configuration, or {@code null} if it cannot be found. */
    @Nullable
    public static Configuration of(FunctionContext context) {
        return found(unwrap(context, 0), context);
    }

    /**
     * Returns the TaskManager's configuration behind a sink writer's context (Flink's holds the
     * operator's context in a field), or {@code null} if it cannot be found.
     */
    @Nullable
    public static Configuration of(WriterInitContext context) {
        return found(unwrap(context, 0), context);
    }

    @Nullable
    private static Configuration found(@Nullable Configuration config, Object context) {
        if (config == null) {
            LOG.info(
                    "Kiln cannot find the TaskManager's configuration behind {}: the check of its"
                            + " cache bounds against taskmanager.memory.task.off-heap.size is"
                            + " skipped.",
                    context.getClass().getName());
        }
        return config;
    }

    @Nullable
    private static Configuration unwrap(@Nullable Object context, int depth) {
        if (context instanceof StreamingRuntimeContext operator) {
            return operator.getTaskManagerRuntimeInfo().getConfiguration();
        }
        if (context == null || depth >= MAX_DEPTH) {
            return null;
        }
        for (Class<?> type = context.getClass(); type != null; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())
                        || !RuntimeContext.class.isAssignableFrom(field.getType())) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    Configuration config = unwrap(field.get(context), depth + 1);
                    if (config != null) {
                        return config;
                    }
                } catch (IllegalAccessException | RuntimeException e) {
                    LOG.debug("Cannot read {} of {}.", field.getName(), type.getName(), e);
                }
            }
        }
        return null;
    }
}
