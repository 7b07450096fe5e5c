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

import dev.kiln.cache.CachedValue;
import dev.kiln.format.CorruptGenerationException;
import dev.kiln.format.Generation;
import dev.kiln.format.Page;
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.rounding.RoundingPolicy;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowBuffer;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Write-through: what writers in this process hand over of the generations they have just written
 * ({@link Handover}: the footer and the pages, copied into the page allocator as they are written),
 * staged until a warm of that very file takes it into the cache ({@link #take}, then {@link
 * #adopt}), so that the warm reads storage only for what was not handed over.
 *
 * <p>Identity: an entry is keyed by the file's path and carries the file's length and its {@link
 * Generation#tailChecksum checksum}; a warm takes it only when its {@link GenerationFile} names the
 * same path, length and checksum. A request for the path with another length or checksum drops the
 * entry (the file there is not the one written); one without a checksum leaves it and reads
 * storage. Lookups never see staged entries.
 *
 * <p>Memory: staged pages live in the page allocator (so its limit bounds them with everything
 * else) and reserve their Arrow memory in the {@link LoadBudget} while staged, at most {@code
 * maximumBytes} of them in all (handovers in progress included); past that, the page tier {@link
 * PageTier#lend lends} them room from the cached pages' bound, lowered (evicting the coldest pages)
 * while they are staged and raised again as they are put there; a page reserves an upper bound of
 * its copy before it is copied ({@link #copyBytesAtMost}), so a page that does not fit is never
 * allocated: it is not staged, nor is any later page of its file (a warm loads in key order). An
 * entry not taken within {@code timeToLiveNanos} is dropped at the next handover or warm;
 * retirement and close drop entries of their paths at once. Every staged page is counted as a live
 * page of the cache's {@link WorkInFlight} until released, so a close waits for handovers in
 * progress.
 *
 * <p>Held for the commit: the footer of an entry marked {@link #holdForCommit} (a file warmed ahead
 * of its commit, as the writer's compaction round warms its outputs) is kept when a warm takes the
 * entry, until the next warm request naming that path and a checksum (the commit's: {@link
 * #takeHeld}, {@link #releaseHeld}), so that the commit's warm puts it back without a read if the
 * open-generation tier dropped it meanwhile. Held footers are heap, at most {@code
 * maximumHeldBytes} of them for commits after a later checkpoint (compaction outputs) and a quarter
 * of that for the coming checkpoint's (flushes), each bound apart so that neither kind pushes the
 * other out (weighed as the tier weighs them; the oldest goes first), each for at most {@code
 * timeToLiveNanos}; retirement and close drop them with the entries. Thread-safe.
 */
final class WriteThrough {

    private static final Logger LOG = LoggerFactory.getLogger(WriteThrough.class);

    /** The footers held for the coming checkpoint's commit get a quarter of the held bound. */
    private static final int NEXT_CHECKPOINT_HELD_DIVISOR = 4;

    private final OpenGenerations generations;
    private final PageTier pages;
    private final WorkInFlight work;
    private final long maximumBytes;
    private final long pageBudgetBytes;
    private final long timeToLiveNanos;
    private final LongSupplier clock;

    /** Arrow memory of staged pages and of pages copied by handovers in progress. */
    private final AtomicLong reservedBytes = new AtomicLong();

    private final Map<String, Staged> staged = new LinkedHashMap<>();

    /** Footers of files committed after a later checkpoint (compaction outputs); under the lock. */
    private final HeldFooters heldForLater;

    /** Footers of files committed at the coming checkpoint (flushes); under the lock. */
    private final HeldFooters heldForNext;

    /**
     * @param maximumBytes the most Arrow memory staged pages take; 0 stages footers only
     * @param pageBudgetBytes the block bytes of pages staged per file, from the first (the warm
     *     budget: what a warm would load)
     * @param timeToLiveNanos how long an entry waits for its warm (and a held footer for its
     *     commit's) at most
     * @param maximumHeldBytes the most footer bytes held for a commit after a later checkpoint; a
     *     quarter more for the coming checkpoint's
     * @param clock {@link System#nanoTime()}, or a test's
     */
    WriteThrough(
            OpenGenerations generations,
            PageTier pages,
            WorkInFlight work,
            long maximumBytes,
            long pageBudgetBytes,
            long timeToLiveNanos,
            long maximumHeldBytes,
            LongSupplier clock) {
        this.heldForLater = new HeldFooters(maximumHeldBytes, timeToLiveNanos);
        this.heldForNext =
                new HeldFooters(maximumHeldBytes / NEXT_CHECKPOINT_HELD_DIVISOR, timeToLiveNanos);
        this.generations = generations;
        this.pages = pages;
        this.work = work;
        this.maximumBytes = maximumBytes;
        this.pageBudgetBytes = pageBudgetBytes;
        this.timeToLiveNanos = timeToLiveNanos;
        this.clock = clock;
    }

    /** Returns a handover of what a writer writes at {@code path}. */
    Handover handover(Path path) {
        return new Handover(this, path, pageBudgetBytes);
    }

    /** Returns the Arrow memory staged pages (and handovers in progress) hold. */
    long reservedBytes() {
        return reservedBytes.get() + pages.lentBytes();
    }

    /** Returns the footer bytes held for their commit. */
    synchronized long heldBytes() {
        return heldForLater.bytes() + heldForNext.bytes();
    }

    /** Returns how many files are staged. */
    synchronized int stagedFiles() {
        return staged.size();
    }

    /**
     * Copies the rows of a page a writer has just written into the page allocator, reserving its
     * Arrow memory; the copy is counted as a live page.
     *
     * @return the copy and its reserved bytes, or {@code null} if there is no room (or the cache is
     *     closed)
     */
    @Nullable
    StagedPage copy(VectorSchemaRoot rows) {
        if (work.closed() || maximumBytes <= 0) {
            return null;
        }
        work.pageDecoded();
        VectorSchemaRoot copy = null;
        long reserved = 0;
        boolean lent = false;
        boolean staged = false;
        try (ArrowRecordBatch batch = new VectorUnloader(rows).getRecordBatch()) {
            if (work.closed()) {
                return null;
            }
            BufferAllocator allocator = pages.pageAllocator();
            // Reserve before allocating: a page that does not fit the bound is not copied at all.
            long estimate = copyBytesAtMost(batch, allocator.getRoundingPolicy());
            // The loads' quarter first; past it, room the cached pages' bound lends.
            lent = !reserve(estimate);
            if (lent && !pages.lend(estimate)) {
                return null;
            }
            reserved = estimate;
            copy = copyOf(batch, rows.getSchema(), allocator);
            long bytes = SharedPage.arrowBytes(copy);
            if (bytes > reserved) {
                if (!reserve(lent, bytes - reserved)) {
                    return null;
                }
            } else {
                unreserve(lent, reserved - bytes);
            }
            reserved = bytes;
            StagedPage page = new StagedPage(copy, bytes, lent);
            staged = true;
            return page;
        } catch (OutOfMemoryException e) {
            return null; // the page allocator is full: stage no more of this file
        } catch (RuntimeException e) {
            LOG.warn("Handing a written page over to the cache failed; the warm reads it.", e);
            return null;
        } finally {
            if (!staged) {
                if (copy != null) {
                    copy.close();
                }
                unreserve(lent, reserved);
                work.pageReleased();
            }
        }
    }

    /**
     * Returns at least the Arrow memory {@link #copyOf} takes for {@code batch} in an allocator
     * rounding by {@code rounding}: the body buffer, plus a validity buffer for every field (Arrow
     * allocates one on load for a field without nulls).
     */
    static long copyBytesAtMost(ArrowRecordBatch batch, RoundingPolicy rounding) {
        long bytes = rounding.getRoundedSize(Math.max(1, batch.computeBodyLength()));
        long validity = rounding.getRoundedSize(Math.max(1, (batch.getLength() + 7L) / 8));
        return bytes + batch.getNodes().size() * validity;
    }

    /**
     * Stages what {@code handover} copied as the file {@code fileLength} bytes long ending with
     * {@code tail}, replacing (and releasing) an entry of the same path; releases it all instead if
     * the tail is not a valid footer of those pages, or the cache is closed.
     */
    void stage(Path path, long fileLength, byte[] tail, List<StagedPage> copied, long checksum) {
        Generation generation;
        List<Page> wrapped = new ArrayList<>(copied.size());
        long bytes = 0;
        long lentBytes = 0;
        try {
            generation = generations.ofTail(path, fileLength, tail);
            for (StagedPage page : copied) {
                bytes += page.bytes;
                lentBytes += page.lent ? page.bytes : 0;
                wrapped.add(generation.writtenPage(wrapped.size(), page.rows));
            }
        } catch (CorruptGenerationException | RuntimeException e) {
            LOG.warn("Cannot hand {} over to the cache; its warm reads it.", path, e);
            release(copied);
            return;
        }
        Staged entry =
                new Staged(
                        path.toString(),
                        fileLength,
                        checksum,
                        generation,
                        wrapped,
                        bytes,
                        lentBytes);
        List<Staged> dropped = new ArrayList<>();
        synchronized (this) {
            if (work.closed()) {
                dropped.add(entry);
            } else {
                expire(dropped);
                Staged previous = staged.remove(entry.path);
                if (previous != null) {
                    dropped.add(previous);
                }
                staged.put(entry.path, entry);
            }
        }
        dropped.forEach(this::release);
    }

    /**
     * Marks the entry of {@code file}, if it is staged and is that very file, so that the warm that
     * takes it keeps its footer for the commit's warm ({@link #takeHeld}): within a bound of its
     * own if that commit is the coming checkpoint's ({@code atNextCheckpoint}: a flush's, whose
     * commit's warm follows within moments), so that such footers never push out those waiting a
     * checkpoint longer (a compaction round's outputs).
     */
    synchronized void holdForCommit(GenerationFile file, boolean atNextCheckpoint) {
        Staged entry = staged.get(file.key());
        if (entry != null && entry.is(file)) {
            entry.heldIn = atNextCheckpoint ? heldForNext : heldForLater;
        }
    }

    /**
     * Returns the footer held for the commit of {@code file}, and lets it go, if it is that very
     * file (otherwise {@code null}, letting go a held footer of the path when {@code file} names a
     * checksum: a request naming one is the commit's). Expired footers are let go.
     */
    @Nullable
    synchronized Held takeHeld(GenerationFile file) {
        long now = clock.getAsLong();
        heldForLater.expire(now);
        heldForNext.expire(now);
        if (file.checksum() == GenerationFile.NO_CHECKSUM) {
            return null;
        }
        Held footer = heldForLater.take(file.key());
        if (footer == null) {
            footer = heldForNext.take(file.key());
        }
        if (footer == null) {
            return null;
        }
        return footer.fileLength == file.length() && footer.checksum == file.checksum()
                ? footer
                : null;
    }

    /**
     * Lets go the footer held for {@code file}'s commit: its warm found the generation warm (the
     * footer still cached).
     */
    void releaseHeld(GenerationFile file) {
        takeHeld(file);
    }

    /**
     * Puts the footer held for the commit in the cache as {@code state}'s (a copy: the one the tier
     * removed stays {@linkplain Generation#uncached() uncached}); returns the generation cached.
     */
    CompletableFuture<Generation> adopt(Held footer, PathState state) {
        return generations.adopt(state, footer.generation.copy()).thenApply(CachedValue::value);
    }

    /**
     * Takes the entry of {@code file} if it is that very file (path, length and checksum);
     * otherwise returns {@code null}, dropping an entry of the path whose length or checksum differ
     * from a request that names both. Expired entries are dropped.
     */
    @Nullable
    Staged take(GenerationFile file) {
        List<Staged> dropped = new ArrayList<>();
        Staged taken = null;
        synchronized (this) {
            expire(dropped);
            Staged entry = staged.get(file.key());
            if (entry != null && file.checksum() != GenerationFile.NO_CHECKSUM) {
                staged.remove(file.key());
                if (entry.is(file)) {
                    taken = entry;
                    if (entry.heldIn != null) {
                        entry.heldIn.expire(clock.getAsLong());
                        entry.heldIn.hold(new Held(entry));
                    }
                } else {
                    dropped.add(entry);
                }
            }
        }
        dropped.forEach(this::release);
        return taken;
    }

    /**
     * Puts {@code entry}'s generation and pages in the cache as {@code state}'s (what is cached
     * already stays, the copy is released) and gives its reservation back: what the cached pages'
     * bound lent before its pages are put there, so that they enter it within the whole bound.
     */
    CompletableFuture<Void> adopt(Staged entry, PathState state) {
        return generations
                .adopt(state, entry.generation)
                .handle(
                        (opened, error) -> {
                            pages.giveBack(entry.lentBytes);
                            List<CompletableFuture<Boolean>> puts = new ArrayList<>();
                            for (Page page : entry.pages) {
                                if (error == null) {
                                    puts.add(
                                            pages.adopt(
                                                    state,
                                                    new PageKey(entry.path, page.index()),
                                                    page));
                                } else {
                                    page.close();
                                    work.pageReleased();
                                }
                            }
                            return CompletableFuture.allOf(puts.toArray(new CompletableFuture[0]));
                        })
                .thenCompose(f -> f)
                .whenComplete((done, error) -> unreserve(entry.bytes - entry.lentBytes));
    }

    /** Drops (releasing) the entries and held footers of the paths {@code paths} matches. */
    void invalidateAll(Predicate<String> paths) {
        List<Staged> dropped = new ArrayList<>();
        synchronized (this) {
            heldForLater.invalidateAll(paths);
            heldForNext.invalidateAll(paths);
            for (Iterator<Staged> it = staged.values().iterator(); it.hasNext(); ) {
                Staged entry = it.next();
                if (paths.test(entry.path)) {
                    it.remove();
                    dropped.add(entry);
                }
            }
        }
        dropped.forEach(this::release);
    }

    /** Releases pages copied by a handover that will not be staged. */
    void release(List<StagedPage> copied) {
        for (StagedPage page : copied) {
            page.rows.close();
            work.pageReleased();
            unreserve(page.lent, page.bytes);
        }
    }

    private void release(Staged entry) {
        for (Page page : entry.pages) {
            page.close();
            work.pageReleased();
        }
        pages.giveBack(entry.lentBytes);
        unreserve(entry.bytes - entry.lentBytes);
    }

    /** Moves the entries older than the time to live to {@code dropped}; holds the lock. */
    private void expire(List<Staged> dropped) {
        long now = clock.getAsLong();
        for (Iterator<Staged> it = staged.values().iterator(); it.hasNext(); ) {
            Staged entry = it.next();
            if (now - entry.stagedAtNanos < timeToLiveNanos) {
                break; // in staging order: the rest are younger
            }
            it.remove();
            dropped.add(entry);
        }
    }

    private boolean reserve(long bytes) {
        while (true) {
            long reserved = reservedBytes.get();
            if (reserved + bytes > maximumBytes) {
                return false;
            }
            if (reservedBytes.compareAndSet(reserved, reserved + bytes)) {
                break;
            }
        }
        if (!pages.reserve(bytes)) {
            reservedBytes.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    private void unreserve(long bytes) {
        if (bytes != 0) {
            reservedBytes.addAndGet(-bytes);
            pages.unreserve(bytes);
        }
    }

    /** Reserves {@code bytes} more in the loads' quarter, or borrows them if {@code lent}. */
    private boolean reserve(boolean lent, long bytes) {
        return lent ? pages.lend(bytes) : reserve(bytes);
    }

    /** Gives {@code bytes} back to the loads' quarter, or to the lender if {@code lent}. */
    private void unreserve(boolean lent, long bytes) {
        if (lent) {
            pages.giveBack(bytes);
        } else {
            unreserve(bytes);
        }
    }

    /**
     * Copies {@code rows} into {@code allocator} as a decoded page is laid out: one body buffer
     * holding every vector's buffers, 8-byte aligned (plus the validity buffers Arrow allocates on
     * load for columns without nulls).
     */
    static VectorSchemaRoot copyOf(VectorSchemaRoot rows, BufferAllocator allocator) {
        try (ArrowRecordBatch batch = new VectorUnloader(rows).getRecordBatch()) {
            return copyOf(batch, rows.getSchema(), allocator);
        }
    }

    /** Like {@link #copyOf(VectorSchemaRoot, BufferAllocator)}, from the rows' record batch. */
    static VectorSchemaRoot copyOf(
            ArrowRecordBatch batch, Schema schema, BufferAllocator allocator) {
        List<ArrowBuf> buffers = batch.getBuffers();
        List<ArrowBuffer> layout = batch.getBuffersLayout();
        ArrowBuf body = allocator.buffer(Math.max(1, batch.computeBodyLength()));
        try {
            List<ArrowBuf> slices = new ArrayList<>(buffers.size());
            for (int i = 0; i < buffers.size(); i++) {
                ArrowBuf source = buffers.get(i);
                long offset = layout.get(i).getOffset();
                long size = layout.get(i).getSize();
                body.setBytes(offset, source, source.readerIndex(), size);
                slices.add(body.slice(offset, size));
            }
            VectorSchemaRoot copy = VectorSchemaRoot.create(schema, allocator);
            try (ArrowRecordBatch copied =
                    new ArrowRecordBatch(batch.getLength(), batch.getNodes(), slices)) {
                new VectorLoader(copy).load(copied);
                return copy;
            } catch (RuntimeException e) {
                copy.close();
                throw e;
            }
        } finally {
            body.getReferenceManager().release();
        }
    }

    /** A page a handover copied, with the Arrow memory it reserved. */
    static final class StagedPage {
        final VectorSchemaRoot rows;
        final long bytes;

        /** Whether {@link #bytes} were lent by the cached pages' bound, not the loads' quarter. */
        final boolean lent;

        StagedPage(VectorSchemaRoot rows, long bytes, boolean lent) {
            this.rows = rows;
            this.bytes = bytes;
            this.lent = lent;
        }
    }

    /** A file handed over, waiting for its warm. */
    final class Staged {
        final String path;
        final long fileLength;
        final long checksum;
        final Generation generation;
        final List<Page> pages;
        final long bytes;

        /** The part of {@link #bytes} lent by the cached pages' bound. */
        final long lentBytes;

        final long stagedAtNanos;

        /**
         * Where the warm that takes it keeps its footer for the commit, if it does; under the lock.
         */
        @Nullable HeldFooters heldIn;

        Staged(
                String path,
                long fileLength,
                long checksum,
                Generation generation,
                List<Page> pages,
                long bytes,
                long lentBytes) {
            this.path = path;
            this.fileLength = fileLength;
            this.checksum = checksum;
            this.generation = generation;
            this.pages = pages;
            this.bytes = bytes;
            this.lentBytes = lentBytes;
            this.stagedAtNanos = clock.getAsLong();
        }

        /** Returns whether {@code file} names this very file: path, length and checksum. */
        boolean is(GenerationFile file) {
            return fileLength == file.length() && checksum == file.checksum();
        }
    }

    /** The footer of a file taken by a warm ahead of its commit, held for the commit's warm. */
    final class Held {
        final String path;
        final long fileLength;
        final long checksum;
        final Generation generation;
        final long bytes;
        final long heldAtNanos;

        Held(Staged entry) {
            this.path = entry.path;
            this.fileLength = entry.fileLength;
            this.checksum = entry.checksum;
            this.generation = entry.generation;
            this.bytes = OpenGenerations.footerBytes(entry.generation);
            this.heldAtNanos = clock.getAsLong();
        }
    }
}
