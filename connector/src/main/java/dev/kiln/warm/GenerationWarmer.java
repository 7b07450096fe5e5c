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

import java.util.concurrent.CompletableFuture;

/**
 * Makes one generation cheap to query in some cache: the seam Kiln fires before it publishes a
 * generation (warm before commit) and when a lookup opens a cold one (warm on open).
 *
 * <p>Contract: {@code warm} is idempotent and cheap when the generation is already warm; it only
 * starts the work and returns (no blocking on the calling thread, which may be a Flink task
 * thread); the future completes when the generation is warm or fails with the reason it is not.
 * Implementations must be thread-safe. Callers normally go through a {@link WarmGate}, which joins
 * concurrent warms of one path, bounds concurrency, applies a deadline and never lets a failure
 * reach the commit path.
 *
 * <p>Stopping: the caller may complete the returned future itself (a {@link WarmGate} does so at
 * its deadline, with a {@link java.util.concurrent.TimeoutException}, and with a {@link
 * java.util.concurrent.CancellationException} when the path is retired). A warmer must then stop
 * starting new work as soon as it notices (it checks {@code isDone()} between steps); work already
 * started may finish. The gate's concurrency bound holds on work that actually runs only for
 * warmers that honour this.
 */
@FunctionalInterface
@Internal
public interface GenerationWarmer {

    /**
     * Starts warming {@code file}. The file's length is known, so a warmer never needs a length
     * request (a HEAD on object storage) before it reads.
     *
     * @param file the generation's resolved path and length
     */
    CompletableFuture<Void> warm(GenerationFile file);
}
