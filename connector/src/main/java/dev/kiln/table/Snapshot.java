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

import dev.kiln.format.LookupResult;

import org.apache.flink.core.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * Point lookups against one manifest version. A key is looked for in the live generations of its
 * bucket, newest first, skipping those whose key range excludes it (no I/O for them); the first
 * generation that holds the key answers, and a tombstone answers "absent" without looking further.
 * The generations' key filters prune further inside the {@link GenerationLookup}.
 *
 * <p>A lookup never reads a generation through a symbolic link: on {@code file://} the first lookup
 * of a snapshot that reaches a generation checks its path under the root without following links (a
 * few local {@code lstat} calls, once per generation and snapshot), and a link fails the lookup
 * with {@link LinkedPathException} naming the path. Other file systems report no links.
 *
 * <p>Thread-safe; its answers are fixed, and lookups never block on storage (only those local
 * checks) and may run concurrently. A snapshot pins its version: later commits are seen by a new
 * snapshot.
 *
 * <p>Expiry: a snapshot of a version that {@link KilnTable#expireVersions} removed keeps answering
 * from what it can still read (the same answers as before), but once a generation file it needs is
 * gone (removed as an orphan), its lookups fail with {@link VersionExpiredException} naming the
 * version: the reader should move to a retained version. Telling that case apart costs the failed
 * lookup one existence check of the manifest (and a listing if it is gone), made on the thread that
 * saw the file missing. While the version is retained, no file it names is ever removed.
 */
public final class Snapshot {

    private final KilnTable table;
    private final Manifest manifest;
    private final GenerationLookup lookup;
    private final Map<String, Path> checked = new ConcurrentHashMap<>();

    Snapshot(KilnTable table, Manifest manifest, GenerationLookup lookup) {
        this.table = table;
        this.manifest = manifest;
        this.lookup = requireNonNull(lookup, "lookup");
    }

    /** Returns the manifest this snapshot reads. */
    public Manifest manifest() {
        return manifest;
    }

    /**
     * Looks encoded {@code key} up.
     *
     * @return {@link LookupResult.Status#FOUND} with the newest row, or {@link
     *     LookupResult.Status#ABSENT} if no generation holds the key or the newest that does holds
     *     a tombstone
     */
    public CompletableFuture<LookupResult> lookup(byte[] key) {
        return lookupAll(List.of(requireNonNull(key, "key"))).thenApply(results -> results.get(0));
    }

    /**
     * Looks encoded {@code keys} up, asking each generation once for all the keys still open that
     * its key range admits.
     *
     * @return one answer per key, in the order of {@code keys}
     */
    public CompletableFuture<List<LookupResult>> lookupAll(List<byte[]> keys) {
        return lookupAll(keys, lookup);
    }

    /**
     * Like {@link #lookupAll(List)}, reading the generations through {@code through} instead of
     * this snapshot's lookup: same version, same path checks (made once per snapshot, whichever
     * lookup asks). For a reader that wraps its cache per call (to count its reads, say) without
     * making a snapshot per call.
     */
    public CompletableFuture<List<LookupResult>> lookupAll(
            List<byte[]> keys, GenerationLookup through) {
        requireNonNull(through, "through");
        LookupResult[] results = new LookupResult[keys.size()];
        Map<Integer, List<Integer>> byBucket = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            byte[] key = requireNonNull(keys.get(i), "keys must not contain null");
            byBucket.computeIfAbsent(table.options().bucketOf(key), b -> new ArrayList<>()).add(i);
        }
        List<CompletableFuture<Void>> buckets = new ArrayList<>();
        byBucket.forEach(
                (bucket, open) ->
                        buckets.add(
                                resolve(
                                        through,
                                        manifest.newestFirst(bucket),
                                        0,
                                        open,
                                        keys,
                                        results)));
        return CompletableFuture.allOf(buckets.toArray(new CompletableFuture<?>[0]))
                .thenApply(done -> Arrays.<LookupResult>asList(results))
                .exceptionallyCompose(this::expiredOr);
    }

    /**
     * Turns a failure that found a generation file gone into {@link VersionExpiredException} if
     * this snapshot's version has expired (its files may then be removed as orphans); any other
     * failure, or a missing file of a version still retained, is passed on as it is.
     */
    private CompletableFuture<List<LookupResult>> expiredOr(Throwable error) {
        Throwable missing = error;
        while (missing != null && !(missing instanceof FileNotFoundException)) {
            missing = missing.getCause();
        }
        if (missing != null) {
            try {
                table.checkRetained(manifest.version(), missing);
            } catch (VersionExpiredException expired) {
                return CompletableFuture.failedFuture(expired);
            } catch (IOException | RuntimeException checkFailed) {
                error.addSuppressed(checkFailed);
            }
        }
        return CompletableFuture.failedFuture(error);
    }

    /** Resolves {@code generation}'s path, checked for links once per snapshot. */
    private Path checked(GenerationRef generation) throws IOException {
        Path path = checked.get(generation.path());
        if (path == null) {
            table.checkNoLinks(generation.path());
            path = table.resolve(generation.path());
            checked.put(generation.path(), path);
        }
        return path;
    }

    /** Answers the keys in {@code open} from the generations from {@code next} on. */
    private CompletableFuture<Void> resolve(
            GenerationLookup through,
            List<GenerationRef> newestFirst,
            int next,
            List<Integer> open,
            List<byte[]> keys,
            LookupResult[] results) {
        for (int g = next; g < newestFirst.size(); g++) {
            GenerationRef generation = newestFirst.get(g);
            List<Integer> admitted = new ArrayList<>();
            for (int i : open) {
                if (generation.mayContain(keys.get(i))) {
                    admitted.add(i);
                }
            }
            if (admitted.isEmpty()) {
                continue;
            }
            int following = g + 1;
            List<byte[]> asked = admitted.stream().map(keys::get).toList();
            Path path;
            try {
                path = checked(generation);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            return through.lookupAll(path, generation.sizeBytes(), asked)
                    .thenCompose(
                            answers -> {
                                List<Integer> stillOpen = new ArrayList<>(open);
                                for (int a = 0; a < admitted.size(); a++) {
                                    LookupResult answer = answers.get(a);
                                    if (answer.status() != LookupResult.Status.ABSENT) {
                                        int i = admitted.get(a);
                                        results[i] =
                                                answer.status() == LookupResult.Status.FOUND
                                                        ? answer
                                                        : LookupResult.absent();
                                        stillOpen.remove(Integer.valueOf(i));
                                    }
                                }
                                return resolve(
                                        through, newestFirst, following, stillOpen, keys, results);
                            });
        }
        for (int i : open) {
            results[i] = LookupResult.absent();
        }
        return CompletableFuture.completedFuture(null);
    }
}
