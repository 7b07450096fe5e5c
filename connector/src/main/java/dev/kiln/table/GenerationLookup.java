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

package dev.kiln.table;

import dev.kiln.format.Generation;
import dev.kiln.format.LookupResult;
import dev.kiln.format.RowReader;
import dev.kiln.io.RangeReader;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Answers point lookups in one generation file: what a {@link Snapshot} reads generations through.
 * Kiln's cached implementation is {@code dev.kiln.warm.GenerationCache}; {@link #direct} reads
 * without caching.
 *
 * <p>Implementations are thread-safe and non-blocking: futures complete when the answers are known,
 * and fail with the format layer's {@code CorruptGenerationException} or a storage {@link
 * java.io.IOException}.
 */
@Internal
public interface GenerationLookup {

    /**
     * Looks encoded {@code keys} up in the generation at {@code path}.
     *
     * @return one answer per key, in the order of {@code keys}
     */
    CompletableFuture<List<LookupResult>> lookupAll(Path path, List<byte[]> keys);

    /**
     * Like {@link #lookupAll(Path, List)} for a generation whose file length is known (from its
     * manifest entry), which saves an implementation that opens it the length request. The default
     * ignores the length.
     */
    default CompletableFuture<List<LookupResult>> lookupAll(
            Path path, long fileLength, List<byte[]> keys) {
        return lookupAll(path, keys);
    }

    /**
     * Answers {@code key} in the generation at {@code path} from memory, without I/O and without
     * blocking, if everything the answer needs is held now; otherwise returns {@code null} and the
     * caller asks {@link #lookupAll(Path, long, List)}. The default holds nothing.
     *
     * @param path the generation's path, as its {@link Path#toString()} renders it
     */
    @Nullable
    default LookupResult lookupIfCached(String path, byte[] key) {
        return null;
    }

    /**
     * Like {@link #lookupIfCached(String, byte[])}, reading a found row with {@code reader} while
     * its page is held ({@link RowReader} says what it may keep): returns {@code null} if the
     * answer needs what is not held, {@link LookupResult#absent()}, {@link LookupResult#deleted()},
     * or what {@code reader} returned for the key's row. The default holds nothing.
     */
    @Nullable
    default <T> Object lookupIfCached(String path, byte[] key, RowReader<T> reader) {
        return null;
    }

    /**
     * Like {@link #lookupIfCached(String, byte[], RowReader)}, given the {@code slot} the calling
     * {@link Snapshot} keeps for this generation, where an implementation may keep what it found
     * for the snapshot's next lookups of it. The default ignores the slot.
     */
    @Nullable
    default <T> Object lookupIfCached(
            String path, GenerationSlot slot, byte[] key, RowReader<T> reader) {
        return lookupIfCached(path, key, reader);
    }

    /**
     * Returns a lookup that opens the generation and reads the key's page on every call, caching
     * nothing; pages are decoded into {@code allocator} and released before the future completes.
     * The caller owns {@code io} and {@code allocator}.
     */
    static GenerationLookup direct(RangeReader io, BufferAllocator allocator) {
        return new GenerationLookup() {
            @Override
            public CompletableFuture<List<LookupResult>> lookupAll(Path path, List<byte[]> keys) {
                return Generation.open(io, path).thenCompose(g -> lookupEach(g, keys));
            }

            @Override
            public CompletableFuture<List<LookupResult>> lookupAll(
                    Path path, long fileLength, List<byte[]> keys) {
                return Generation.open(io, path, fileLength).thenCompose(g -> lookupEach(g, keys));
            }

            private CompletableFuture<List<LookupResult>> lookupEach(
                    Generation generation, List<byte[]> keys) {
                List<CompletableFuture<LookupResult>> answers = new ArrayList<>(keys.size());
                for (byte[] key : keys) {
                    answers.add(generation.lookup(key, allocator));
                }
                return CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0]))
                        .thenApply(done -> answers.stream().map(CompletableFuture::join).toList());
            }
        };
    }
}
