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

import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationWarmer;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * Creates an extra {@link GenerationWarmer} in each subtask of a {@link
 * dev.kiln.flink.sink.KilnSink}'s warm step, in addition to the default warmer of the TaskManager's
 * shared cache. The sink runs each warmer behind a {@link dev.kiln.warm.WarmGate} of its own
 * (joined, bounded, with the sink's deadline) and publishes a generation only after every warmer
 * settled on it or the deadline passed.
 *
 * <p>Shipped to the tasks, so it must be serializable. {@link #create} runs once per subtask, in
 * the warm operator's {@code open}, on the task thread.
 */
@PublicEvolving
@FunctionalInterface
public interface GenerationWarmerFactory extends Serializable {

    /**
     * Returns the warmer of one subtask.
     *
     * @param cache the TaskManager's shared cache of the sink's table (from {@link
     *     KilnCacheRegistry}), valid until the operator closes
     */
    GenerationWarmer create(GenerationCache cache);
}
