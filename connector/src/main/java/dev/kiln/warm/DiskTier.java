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
import dev.kiln.cache.RemovalCause;
import dev.kiln.cache.SingleFlightCache;
import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The local-disk tier under a {@link GenerationCache}'s page cache: copies of fixed-size, aligned
 * blocks of generation files on a local disk, in a {@link SingleFlightCache} weighed by their bytes
 * and bounded by {@code maximumBytes}, evicted least-recently-used. It sits under the page loads as
 * a {@link RangeReader} ({@link #reader}): a range is answered from the copies of the blocks it
 * covers; the blocks not copied are read from storage with one request per run of consecutive
 * blocks, and written to disk. Single flight is per block: a block being copied is never read from
 * storage by a second caller, who waits for the copy (or the failure) instead.
 *
 * <p>Correctness never depends on the disk: each copy's CRC32C is kept in memory (not on the disk)
 * when it is written, and every read of a copy checks its length and checksum; a missing, short or
 * damaged copy is dropped and its block read from storage for that caller ({@link
 * #damagedCopies()}); so is a copy evicted between a reader finding it and reading it ({@link
 * #lostToEviction()}). A copy that cannot be written (disk full, I/O error) is not kept: the caller
 * that read it from storage answers from those bytes, and so do callers that joined it; counted in
 * {@link #copyFailures()} and logged at WARN at most once a minute; what a full disk let it write
 * is deleted. A short read from storage is never copied: the read fails, as it would without the
 * tier. A load that fails in one of its runs of blocks deletes the copies its other runs wrote.
 * Generations are immutable, so a copy never goes stale: it is dropped when its generation retires
 * ({@link #invalidateAll}) or when it is evicted.
 *
 * <p>Directory: the tier lives in {@code <parent>/kiln-disk-cache/<random id>/}, created when it
 * opens and deleted when it closes; a file {@code <random id>.lock} beside it is locked for the
 * tier's life. Opening a tier deletes every sibling whose lock no live process holds (the copies of
 * a TaskManager that died): a restart starts clean. Copies are never fsynced (a torn write is
 * caught by the checksum).
 *
 * <p>Threading: thread-safe; disk reads and writes run on the executor given, never on the caller's
 * thread. Evictions run inline (as the page tier's do), each deleting its copy's file: a retirement
 * or close has deleted the copies it dropped when it returns; a copy in flight then is deleted when
 * its load completes.
 */
final class DiskTier implements AutoCloseable {

    /** The folder under the configured directory that holds every tier's folder. */
    static final String ROOT_NAME = "kiln-disk-cache";

    /** Default {@link #blockBytes}: 256 KiB, two default pages. */
    static final int DEFAULT_BLOCK_BYTES = 256 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final String LOCK_SUFFIX = ".lock";

    private final RangeReader storage;
    private final java.nio.file.Path directory;
    private final java.nio.file.Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final int blockBytes;
    private final Executor executor;
    private final CopyWriter writer;
    private final SingleFlightCache<BlockKey, Block> blocks;
    private final AtomicLong nextFile = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder copies = new LongAdder();
    private final LongAdder copyFailures = new LongAdder();
    private final LongAdder damaged = new LongAdder();
    private final LongAdder lostToEviction = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder storageReads = new LongAdder();
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private final AtomicLong unlogged = new AtomicLong();
    private volatile boolean closed;

    private DiskTier(
            RangeReader storage,
            java.nio.file.Path directory,
            java.nio.file.Path lockFile,
            FileChannel lockChannel,
            FileLock lock,
            long maximumBytes,
            int blockBytes,
            Executor executor,
            CopyWriter writer) {
        this.storage = storage;
        this.directory = directory;
        this.lockFile = lockFile;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.blockBytes = blockBytes;
        this.executor = executor;
        this.writer = writer;
        this.blocks =
                SingleFlightCache.<BlockKey, Block>builder()
                        .maximumBytes(maximumBytes)
                        .weigher((key, block) -> block.file == null ? 1 : block.length)
                        // Inline, as the page tier's: a retirement or close has deleted the
                        // files it dropped when it returns (one unlink each).
                        .executor(Runnable::run)
                        .removalListener(this::removed)
                        .build();
    }

    /**
     * Opens a tier in a new folder under {@code parent}/{@value #ROOT_NAME}, deleting the folders
     * of tiers whose process died; returns {@code null} (and logs a warning) if the folder cannot
     * be made: the cache then reads storage only.
     */
    @Nullable
    static DiskTier open(
            RangeReader storage,
            java.nio.file.Path parent,
            long maximumBytes,
            int blockBytes,
            Executor executor) {
        return open(storage, parent, maximumBytes, blockBytes, executor, CopyWriter.FILES);
    }

    /**
     * Like {@link #open(RangeReader, java.nio.file.Path, long, int, Executor)}, writing copies with
     * {@code writer} (a test's fault injection wraps {@link CopyWriter#FILES}).
     */
    @Nullable
    static DiskTier open(
            RangeReader storage,
            java.nio.file.Path parent,
            long maximumBytes,
            int blockBytes,
            Executor executor,
            CopyWriter writer) {
        java.nio.file.Path root = parent.resolve(ROOT_NAME);
        try {
            Files.createDirectories(root);
            String id = UUID.randomUUID().toString();
            java.nio.file.Path lockFile = root.resolve(id + LOCK_SUFFIX);
            FileChannel channel =
                    FileChannel.open(
                            lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileLock lock = channel.lock();
            deleteStale(root);
            java.nio.file.Path directory = Files.createDirectory(root.resolve(id));
            LOG.info(
                    "Kiln disk tier in {}: {} bytes, blocks of {} bytes.",
                    directory,
                    maximumBytes,
                    blockBytes);
            return new DiskTier(
                    storage,
                    directory,
                    lockFile,
                    channel,
                    lock,
                    maximumBytes,
                    blockBytes,
                    executor,
                    writer);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Kiln disk tier under {} is off: it could not be created.", root, e);
            return null;
        }
    }

    /** Deletes the folders (and locks) under {@code root} that no live tier holds. */
    private static void deleteStale(java.nio.file.Path root) throws IOException {
        List<java.nio.file.Path> entries = new ArrayList<>();
        try (DirectoryStream<java.nio.file.Path> stream = Files.newDirectoryStream(root)) {
            stream.forEach(entries::add);
        }
        for (java.nio.file.Path entry : entries) {
            String name = entry.getFileName().toString();
            if (name.endsWith(LOCK_SUFFIX)) {
                continue;
            }
            java.nio.file.Path lockFile = root.resolve(name + LOCK_SUFFIX);
            if (!Files.exists(lockFile)) {
                deleteRecursively(entry);
                continue;
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock held = channel.tryLock();
                if (held != null) {
                    LOG.info("Deleting the Kiln disk tier {} left by a process that ended.", entry);
                    deleteRecursively(entry);
                    Files.deleteIfExists(lockFile);
                    held.release();
                }
            } catch (OverlappingFileLockException | IOException e) {
                // A tier of this process (or a lock file just deleted): alive, or gone already.
            }
        }
    }

    /** Returns a reader of the file at a path of {@code fileLength} bytes through this tier. */
    RangeReader reader(long fileLength) {
        return new RangeReader() {
            @Override
            public CompletableFuture<byte[]> read(Path path, ByteRange range) {
                return DiskTier.this.read(path, fileLength, range);
            }

            @Override
            public CompletableFuture<Long> length(Path path) {
                return storage.length(path);
            }
        };
    }

    /**
     * Reads {@code range} of the file at {@code path} ({@code fileLength} bytes): from the copies
     * of its blocks, and from storage (copying them) for the blocks not copied.
     */
    CompletableFuture<byte[]> read(Path path, long fileLength, ByteRange range) {
        if (closed || range.length() == 0 || range.end() > fileLength) {
            storageReads.increment();
            return storage.read(path, range);
        }
        List<BlockKey> keys = keys(path, range);
        Map<BlockKey, byte[]> fetched = new ConcurrentHashMap<>();
        return blocks.getOrLoadAll(keys, owned -> load(path, fileLength, owned, fetched))
                .thenCompose(values -> assemble(path, fileLength, range, values, fetched));
    }

    /**
     * Copies the blocks of {@code range} of the file at {@code path} that are not copied yet (what
     * a warm does), without reading the copies that exist.
     */
    CompletableFuture<Void> copy(Path path, long fileLength, ByteRange range) {
        if (closed || range.length() == 0 || range.end() > fileLength) {
            return CompletableFuture.completedFuture(null);
        }
        return blocks.getOrLoadAll(
                        keys(path, range),
                        owned -> load(path, fileLength, owned, new ConcurrentHashMap<>()))
                .thenApply(
                        values -> {
                            for (CachedValue<BlockKey, Block> value : values) {
                                if (value.value().file == null) {
                                    blocks.invalidate(value.key()); // a failed copy is not kept
                                }
                            }
                            return null;
                        });
    }

    private List<BlockKey> keys(Path path, ByteRange range) {
        String name = path.toString();
        long first = range.offset() / blockBytes;
        long last = (range.end() - 1) / blockBytes;
        List<BlockKey> keys = new ArrayList<>((int) (last - first + 1));
        for (long b = first; b <= last; b++) {
            keys.add(new BlockKey(name, b));
        }
        return keys;
    }

    /**
     * Reads the blocks {@code owned} from storage, one request per run of consecutive blocks, and
     * copies them to disk; their bytes go into {@code fetched} for the caller.
     */
    private CompletableFuture<Map<BlockKey, Block>> load(
            Path path,
            long fileLength,
            java.util.Set<BlockKey> owned,
            Map<BlockKey, byte[]> fetched) {
        List<BlockKey> sorted = new ArrayList<>(owned);
        sorted.sort(Comparator.comparingLong(BlockKey::index));
        List<CompletableFuture<Map<BlockKey, Block>>> runs = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= sorted.size(); i++) {
            if (i == sorted.size() || sorted.get(i).index != sorted.get(i - 1).index + 1) {
                runs.add(loadRun(path, fileLength, sorted.subList(start, i), fetched));
                start = i;
            }
        }
        return Uncacheable.allOf(runs)
                .handle(
                        (done, error) -> {
                            if (error != null) {
                                // The load fails whole and caches nothing: the copies the runs
                                // that succeeded wrote must not stay behind, uncounted.
                                for (CompletableFuture<Map<BlockKey, Block>> run : runs) {
                                    if (!run.isCompletedExceptionally()) {
                                        run.join().values().forEach(DiskTier::deleteCopy);
                                    }
                                }
                                throw error instanceof CompletionException c
                                        ? c
                                        : new CompletionException(error);
                            }
                            Map<BlockKey, Block> loaded = new java.util.HashMap<>();
                            for (CompletableFuture<Map<BlockKey, Block>> run : runs) {
                                loaded.putAll(run.join());
                            }
                            return loaded;
                        });
    }

    private CompletableFuture<Map<BlockKey, Block>> loadRun(
            Path path, long fileLength, List<BlockKey> run, Map<BlockKey, byte[]> fetched) {
        long offset = run.get(0).index * blockBytes;
        long end = Math.min(fileLength, (run.get(run.size() - 1).index + 1) * blockBytes);
        storageReads.increment();
        return storage.read(path, ByteRange.of(offset, end - offset))
                .thenApplyAsync(
                        bytes -> {
                            // A store breaking the reader contract fails the read, as it
                            // would without the tier, and is not copied (a copy outlives it).
                            checkLength(path, offset, end, bytes);
                            Map<BlockKey, Block> written = new java.util.HashMap<>();
                            for (BlockKey key : run) {
                                int from = (int) (key.index * blockBytes - offset);
                                int to = (int) Math.min(bytes.length, from + (long) blockBytes);
                                byte[] block = java.util.Arrays.copyOfRange(bytes, from, to);
                                fetched.put(key, block);
                                written.put(key, write(path, block));
                            }
                            return written;
                        },
                        executor);
    }

    /**
     * Fails (with an {@link IOException}) a storage read of {@code [offset, end)} that is short.
     */
    private static void checkLength(Path path, long offset, long end, byte[] bytes) {
        if (bytes.length != end - offset) {
            throw new CompletionException(
                    new IOException(
                            "short read from storage of "
                                    + path
                                    + ": "
                                    + bytes.length
                                    + " bytes at offset "
                                    + offset
                                    + ", not "
                                    + (end - offset)));
        }
    }

    /** Writes a copy of a block; on failure returns one that holds its bytes and no file. */
    private Block write(Path path, byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if (closed) {
            return new Block(null, bytes.length, 0, bytes);
        }
        java.nio.file.Path file = directory.resolve(nextFile.incrementAndGet() + ".blk");
        try {
            writer.write(file, bytes);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(file); // what a full disk let it write
            if (!closed) { // a close deletes the folder under writes in flight: no disk failure
                copyFailures.increment();
                logSampled(
                        "Kiln disk tier could not copy a block of {}; read from storage.", path, e);
            }
            return new Block(null, bytes.length, 0, bytes);
        }
        if (closed) {
            // Closed while it was written, perhaps after the close deleted the folder's files.
            deleteQuietly(file);
            return new Block(null, bytes.length, 0, bytes);
        }
        copies.increment();
        return new Block(file, bytes.length, crc.getValue(), null);
    }

    /** Puts the range's bytes together from the blocks, reading copies on the executor. */
    private CompletableFuture<byte[]> assemble(
            Path path,
            long fileLength,
            ByteRange range,
            List<CachedValue<BlockKey, Block>> values,
            Map<BlockKey, byte[]> fetched) {
        byte[] out = new byte[(int) range.length()];
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (CachedValue<BlockKey, Block> value : values) {
            BlockKey key = value.key();
            Block block = value.value();
            byte[] own = fetched.get(key);
            if (own == null) {
                own = block.bytes;
            }
            if (own != null) {
                place(key, own, range, out);
                if (block.file == null) {
                    blocks.invalidate(key); // a failed copy is never kept
                }
                continue;
            }
            reads.add(
                    CompletableFuture.supplyAsync(() -> readCopy(block), executor)
                            .handle(
                                    (bytes, error) -> {
                                        if (error == null) {
                                            hits.increment();
                                            place(key, bytes, range, out);
                                            return CompletableFuture.<Void>completedFuture(null);
                                        }
                                        if (blocks.getIfPresent(key) != block) {
                                            // Evicted or retired between its lookup and its
                                            // read (its file deleted): not damage.
                                            lostToEviction.increment();
                                        } else {
                                            damaged.increment();
                                            blocks.invalidate(key);
                                            logSampled(
                                                    "Kiln disk tier dropped a damaged copy of a"
                                                            + " block of {}; read from storage.",
                                                    path,
                                                    Uncacheable.unwrap(error));
                                        }
                                        long offset = key.index * blockBytes;
                                        long end = Math.min(fileLength, offset + blockBytes);
                                        storageReads.increment();
                                        return storage.read(
                                                        path, ByteRange.of(offset, end - offset))
                                                .thenAccept(
                                                        fresh -> {
                                                            checkLength(path, offset, end, fresh);
                                                            place(key, fresh, range, out);
                                                        });
                                    })
                            .thenCompose(f -> f));
        }
        return Uncacheable.allOf(reads).thenApply(done -> out);
    }

    /** Copies the part of block {@code key} that {@code range} covers into {@code out}. */
    private void place(BlockKey key, byte[] block, ByteRange range, byte[] out) {
        long blockStart = key.index * blockBytes;
        long from = Math.max(range.offset(), blockStart);
        long to = Math.min(range.end(), blockStart + block.length);
        if (to > from) {
            System.arraycopy(
                    block,
                    (int) (from - blockStart),
                    out,
                    (int) (from - range.offset()),
                    (int) (to - from));
        }
    }

    /** Reads a copy, checking its length and checksum. */
    private static byte[] readCopy(Block block) {
        byte[] bytes = new byte[block.length];
        try (FileChannel in = FileChannel.open(block.file, StandardOpenOption.READ)) {
            if (in.size() != block.length) {
                throw new IOException(
                        "copy " + block.file + " has " + in.size() + " bytes, not " + block.length);
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                if (in.read(buffer) < 0) {
                    throw new IOException("copy " + block.file + " ends early");
                }
            }
        } catch (IOException e) {
            throw new CompletionException(e);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if (crc.getValue() != block.checksum) {
            throw new CompletionException(
                    new IOException("copy " + block.file + " fails its checksum"));
        }
        return bytes;
    }

    private void removed(BlockKey key, Block block, RemovalCause cause) {
        if (cause == RemovalCause.EVICTED) {
            evictions.increment();
        }
        if (block.file != null) {
            deleteQuietly(block.file);
        }
    }

    /** Drops the copies of the paths {@code paths} matches (their files are deleted). */
    void invalidateAll(Predicate<String> paths) {
        blocks.invalidateAll(key -> paths.test(key.path));
    }

    /** Returns how many blocks were answered from a copy on disk. */
    long hits() {
        return hits.sum();
    }

    /** Returns how many blocks were copied to disk. */
    long copies() {
        return copies.sum();
    }

    /** Returns how many blocks read from storage could not be copied to disk. */
    long copyFailures() {
        return copyFailures.sum();
    }

    /** Returns how many copies were found missing, short or damaged, and read from storage. */
    long damagedCopies() {
        return damaged.sum();
    }

    /**
     * Returns how many copies were evicted (or retired) between a reader finding them and reading
     * them, so that the reader read their block from storage (a sign the tier is too small).
     */
    long lostToEviction() {
        return lostToEviction.sum();
    }

    /** Returns how many copies were evicted for room. */
    long evictions() {
        blocks.cleanUp();
        return evictions.sum();
    }

    /** Returns the range reads this tier sent to storage. */
    long storageReads() {
        return storageReads.sum();
    }

    /** Returns the bytes of the copies the tier holds. */
    long bytes() {
        return blocks.weightedSizeBytes();
    }

    /** Returns the number of blocks the tier holds (copies, and loads in flight). */
    long blocks() {
        return blocks.estimatedSize();
    }

    /** Returns a snapshot of the counters. */
    DiskTierStats stats() {
        return new DiskTierStats(
                hits(),
                copies(),
                bytes(),
                evictions(),
                copyFailures(),
                damagedCopies(),
                storageReads());
    }

    int blockBytes() {
        return blockBytes;
    }

    java.nio.file.Path directory() {
        return directory;
    }

    /**
     * Drops every copy and deletes the tier's folder; later reads go to storage. Loads in flight
     * complete from storage (their copies fail to be written). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        blocks.invalidateAll(key -> true);
        deleteRecursively(directory);
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debug("Releasing the lock of Kiln disk tier {} failed.", directory, e);
        }
        deleteQuietly(lockFile);
    }

    private void logSampled(String message, Path path, Throwable error) {
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            long skipped = unlogged.getAndSet(0);
            LOG.warn(message + " ({} more since the last report)", path, skipped, error);
        } else {
            unlogged.incrementAndGet();
            LOG.debug(message + " {}", path, error.toString());
        }
    }

    private static void deleteCopy(Block block) {
        if (block.file != null) {
            deleteQuietly(block.file);
        }
    }

    private static void deleteQuietly(java.nio.file.Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("Deleting {} failed.", file, e);
        }
    }

    /**
     * Deletes {@code directory} and what it holds; files that evictions delete at the same time can
     * make a walk fail, so it tries again a few times.
     */
    private static void deleteRecursively(java.nio.file.Path directory) {
        for (int attempt = 0; attempt < 5 && Files.exists(directory); attempt++) {
            try (Stream<java.nio.file.Path> walk = Files.walk(directory)) {
                walk.sorted(Comparator.reverseOrder()).forEach(DiskTier::deleteQuietly);
            } catch (IOException | UncheckedIOException e) {
                LOG.debug("Deleting {} failed.", directory, e);
            }
        }
    }

    /**
     * Writes a copy's bytes to a new file. The seam under the tier's writes: {@link #FILES} in
     * production; a test wraps it to inject a full or failing disk. A write that throws may have
     * left part of the file behind (the tier deletes it).
     */
    @FunctionalInterface
    interface CopyWriter {
        /** Writes with a {@link FileChannel}, creating the file (which must not exist). */
        CopyWriter FILES =
                (file, bytes) -> {
                    try (FileChannel out =
                            FileChannel.open(
                                    file,
                                    StandardOpenOption.CREATE_NEW,
                                    StandardOpenOption.WRITE)) {
                        ByteBuffer buffer = ByteBuffer.wrap(bytes);
                        while (buffer.hasRemaining()) {
                            out.write(buffer);
                        }
                    }
                };

        void write(java.nio.file.Path file, byte[] bytes) throws IOException;
    }

    /** A block of a file: bytes {@code [index * blockBytes, (index + 1) * blockBytes)}. */
    record BlockKey(String path, long index) {
        @Override
        public boolean equals(Object o) {
            return o instanceof BlockKey other && index == other.index && path.equals(other.path);
        }

        @Override
        public int hashCode() {
            return 31 * path.hashCode() + Long.hashCode(index);
        }

        @Override
        public String toString() {
            return path + "#" + index;
        }
    }

    /**
     * A block's copy: its file, length and CRC32C; or, when the copy failed, no file and the bytes
     * read from storage (kept only until the caller that read them has answered).
     */
    static final class Block {
        @Nullable final java.nio.file.Path file;
        final int length;
        final long checksum;
        @Nullable final byte[] bytes;

        Block(
                @Nullable java.nio.file.Path file,
                int length,
                long checksum,
                @Nullable byte[] bytes) {
            this.file = file;
            this.length = length;
            this.checksum = checksum;
            this.bytes = bytes;
        }
    }
}
