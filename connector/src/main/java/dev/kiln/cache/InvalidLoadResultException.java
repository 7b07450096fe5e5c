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

/**
 * Thrown (as the cause of a failed future) when a loader breaks its contract: it returned a {@code
 * null} future or value, or a batch result whose keys are not exactly the owned keys; or when the
 * {@link ByteWeigher} gave a value a negative weight or one above {@link Integer#MAX_VALUE}.
 * Nothing of such a result is cached, and the load counts as failed.
 */
@Internal
public final class InvalidLoadResultException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    InvalidLoadResultException(String message) {
        super(message);
    }
}
