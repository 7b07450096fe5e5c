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
import dev.kiln.format.Page;
import dev.kiln.format.RowReader;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
@Internal
public final class Snapshot {

    private final KilnTable table;
    private final Manifest manifest;
    private final GenerationLookup lookup;
    private final Map<String, Checked> checked = new ConcurrentHashMap<>();

    /**
     * The buckets that hold a live generation, ascending: the per-bucket arrays below are sized by
     * the buckets in use, never by the bucket count.
     */
    private final int[] buckets;

    /** Per bucket of {@link #buckets}, its live generations newest first. */
    private final GenerationRef[][] newestFirst;

    /**
     * Per bucket of {@link #buckets}, parallel to {@link #newestFirst}: the paths found checked.
     */
    private final Checked[][] checkedPaths;

    Snapshot(KilnTable table, Manifest manifest, GenerationLookup lookup) {
        this.table = table;
        this.manifest = manifest;
        this.lookup = requireNonNull(lookup, "lookup");
        TreeMap<Integer, List<GenerationRef>> byBucket = new TreeMap<>();
        List<GenerationRef> generations = manifest.generations();
        for (int i = generations.size() - 1; i >= 0; i--) {
            GenerationRef generation = generations.get(i);
            byBucket.computeIfAbsent(generation.bucket(), b -> new ArrayList<>()).add(generation);
        }
        this.buckets = new int[byBucket.size()];
        this.newestFirst = new GenerationRef[byBucket.size()][];
        this.checkedPaths = new Checked[byBucket.size()][];
        int i = 0;
        for (Map.Entry<Integer, List<GenerationRef>> bucket : byBucket.entrySet()) {
            buckets[i] = bucket.getKey();
            newestFirst[i] = bucket.getValue().toArray(new GenerationRef[0]);
            checkedPaths[i] = new Checked[newestFirst[i].length];
            i++;
        }
    }

    /** Returns the index of {@code bucket} in {@link #buckets}, or a negative number if unused. */
    private int indexOf(int bucket) {
        return Arrays.binarySearch(buckets, bucket);
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
        List<CompletableFuture<Void>> resolved = new ArrayList<>();
        byBucket.forEach(
                (bucket, open) -> {
                    int index = indexOf(bucket);
                    resolved.add(
                            resolve(
                                    through,
                                    index < 0 ? List.of() : Arrays.asList(newestFirst[index]),
                                    0,
                                    open,
                                    keys,
                                    results));
                });
        return CompletableFuture.allOf(resolved.toArray(new CompletableFuture<?>[0]))
                .thenApply(done -> Arrays.<LookupResult>asList(results))
                .exceptionallyCompose(this::expiredOr);
    }

    /**
     * Turns a failure that found a generation file gone into {@link VersionExpiredException} if
     * this snapshot's version has expired (its files may then be removed as orphans); any other
     * failure, or a missing file of a version still retained, is passed on as it is.
     */
    private CompletableFuture<List<LookupResult>> expiredOr(Throwable error) {
        return CompletableFuture.failedFuture(table.expiredOr(manifest.version(), error));
    }

    /**
     * Answers encoded {@code key} as {@link #lookup} would, if {@code through} can answer every
     * generation it must ask from memory ({@link GenerationLookup#lookupIfCached}) and this
     * snapshot has already checked their paths; otherwise returns {@code null} (nothing was read,
     * nothing is left to release) and the caller looks the key up with {@link #lookupAll}. Never
     * blocks, never does I/O.
     */
    @Nullable
    public LookupResult lookupIfCached(byte[] key, GenerationLookup through) {
        return lookupIfCached(table.options().bucketOf(key), key, through);
    }

    /**
     * Like {@link #lookupIfCached(byte[], GenerationLookup)}, for a caller that has computed the
     * key's bucket already.
     *
     * @param bucket {@code bucketOf(key)} of the table's options
     */
    @Nullable
    public LookupResult lookupIfCached(int bucket, byte[] key, GenerationLookup through) {
        Object answer = lookupIfCached(bucket, key, through, Page.foundValues());
        return answer == LookupResult.deleted() ? LookupResult.absent() : (LookupResult) answer;
    }

    /**
     * Like {@link #lookupIfCached(int, byte[], GenerationLookup)}, reading the key's newest row
     * with {@code reader} while its page is held ({@link RowReader} says what it may keep), through
     * {@link GenerationLookup#lookupIfCached(String, byte[], RowReader)}.
     *
     * @return {@code null} if the answer needs what is not held (then nothing was read), {@link
     *     LookupResult#absent()} if the key has no row (never written, or deleted), otherwise what
     *     {@code reader} returned for its newest row
     */
    @Nullable
    public <T> Object lookupIfCached(
            int bucket, byte[] key, GenerationLookup through, RowReader<T> reader) {
        int index = indexOf(bucket);
        if (index < 0) {
            return LookupResult.absent();
        }
        GenerationRef[] generations = newestFirst[index];
        Checked[] paths = checkedPaths[index];
        for (int g = 0; g < generations.length; g++) {
            GenerationRef generation = generations[g];
            if (!generation.mayContain(key)) {
                continue;
            }
            Checked path = paths[g];
            if (path == null) {
                path = checked.get(generation.path());
                if (path == null) {
                    return null;
                }
                // Racy but benign: every writer writes the one the map holds (or, racing its put,
                // an equal one whose slot is only a cache).
                paths[g] = path;
            }
            Object answer = through.lookupIfCached(path.location, path.slot, key, reader);
            if (answer == null) {
                return null;
            }
            if (answer == LookupResult.deleted()) {
                return LookupResult.absent();
            }
            if (answer != LookupResult.absent()) {
                return answer;
            }
        }
        return LookupResult.absent();
    }

    /**
     * Makes the per-snapshot path checks of every generation now, so that lookups do not make them
     * (and {@link #lookupIfCached} can answer from the first lookup on). A path that fails its
     * check is left unchecked: the lookups that reach it fail with the error.
     */
    public void checkPaths() {
        for (GenerationRef generation : manifest.generations()) {
            try {
                checked(generation);
            } catch (IOException e) {
                // Thrown again, typed, by the first lookup that reaches this generation.
            }
        }
    }

    /** Resolves {@code generation}'s path, checked for links once per snapshot. */
    private Path checked(GenerationRef generation) throws IOException {
        Checked path = checked.get(generation.path());
        if (path == null) {
            table.checkNoLinks(generation.path());
            path = new Checked(table.resolve(generation.path()));
            checked.put(generation.path(), path);
        }
        return path.path;
    }

    /**
     * A generation's path, checked for links, how caches name it, and the slot where the lookup
     * this snapshot reads through may keep what it found for it ({@link GenerationSlot}).
     */
    private static final class Checked {
        final Path path;
        final String location;
        final GenerationSlot slot = new GenerationSlot();

        Checked(Path path) {
            this.path = path;
            // Interned, as the cache's keys are: the cache's read of a hit then finds the key by
            // identity instead of comparing the strings.
            this.location = path.toString().intern();
        }
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
