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

package dev.kiln.flink.sink;

import dev.kiln.flink.runtime.KilnMemory;
import dev.kiln.format.GenerationWriter;
import dev.kiln.io.ByteRange;
import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Compaction;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.Compactor;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.VersionExpiredException;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.Handover;

import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * The compaction of the buckets one writer subtask owns (bucket {@code b} belongs to subtask {@code
 * b mod parallelism}, which alone writes it), run beside the writer on a background thread so that
 * rows keep flowing while it merges.
 *
 * <p>At each {@link #poll} (the writer calls it from {@code prepareCommit}, before each barrier) it
 * hands back the compactions that finished since the last poll, for the writer to emit with the
 * checkpoint's flushes, and, if none is running, starts the next round: read the latest version
 * (skipped when it has not changed since the last round), pick runs with the {@link
 * CompactionPolicy} in each owned bucket, and write their outputs with {@link Compactor#rewrite}.
 * Nothing is published here: the committer applies a compaction atomically with the checkpoint that
 * carries it, or drops it if it went stale.
 *
 * <p>A bucket whose compaction was handed out but is not resolved yet in the latest version (its
 * output not live, its inputs all still live) is not planned again, so the writer does not race
 * itself; it is forgotten after {@value #MAX_UNRESOLVED_ROUNDS} rounds that planned on a new
 * version (the committer may have dropped it), which at worst costs one compaction that the
 * committer drops as stale.
 *
 * <p>Not state: after a failover the writer starts over and plans again; outputs of an unfinished
 * round are orphans. A failed round is logged and counted, never thrown: the next poll starts
 * another.
 *
 * <p>Write-through: given the TaskManager's shared cache of the table, each output is handed to it
 * as it is written ({@link Handover}), as the writer's flushes are, and {@link #checksum} names the
 * file for the warm step. The round warms each output in the cache itself as soon as it is written
 * (before it writes the next), off the commit path, so that the staging bound holds one output of
 * the round at a time and the warm step before their commit finds them warm; outputs of a round
 * that fails are dropped from the cache at once, those of a compaction the committer drops are
 * evicted as anything else never looked up.
 *
 * <p>Threading: {@link #poll} and {@link #close} on the writer's task thread; rounds on the given
 * executor, one at a time, which this class owns and shuts down.
 */
final class WriterCompaction implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WriterCompaction.class);

    /** Rounds after which an unresolved compaction no longer keeps its bucket from planning. */
    static final int MAX_UNRESOLVED_ROUNDS = 8;

    /** How long {@link #close} waits for a running round to stop. */
    private static final long CLOSE_WAIT_SECONDS = 60;

    private final KilnTable table;
    private final IntPredicate ownsBucket;
    private final boolean ownsAny;
    private final ExecutorService executor;
    private final BufferAllocator allocator;
    private final Compactor compactor;

    /** Compactions handed out and not seen resolved, with the rounds they stayed unresolved. */
    private final Map<Compaction, Integer> unresolved = new HashMap<>();

    /** The write-through checksums of the compactions the last poll handed back. */
    private final Map<Compaction, Long> checksums = new HashMap<>();

    /** Where outputs are handed over, or {@code null} for no write-through. */
    @Nullable private final GenerationCache cache;

    /** The handovers of the running round's outputs, by path: confined to the round's thread. */
    private final Map<String, Handover> handovers = new HashMap<>();

    private CompletableFuture<Round> running;

    /** The version the last successful round planned on: confined to the round's thread. */
    private volatile long plannedVersion = -1;

    private final Counter compactionsRun;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Counter rowsRead;
    private final Counter rowsWritten;
    private final Counter roundsFailed;
    private final Histogram duration;

    WriterCompaction(
            KilnTable table,
            CompactionPolicy policy,
            int subtask,
            int parallelism,
            MetricGroup metrics) {
        this(table, policy, subtask, parallelism, null, metrics);
    }

    /**
     * @param cache the TaskManager's shared cache of the table, which outputs are handed over to
     *     (it must stay open until {@link #close}); {@code null} for no write-through
     */
    WriterCompaction(
            KilnTable table,
            CompactionPolicy policy,
            int subtask,
            int parallelism,
            @Nullable GenerationCache cache,
            MetricGroup metrics) {
        this(
                table,
                policy,
                ownedBuckets(subtask, parallelism),
                Executors.newSingleThreadExecutor(
                        KilnThreads.factory("kiln-compaction-" + subtask)),
                cache,
                metrics);
    }

    WriterCompaction(
            KilnTable table,
            CompactionPolicy policy,
            IntPredicate ownsBucket,
            ExecutorService executor,
            MetricGroup metrics) {
        this(table, policy, ownsBucket, executor, null, metrics);
    }

    WriterCompaction(
            KilnTable table,
            CompactionPolicy policy,
            IntPredicate ownsBucket,
            ExecutorService executor,
            @Nullable GenerationCache cache,
            MetricGroup metrics) {
        this.table = table;
        this.cache = cache;
        this.ownsBucket = ownsBucket;
        this.ownsAny = IntStream.range(0, table.options().bucketCount()).anyMatch(ownsBucket::test);
        this.executor = executor;
        this.allocator = KilnMemory.newAllocator("kiln-compaction", Long.MAX_VALUE);
        // Reads run inline on the round's thread: it may block, and nothing else waits for it.
        this.compactor =
                new Compactor(
                        table,
                        RangeReader.onFileSystem(Runnable::run),
                        allocator,
                        policy,
                        cache == null ? null : this::handOver);
        this.compactionsRun = metrics.counter(KilnSinkMetrics.COMPACTIONS_RUN);
        this.bytesRead = metrics.counter(KilnSinkMetrics.COMPACTION_BYTES_READ);
        this.bytesWritten = metrics.counter(KilnSinkMetrics.COMPACTION_BYTES_WRITTEN);
        this.rowsRead = metrics.counter(KilnSinkMetrics.COMPACTION_ROWS_READ);
        this.rowsWritten = metrics.counter(KilnSinkMetrics.COMPACTION_ROWS_WRITTEN);
        this.roundsFailed = metrics.counter(KilnSinkMetrics.COMPACTIONS_FAILED);
        this.duration =
                metrics.histogram(
                        KilnSinkMetrics.COMPACTION_DURATION,
                        new DescriptiveStatisticsHistogram(KilnSinkMetrics.HISTOGRAM_WINDOW));
    }

    /**
     * Returns which buckets writer subtask {@code subtask} of {@code parallelism} writes: a test,
     * not a set, so that nothing is sized by the bucket count.
     */
    static IntPredicate ownedBuckets(int subtask, int parallelism) {
        return bucket -> bucket % parallelism == subtask;
    }

    /**
     * Returns the compactions that finished since the last call, and starts the next round if none
     * is running. Never blocks, except at the end of input ({@code last}): then it waits for the
     * running round, so that its outputs are committed rather than orphaned, and starts no other.
     */
    List<Compaction> poll(boolean last) {
        List<Compaction> finished = new ArrayList<>();
        checksums.clear();
        if (running != null && (running.isDone() || last)) {
            Round round = await(running);
            running = null;
            if (round != null) {
                if (round.planned) {
                    unresolved.keySet().removeAll(round.resolved);
                    unresolved.replaceAll((c, rounds) -> rounds + 1);
                    unresolved.values().removeIf(rounds -> rounds > MAX_UNRESOLVED_ROUNDS);
                }
                for (Compaction compaction : round.compactions) {
                    unresolved.put(compaction, 0);
                }
                finished.addAll(round.compactions);
                checksums.putAll(round.checksums);
            }
        }
        if (running == null && !last && ownsAny) {
            Set<Compaction> pending = Set.copyOf(unresolved.keySet());
            running = CompletableFuture.supplyAsync(() -> runRound(pending), executor);
        }
        return finished;
    }

    /**
     * Returns the write-through checksum of the output of {@code compaction}, one of those the last
     * {@link #poll} handed back, for the warm step to take it ({@link
     * GenerationFile#withChecksum}); {@link GenerationFile#NO_CHECKSUM} if it was not handed over.
     */
    long checksum(Compaction compaction) {
        return checksums.getOrDefault(compaction, GenerationFile.NO_CHECKSUM);
    }

    /** Returns whether a round is running (for tests). */
    boolean isRunning() {
        return running != null && !running.isDone();
    }

    private Round await(CompletableFuture<Round> round) {
        try {
            return round.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            roundsFailed.inc();
            LOG.warn(
                    "Compacting the buckets of {} this writer owns failed; the next checkpoint"
                            + " tries again.",
                    table.root(),
                    e.getCause());
            return null;
        }
    }

    /**
     * Hands the output written at {@code path} over to the cache and, once it is written, warms it
     * there (waiting for that warm) before the round writes its next output; on the round's thread.
     */
    private GenerationWriter.Listener handOver(Path path) {
        Handover handover = cache.handover(path);
        handovers.put(path.toString(), handover);
        return new GenerationWriter.Listener() {
            @Override
            public void pageWritten(int page, VectorSchemaRoot rows, ByteRange block) {
                handover.pageWritten(page, rows, block);
            }

            @Override
            public void written(long fileLength, byte[] tail) {
                handover.written(fileLength, tail);
                warm(new GenerationFile(path, fileLength).withChecksum(handover.checksum()));
            }

            @Override
            public void failed() {
                handover.failed();
            }
        };
    }

    /**
     * Warms an output the round has just written and handed over, waiting for the warm (at most the
     * gate's deadline; a warm never fails): its staged pages go into the cache before the next
     * output is staged, so the staging bound holds one output of the round at a time, not all of
     * them (what did not fit it would be read back), and the warm step before the output's commit
     * finds it warm. One at a time, so that the warm step's own warms always find a free slot of
     * the gate.
     */
    private void warm(GenerationFile file) {
        if (file.checksum() == GenerationFile.NO_CHECKSUM) {
            return; // not staged: the warm step warms it
        }
        try {
            cache.warmAheadOfCommit(file).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: the warm step warms it
        } catch (ExecutionException e) {
            // Not thrown (a gate's request never fails); the warm step warms it then.
            LOG.debug("Warming compaction output {} failed", file.key(), e);
        }
    }

    private Round runRound(Set<Compaction> pending) {
        handovers.clear();
        boolean done = false;
        try {
            Round round = plan(pending);
            done = true;
            return round;
        } finally {
            if (!done && cache != null && !handovers.isEmpty()) {
                // Outputs of a failed round are orphans: drop what was staged of them before the
                // round ends, so that nothing of it outlives the round.
                Set<Path> staged = new HashSet<>();
                handovers.keySet().forEach(path -> staged.add(new Path(path)));
                dropStaged(staged);
            }
            handovers.clear();
        }
    }

    private void dropStaged(Set<Path> staged) {
        try {
            cache.evictPaths(staged).get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn(
                    "Dropping what a failed compaction round of {} staged did not complete; it"
                            + " expires after the write-through time to live.",
                    table.root(),
                    e);
        }
    }

    private Round plan(Set<Compaction> pending) {
        try {
            long version = table.latestVersion();
            if (version == plannedVersion) {
                return new Round(List.of(), Set.of(), false, Map.of());
            }
            long start = System.nanoTime();
            Manifest base;
            try {
                base = table.manifest(version);
            } catch (VersionExpiredException e) {
                base = table.latestManifest();
                version = base.version();
            }
            Set<Compaction> resolved = new HashSet<>();
            Set<Integer> buckets = new HashSet<>();
            for (GenerationRef generation : base.generations()) {
                if (ownsBucket.test(generation.bucket())) {
                    buckets.add(generation.bucket());
                }
            }
            for (Compaction compaction : pending) {
                if (isResolved(base, compaction)) {
                    resolved.add(compaction);
                } else {
                    buckets.remove(compaction.bucket());
                }
            }
            List<Compaction> compactions = compactor.rewrite(base, buckets);
            plannedVersion = version;
            Map<Compaction, Long> sums = new HashMap<>();
            for (Compaction compaction : compactions) {
                Handover handover =
                        compaction.output() == null
                                ? null
                                : handovers.get(
                                        table.resolve(compaction.output().path()).toString());
                if (handover != null && handover.checksum() != GenerationFile.NO_CHECKSUM) {
                    sums.put(compaction, handover.checksum());
                }
            }
            if (!compactions.isEmpty()) {
                for (Compaction compaction : compactions) {
                    for (GenerationRef input : base.newestFirst(compaction.bucket())) {
                        if (compaction.inputs().contains(input.path())) {
                            bytesRead.inc(input.sizeBytes());
                            rowsRead.inc(input.rowCount());
                        }
                    }
                    if (compaction.output() != null) {
                        bytesWritten.inc(compaction.output().sizeBytes());
                        rowsWritten.inc(compaction.output().rowCount());
                    }
                }
                compactionsRun.inc(compactions.size());
                duration.update(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            return new Round(compactions, resolved, true, sums);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isResolved(Manifest base, Compaction compaction) {
        Set<String> live = new HashSet<>();
        base.generations().forEach(g -> live.add(g.path()));
        return (compaction.output() != null && live.contains(compaction.output().path()))
                || !live.containsAll(compaction.inputs());
    }

    /** Stops the running round (waiting for it, at most a minute) and releases its memory. */
    @Override
    public void close() {
        executor.shutdownNow();
        boolean stopped;
        try {
            stopped = executor.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        if (stopped) {
            allocator.close();
        } else {
            LOG.warn(
                    "A compaction of {} did not stop within {} s; its memory is left to the"
                            + " garbage collector.",
                    table.root(),
                    CLOSE_WAIT_SECONDS);
        }
    }

    /**
     * What a round produced (with the write-through checksums of the outputs handed over), which
     * handed-out compactions it saw resolved, and whether it planned at all (it does not when the
     * latest version is the one it planned on last).
     */
    private record Round(
            List<Compaction> compactions,
            Set<Compaction> resolved,
            boolean planned,
            Map<Compaction, Long> checksums) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Round other
                    && Objects.equals(compactions, other.compactions)
                    && Objects.equals(resolved, other.resolved)
                    && planned == other.planned
                    && Objects.equals(checksums, other.checksums);
        }

        @Override
        public int hashCode() {
            int h = Objects.hashCode(compactions);
            h = 31 * h + Objects.hashCode(resolved);
            h = 31 * h + Boolean.hashCode(planned);
            h = 31 * h + Objects.hashCode(checksums);
            return h;
        }

        @Override
        public String toString() {
            return "Round[compactions="
                    + compactions
                    + ", resolved="
                    + resolved
                    + ", planned="
                    + planned
                    + ", checksums="
                    + checksums
                    + "]";
        }
    }
}
