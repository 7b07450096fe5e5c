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

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A load that must not be cached (its generation was retired, or the page allocator is full): the
 * lookup that needed it reads privately instead, a warm stops. Not an error of the storage or of
 * the file, hence a {@link CancellationException}. Also holds the future helpers the parts of
 * {@link GenerationCache} share.
 */
final class Uncacheable extends CancellationException {

    Uncacheable(String message) {
        super(message);
    }

    /** Returns whether {@code error} (a future's failure) is an {@link Uncacheable}. */
    static boolean isCause(Throwable error) {
        return unwrap(error) instanceof Uncacheable;
    }

    static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
    }

    static <T> CompletableFuture<Void> allOf(List<CompletableFuture<T>> futures) {
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    }
}
