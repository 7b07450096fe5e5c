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

package dev.kiln.examples;

import dev.kiln.format.GenerationStats;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A tour of Kiln's core over a local directory: create a table, flush generations per bucket, warm
 * them before committing, and look keys up through snapshots, comparing the storage requests and
 * latency of the first lookups after a warmed commit with those after a cold one. Storage requests
 * go through {@link InstrumentedRangeReader} with an injected latency, standing in for an object
 * store, so that the requests are counted exactly.
 *
 * <p>Run it with {@code mvn -q -pl examples -am -DskipTests compile exec:exec
 * -Dexec.mainClass=dev.kiln.examples.TableTour}; pass a directory with {@code
 * -Dexec.args=/some/dir} (default: a new temporary directory), under which each run creates a new
 * table. It grows into the end-to-end Flink job (embedded MiniCluster) as the Flink layers land.
 *
 * <p>It uses Kiln's {@code @Internal} core directly (Arrow vectors, writers, caches): not a model
 * for a job. A job uses the Flink-typed API of {@code docs/api.md}, which names no Arrow type and
 * so links against the {@code sql} jar as well ({@link dev.kiln.examples.job.ExampleRun}).
 */
public final class TableTour {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
    private static final int BUCKETS = 4;
    private static final int ROWS = 40_000;
    private static final int LOOKUPS = 2_000;
    private static final Duration STORAGE_LATENCY = Duration.ofMillis(2);

    private TableTour() {}

    public static void main(String[] args) throws Exception {
        java.nio.file.Path dir =
                args.length > 0 ? Paths.get(args[0]) : Files.createTempDirectory("kiln-table-tour");
        Path root = new Path(dir.resolve("users-" + System.currentTimeMillis()).toUri());
        ExecutorService ioPool = Executors.newFixedThreadPool(16);
        try (BufferAllocator allocator = new RootAllocator()) {
            InstrumentedRangeReader io =
                    InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool))
                            .latency(STORAGE_LATENCY);
            KilnTable table =
                    KilnTable.create(
                            root,
                            TableOptions.builder(SCHEMA, List.of("id"))
                                    .bucketCount(BUCKETS)
                                    .targetPageBytes(16 * 1024)
                                    .build());
            System.out.printf("table at %s, %d buckets%n", root, BUCKETS);
            Map<Long, String> expected = new HashMap<>();

            try (GenerationCache warmed = GenerationCache.builder(io, allocator).build();
                    GenerationCache cold =
                            GenerationCache.builder(io, allocator).warmOnOpen(false).build()) {
                // Checkpoint 1: every id, warmed into one cache before the commit.
                List<GenerationRef> first = flush(table, allocator, 0, ROWS, 0, "v1", expected);
                warmAll(table, warmed, first);
                Manifest v1 = table.commit(new Commit("tour-writer", 1, first, List.of()));
                report(table, v1, warmed, cold, io, expected, new Random(1));

                // Checkpoint 2: updates for a quarter of the ids, deletes for every 10th of them.
                List<GenerationRef> second =
                        flush(table, allocator, 0, ROWS / 4, 10, "v2", expected);
                warmAll(table, warmed, second);
                Manifest v2 = table.commit(new Commit("tour-writer", 2, second, List.of()));
                report(table, v2, warmed, cold, io, expected, new Random(2));

                Manifest replayed = table.commit(new Commit("tour-writer", 2, second, List.of()));
                System.out.printf(
                        "replaying checkpoint 2 commits nothing: latest version is still %d%n",
                        replayed.version());
            }
        } finally {
            ioPool.shutdownNow();
        }
    }

    /**
     * Flushes ids {@code [from, to)} as one generation per bucket, like a writer at a checkpoint.
     */
    private static List<GenerationRef> flush(
            KilnTable table,
            BufferAllocator allocator,
            long from,
            long to,
            int deleteEvery,
            String version,
            Map<Long, String> expected)
            throws Exception {
        KeyCodec keys = table.options().keyCodec();
        List<GenerationRef> refs = new ArrayList<>();
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            try (VectorSchemaRoot memtable = VectorSchemaRoot.create(SCHEMA, allocator)) {
                BigIntVector id = (BigIntVector) memtable.getVector("id");
                VarCharVector name = (VarCharVector) memtable.getVector("name");
                BitSet deletes = new BitSet();
                int row = 0;
                for (long k = from; k < to; k++) {
                    if (table.options().bucketOf(keys.encode(k)) != bucket) {
                        continue;
                    }
                    id.setSafe(row, k);
                    if (deleteEvery > 0 && k % deleteEvery == 0) {
                        deletes.set(row);
                        name.setNull(row);
                        expected.remove(k);
                    } else {
                        String value = version + " of user " + k;
                        name.setSafe(row, value.getBytes(StandardCharsets.UTF_8));
                        expected.put(k, value);
                    }
                    row++;
                }
                memtable.setRowCount(row);
                String path = table.newGenerationPath(bucket);
                GenerationStats stats =
                        table.options()
                                .newWriter()
                                .write(table.resolve(path), memtable, deletes, allocator);
                refs.add(GenerationRef.of(path, bucket, stats));
            }
        }
        return refs;
    }

    private static void warmAll(KilnTable table, GenerationCache cache, List<GenerationRef> refs) {
        for (GenerationRef ref : refs) {
            WarmOutcome outcome = cache.warmGate().warm(GenerationFile.of(table, ref)).join();
            if (outcome != WarmOutcome.WARMED) {
                System.out.printf("warming %s: %s (committing anyway)%n", ref.path(), outcome);
            }
        }
    }

    private static void report(
            KilnTable table,
            Manifest manifest,
            GenerationCache warmed,
            GenerationCache cold,
            InstrumentedRangeReader io,
            Map<Long, String> expected,
            Random random)
            throws Exception {
        List<byte[]> keys = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < LOOKUPS; i++) {
            long id = random.nextInt(ROWS + ROWS / 10);
            ids.add(id);
            keys.add(table.options().keyCodec().encode(id));
        }
        System.out.printf(
                "version %d: %d live generations%n",
                manifest.version(), manifest.generations().size());
        for (GenerationCache cache : List.of(warmed, cold)) {
            String label = cache == warmed ? "warmed before commit" : "cold";
            io.resetCounters();
            long start = System.nanoTime();
            List<LookupResult> results =
                    table.snapshot(cache).lookupAll(keys).get(60, TimeUnit.SECONDS);
            long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            int found = 0;
            for (int i = 0; i < ids.size(); i++) {
                String want = expected.get(ids.get(i));
                LookupResult result = results.get(i);
                String got =
                        result.status() == LookupResult.Status.FOUND
                                ? result.values().get(1).toString()
                                : null;
                if (want == null ? got != null : !want.equals(got)) {
                    throw new IllegalStateException(
                            "id " + ids.get(i) + ": expected " + want + " but read " + got);
                }
                found += got == null ? 0 : 1;
            }
            System.out.printf(
                    "  %-21s first %d lookups (%d found): %5d storage requests, %8.1f ms%n",
                    label, LOOKUPS, found, io.totalRequests(), micros / 1000.0);
        }
    }
}
