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

package dev.kiln.cache;

import org.apache.flink.annotation.Internal;

/** Why a value left a {@link SingleFlightCache}, as told to a {@link RemovalListener}. */
@Internal
public enum RemovalCause {
    /** Evicted to keep the cache within its byte bound. */
    EVICTED,
    /**
     * Discarded by {@link SingleFlightCache#invalidate} or {@link SingleFlightCache#invalidateAll},
     * including a value whose load completed after its key was invalidated while in flight.
     */
    INVALIDATED
}
