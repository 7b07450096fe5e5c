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
 * Fails a call (as the cause of its failed future) that a loader made, on the thread that runs the
 * loader, for a key that the loader's own load holds in flight. Such a call could only complete
 * after the load it is part of, so it would wait for itself forever; it fails at once instead,
 * before anything is looked up, loaded or counted.
 *
 * <p>Only synchronous self-calls are detected: a loader that hands the call to another thread, or
 * makes it from a callback that runs after the loader returned, is not (see {@link Loader}).
 */
@Internal
public final class LoadCycleException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    LoadCycleException(String message) {
        super(message);
    }
}
