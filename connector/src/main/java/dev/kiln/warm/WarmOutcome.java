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

import org.apache.flink.annotation.Internal;

/** How a {@link WarmGate#warm} request ended. None of them is an error for the caller. */
@Internal
public enum WarmOutcome {
    /** This request (or one it joined) ran the warmer and it completed. */
    WARMED,
    /** The path was already warm; the warmer did not run. */
    ALREADY_WARM,
    /**
     * The warmer failed or threw (logged and counted), or the path was retired while its warm was
     * queued or running; the path is not marked warm.
     */
    FAILED,
    /**
     * The request's deadline passed before its warm finished. The warm goes on (queued or running)
     * and may still mark the path warm, unless the gate stopped it at its own deadline.
     */
    TIMED_OUT
}
