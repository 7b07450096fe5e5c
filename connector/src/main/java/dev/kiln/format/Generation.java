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

package dev.kiln.format;

import dev.kiln.io.ByteRange;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;
import dev.kiln.io.ShortReadException;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.EOFException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * An open generation: its schema, key index, key filter and page locations, read from the file's
 * tail (the key index before the Arrow footer, the footer) with one or two range reads (three when
 * the footer alone is larger than the tail guess). Pages are then read one range each (or several
 * pages with coalesced reads) and decoded from their bytes alone; a generation is never read whole.
 *
 * <p>An open generation holds no Arrow memory and no open stream, so it needs no closing and may be
 * cached and shared freely. It keeps the {@link RangeReader} it was opened with for reading pages.
 *
 * <p>Threading: thread-safe and immutable. Methods returning futures never block: I/O runs on the
 * range reader's executor, and decoding in the future-returning conveniences ({@link #loadPage},
 * {@link #lookup}, ...) runs on the thread that completes the read. Callers that want decoding on
 * their own executor use {@link #readPages} and {@link #decodePage}, which is pure CPU.
 *
 * <p>Errors: a file that cannot be trusted fails the future (or throws, for {@link #decodePage})
 * with {@link CorruptGenerationException} naming the path and offset; storage failures fail it with
 * the range reader's {@link java.io.IOException}. Futures fail with a {@link CompletionException}
 * whose cause is that exception when observed through {@code join()}.
 */
@Internal
public final class Generation {

    /**
     * Default number of bytes read from the end of the file when opening: 64 KiB, which holds the
     * footer of a generation of up to a few tens of thousands of rows in one read.
     */
    public static final int DEFAULT_TAIL_GUESS_BYTES = 64 * 1024;

    /** Trailer: int32 footer length, then the magic. */
    static final int TRAILER_BYTES = 4 + 6;

    /** Leading magic padded to 8 bytes. */
    static final int HEADER_BYTES = 8;

    private final RangeReader io;
    private final Path path;
    private final long fileLength;
    private final Schema schema;
    private final Schema fileSchema;

    /** {@link #fileSchema} with string views as {@code Utf8}: the schema of the pages. */
    private final Schema pageSchema;

    private final KeyCodec keyCodec;
    private final GenerationFormat.Index index;
    private final List<ArrowBlock> blocks;
    private final PageDecoder decoder;

    /**
     * {@link KeyCodec#prefix} of each page's first key with the sign bit flipped (so that their
     * signed order is the prefixes' unsigned order), side by side: the page index is searched on
     * these numbers, and a page's first key is read only where the prefixes tie.
     */
    private final long[] signedFirstKeyPrefixes;

    private final long maxKeyPrefix;

    /** See {@link #pageSlots()}. */
    private final AtomicReferenceArray<Object> pageSlots;

    /** See {@link #uncached()}; set once, never cleared. */
    private volatile boolean uncached;

    Generation(
            RangeReader io,
            Path path,
            long fileLength,
            Schema schema,
            Schema fileSchema,
            KeyCodec keyCodec,
            GenerationFormat.Index index,
            List<ArrowBlock> blocks) {
        this.io = io;
        this.path = path;
        this.fileLength = fileLength;
        this.schema = schema;
        this.fileSchema = fileSchema;
        this.pageSchema = StringViews.inMemory(fileSchema);
        this.keyCodec = keyCodec;
        this.index = index;
        this.blocks = blocks;
        this.decoder = new PageDecoder(path, fileSchema, keyCodec, index, blocks);
        this.signedFirstKeyPrefixes = new long[index.firstKeys.length];
        for (int p = 0; p < signedFirstKeyPrefixes.length; p++) {
            signedFirstKeyPrefixes[p] = KeyCodec.prefix(index.firstKeys[p]) ^ Long.MIN_VALUE;
        }
        this.maxKeyPrefix = KeyCodec.prefix(index.maxKey);
        this.pageSlots = new AtomicReferenceArray<>(blocks.size());
    }

    /**
     * Opens the generation at {@code path}: one length request, then one or two range reads (three
     * when the footer alone is larger than the tail guess).
     *
     * @see #open(RangeReader, Path, long, int)
     */
    public static CompletableFuture<Generation> open(RangeReader io, Path path) {
        requireNonNull(io, "io");
        requireNonNull(path, "path");
        return io.length(path).thenCompose(length -> open(io, path, length));
    }

    /**
     * Opens the generation at {@code path} of known length (as recorded by the writer's {@link
     * GenerationStats#fileBytes()}), reading {@value #DEFAULT_TAIL_GUESS_BYTES} bytes from its end.
     *
     * @see #open(RangeReader, Path, long, int)
     */
    public static CompletableFuture<Generation> open(RangeReader io, Path path, long fileLength) {
        return open(io, path, fileLength, DEFAULT_TAIL_GUESS_BYTES);
    }

    /**
     * Opens the generation at {@code path} of {@code fileLength} bytes: reads the last {@code
     * tailGuessBytes} bytes (or the whole file if shorter); only if the footer begins before them,
     * one more range with the rest of the footer; and only if the key index (stored before the
     * footer since format version 3) begins before them, one more range with the index. No other
     * request is made: one read when the tail guess covers the index, two when it covers the
     * footer.
     *
     * @throws IllegalArgumentException if {@code fileLength} is negative or {@code tailGuessBytes}
     *     is less than 16
     * @return a future of the open generation; it fails with {@link CorruptGenerationException} if
     *     the file is too short, lacks the trailing Arrow magic (the leading one is checked only
     *     when the tail read covers the whole file: a third read is not worth it, and page
     *     checksums catch a damaged start), has a bad footer or index (the index's checksum, the
     *     footer's schema and record-batch blocks against the fingerprint in the index, blocks
     *     within the file before the footer, a schema of types generations hold), or is shorter
     *     than {@code fileLength}; with {@link UnsupportedFormatVersionException} if its format
     *     version is not one this reader reads ({@value
     *     GenerationFormat#FORMAT_VERSION_BASE64_INDEX} and {@value
     *     GenerationFormat#FORMAT_VERSION})
     */
    public static CompletableFuture<Generation> open(
            RangeReader io, Path path, long fileLength, int tailGuessBytes) {
        requireNonNull(io, "io");
        requireNonNull(path, "path");
        if (fileLength < 0) {
            throw new IllegalArgumentException(
                    "fileLength must not be negative, but was " + fileLength);
        }
        if (tailGuessBytes < 16) {
            throw new IllegalArgumentException(
                    "tailGuessBytes must be at least 16, but was " + tailGuessBytes);
        }
        if (fileLength < HEADER_BYTES + TRAILER_BYTES) {
            return CompletableFuture.failedFuture(
                    new CorruptGenerationException(
                            path,
                            0,
                            "file of "
                                    + fileLength
                                    + " bytes is too short to be an Arrow IPC file"));
        }
        long tailStart = Math.max(0, fileLength - tailGuessBytes);
        return read(io, path, ByteRange.of(tailStart, fileLength - tailStart))
                .thenCompose(
                        tail -> {
                            long footerStart =
                                    GenerationFooter.footerStart(path, fileLength, tailStart, tail);
                            int footerLength = (int) (fileLength - TRAILER_BYTES - footerStart);
                            CompletableFuture<byte[]> footer;
                            if (footerStart >= tailStart) {
                                int from = (int) (footerStart - tailStart);
                                footer =
                                        CompletableFuture.completedFuture(
                                                Arrays.copyOfRange(
                                                        tail, from, from + footerLength));
                            } else {
                                ByteRange head = ByteRange.of(footerStart, tailStart - footerStart);
                                footer =
                                        read(io, path, head)
                                                .thenApply(
                                                        bytes -> {
                                                            byte[] all =
                                                                    Arrays.copyOf(
                                                                            bytes, footerLength);
                                                            System.arraycopy(
                                                                    tail,
                                                                    0,
                                                                    all,
                                                                    bytes.length,
                                                                    footerLength - bytes.length);
                                                            return all;
                                                        });
                            }
                            return footer.thenCompose(
                                    bytes ->
                                            withIndex(
                                                    io,
                                                    path,
                                                    fileLength,
                                                    footerStart,
                                                    bytes,
                                                    tailStart,
                                                    tail));
                        });
    }

    /**
     * Parses the footer and opens the generation, taking its index (format version 3) from {@code
     * tail} (the file's bytes from {@code tailStart}) where it lies there, else in one more read.
     */
    private static CompletableFuture<Generation> withIndex(
            RangeReader io,
            Path path,
            long fileLength,
            long footerStart,
            byte[] footerBytes,
            long tailStart,
            byte[] tail) {
        GenerationFooter.Footer footer;
        try {
            footer = GenerationFooter.footer(path, footerStart, footerBytes);
        } catch (CorruptGenerationException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<byte[]> index;
        if (!footer.indexInBody()) {
            index = CompletableFuture.completedFuture(null);
        } else if (footer.indexOffset >= tailStart) {
            int from = (int) (footer.indexOffset - tailStart);
            index =
                    CompletableFuture.completedFuture(
                            Arrays.copyOfRange(tail, from, from + footer.indexLength));
        } else {
            index = read(io, path, footer.indexRange());
        }
        return index.thenApply(
                bytes -> {
                    try {
                        return GenerationFooter.parse(
                                io, path, fileLength, footerStart, footer, bytes);
                    } catch (CorruptGenerationException e) {
                        throw new CompletionException(e);
                    }
                });
    }

    /**
     * Opens the generation at {@code path} of {@code fileLength} bytes from {@code tail}, its last
     * bytes as its writer wrote them ({@link GenerationWriter.Listener#written}): no read, the
     * checks of {@link #open(RangeReader, Path, long, int)} on the footer. Pages are then read
     * through {@code io}.
     *
     * @throws CorruptGenerationException if {@code tail} does not end with a valid footer
     */
    public static Generation ofTail(RangeReader io, Path path, long fileLength, byte[] tail)
            throws CorruptGenerationException {
        requireNonNull(io, "io");
        requireNonNull(path, "path");
        requireNonNull(tail, "tail");
        if (tail.length < TRAILER_BYTES || tail.length > fileLength) {
            throw new CorruptGenerationException(
                    path, 0, "a tail of " + tail.length + " bytes of a file of " + fileLength);
        }
        long tailStart = fileLength - tail.length;
        long footerStart;
        try {
            footerStart = GenerationFooter.footerStart(path, fileLength, tailStart, tail);
        } catch (CompletionException e) {
            if (e.getCause() instanceof CorruptGenerationException corrupt) {
                throw corrupt;
            }
            throw e;
        }
        if (footerStart < tailStart) {
            throw new CorruptGenerationException(
                    path, footerStart, "the footer begins before the tail at " + tailStart);
        }
        int from = (int) (footerStart - tailStart);
        GenerationFooter.Footer footer =
                GenerationFooter.footer(
                        path,
                        footerStart,
                        Arrays.copyOfRange(tail, from, tail.length - TRAILER_BYTES));
        byte[] index = null;
        if (footer.indexInBody()) {
            if (footer.indexOffset < tailStart) {
                throw new CorruptGenerationException(
                        path,
                        footer.indexOffset,
                        "the key index begins before the tail at " + tailStart);
            }
            int at = (int) (footer.indexOffset - tailStart);
            index = Arrays.copyOfRange(tail, at, at + footer.indexLength);
        }
        return GenerationFooter.parse(io, path, fileLength, footerStart, footer, index);
    }

    /**
     * Returns a 64-bit checksum of a generation file of {@code fileLength} bytes ending with {@code
     * tail} (its footer: the schema, every page's block and CRC32C, the key index and filter), so
     * that two files with one checksum are, but for a collision, the same file.
     */
    public static long tailChecksum(long fileLength, byte[] tail) {
        return XxHash64.hash(tail, fileLength);
    }

    /**
     * Wraps {@code rows}, the rows of page {@code page} as the writer of this generation wrote them
     * ({@link GenerationWriter.Listener#pageWritten}, copied), as that page, without decoding: the
     * page takes ownership of {@code rows}. Checks the schema and the row count against the footer.
     *
     * @throws IllegalArgumentException if {@code rows} cannot be that page (nothing is taken)
     */
    public Page writtenPage(int page, VectorSchemaRoot rows) {
        checkPage(page);
        if (!rows.getSchema().getFields().equals(pageSchema.getFields())) {
            throw new IllegalArgumentException(
                    "rows of " + rows.getSchema() + " are not a page of " + path);
        }
        if (rows.getRowCount() != index.pageRows[page]) {
            throw new IllegalArgumentException(
                    rows.getRowCount()
                            + " rows are not page "
                            + page
                            + " of "
                            + path
                            + ", which has "
                            + index.pageRows[page]);
        }
        return new Page(page, rows, keyCodec, pageRange(page).length());
    }

    /** Returns the path this generation was opened from. */
    public Path path() {
        return path;
    }

    /** Returns the file's length in bytes. */
    public long fileLength() {
        return fileLength;
    }

    /** Returns the format version the file was written in. */
    public int formatVersion() {
        return index.version;
    }

    /**
     * Returns the string columns this file stores as Arrow string views ({@code Utf8View}, format
     * version 4; every value of such a column is at most 12 bytes), in schema order. Its pages hold
     * them as {@code Utf8}, as {@link #schema} says, whatever their stored type.
     */
    public Set<String> stringViewColumns() {
        return Collections.unmodifiableSet(StringViews.viewColumns(fileSchema));
    }

    /** Returns the schema of the rows (without the row-kind column). */
    public Schema schema() {
        return schema;
    }

    /** Returns the codec of the primary key, with which lookup keys must be encoded. */
    public KeyCodec keyCodec() {
        return keyCodec;
    }

    /** Returns the number of rows (distinct keys, tombstones included). */
    public long rowCount() {
        return index.rowCount;
    }

    /** Returns the number of tombstones. */
    public long tombstoneCount() {
        return index.tombstoneCount;
    }

    /**
     * Returns one slot per page of this open generation, all {@code null} at first, for a page
     * cache to index the pages of it that it holds (slot {@code p} for page {@code p}), so that a
     * cached page is found by an array read from the generation it was looked up in. This class
     * never reads or writes them; what they hold, and when, is the cache's contract.
     */
    public AtomicReferenceArray<Object> pageSlots() {
        return pageSlots;
    }

    /**
     * Marks this open generation as removed from the cache that held it (evicted or invalidated,
     * for any reason). Set once and never cleared, also if the same object is cached again: a cache
     * that keeps open generations in slots outside it serves one from a slot only while this is not
     * set, and finds it through the cache otherwise. This class never reads it.
     */
    public void markUncached() {
        uncached = true;
    }

    /**
     * Returns this open generation as if opened again from the same bytes: the same parts, no
     * {@linkplain #pageSlots() page slots} filled, not {@linkplain #uncached() marked uncached}.
     * What a cache puts back when it adopts again a generation it removed.
     */
    public Generation copy() {
        return new Generation(io, path, fileLength, schema, fileSchema, keyCodec, index, blocks);
    }

    /** Whether {@link #markUncached()} was called. */
    public boolean uncached() {
        return uncached;
    }

    /** Returns the number of pages. */
    public int pageCount() {
        return blocks.size();
    }

    /** Returns the number of rows of page {@code page}. */
    public int pageRowCount(int page) {
        checkPage(page);
        return index.pageRows[page];
    }

    /** Returns the byte range of page {@code page} in the file: its whole Arrow block. */
    public ByteRange pageRange(int page) {
        checkPage(page);
        ArrowBlock b = blocks.get(page);
        return ByteRange.of(b.getOffset(), b.getMetadataLength() + b.getBodyLength());
    }

    /** Returns the smallest encoded key (a copy), or {@code null} if the generation is empty. */
    public byte[] minKey() {
        return blocks.isEmpty() ? null : index.firstKeys[0].clone();
    }

    /** Returns the largest encoded key (a copy), or {@code null} if the generation is empty. */
    public byte[] maxKey() {
        return blocks.isEmpty() ? null : index.maxKey.clone();
    }

    /**
     * Returns the only page that can hold encoded key {@code key}, or -1 if the key is outside the
     * generation's key range. Does not consult the key filter.
     */
    public int pageOf(byte[] key) {
        requireNonNull(key, "key");
        if (blocks.isEmpty()) {
            return -1;
        }
        long probe = KeyCodec.prefix(key);
        // The last page whose first key's prefix is at most the probe's, on the prefixes mapped
        // to signed order, without a branch on the data (conditional moves): the answer stays in
        // [base, base + n).
        long[] ordered = signedFirstKeyPrefixes;
        long target = probe ^ Long.MIN_VALUE;
        int base = 0;
        int n = ordered.length;
        while (n > 1) {
            int half = n >>> 1;
            base = ordered[base + half] <= target ? base + half : base;
            n -= half;
        }
        long first = ordered[base];
        if (first < target) {
            // Page base's first key sorts before the key (its prefix is less), every later
            // page's after it (their prefixes are greater): the key's page, if in range.
            return compare(maxKeyPrefix, index.maxKey, key, probe) < 0 ? -1 : base;
        }
        if (first > target) {
            return -1; // base is 0: the key's prefix is below the first key's
        }
        // A prefix tie: the bytes after the first 8 decide.
        return pageOfByBytes(key, probe);
    }

    /** {@link #pageOf} comparing the first keys' bytes where their prefixes tie with the key's. */
    private int pageOfByBytes(byte[] key, long probe) {
        if (compareFirstKey(0, key, probe) > 0
                || compare(maxKeyPrefix, index.maxKey, key, probe) < 0) {
            return -1;
        }
        int low = 0;
        int high = blocks.size() - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (compareFirstKey(mid, key, probe) <= 0) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /** Compares page {@code page}'s first key with {@code key}, whose prefix is {@code probe}. */
    private int compareFirstKey(int page, byte[] key, long probe) {
        return compare(
                signedFirstKeyPrefixes[page] ^ Long.MIN_VALUE, index.firstKeys[page], key, probe);
    }

    /**
     * Compares encoded key {@code a} with {@code b} given their {@link KeyCodec#prefix}es: by the
     * prefixes where they differ, by the bytes only where they tie.
     */
    private static int compare(long aPrefix, byte[] a, byte[] b, long bPrefix) {
        return aPrefix != bPrefix ? Long.compareUnsigned(aPrefix, bPrefix) : KeyCodec.compare(a, b);
    }

    /**
     * Returns whether the generation may hold encoded key {@code key}: false if the key is outside
     * its key range or its key filter rules it out (then it is certainly absent), true otherwise
     * (present, or a false positive at about the configured rate).
     */
    public boolean mightContain(byte[] key) {
        return pageOf(key) >= 0 && index.filter.mightContain(key);
    }

    /**
     * Returns the page that may hold encoded key {@code key}, or -1 if {@link #mightContain} is
     * false: {@link #pageOf} and the key filter in one call.
     */
    public int candidatePage(byte[] key) {
        int page = pageOf(key);
        return page >= 0 && index.filter.mightContain(key) ? page : -1;
    }

    /** Reads the bytes of page {@code page} with one range read. */
    public CompletableFuture<byte[]> readPage(int page) {
        return read(io, path, pageRange(page));
    }

    /**
     * Reads the bytes of {@code pages} with one range read per range that {@code coalescer} merges
     * them into, all issued at once.
     *
     * @return a future of each page's bytes, in the order of {@code pages}
     */
    public CompletableFuture<List<byte[]>> readPages(int[] pages, RangeCoalescer coalescer) {
        requireNonNull(pages, "pages");
        requireNonNull(coalescer, "coalescer");
        List<ByteRange> ranges = new ArrayList<>(pages.length);
        for (int p : pages) {
            ranges.add(pageRange(p));
        }
        return coalescer
                .read(io, path, ranges)
                .exceptionally(
                        e -> {
                            Throwable cause = unwrap(e);
                            if (cause instanceof ShortReadException shortRead) {
                                throw corrupt(
                                        path,
                                        shortRead.endOffset(),
                                        "short read: " + cause.getMessage());
                            }
                            throw e instanceof CompletionException
                                    ? (CompletionException) e
                                    : new CompletionException(cause);
                        });
    }

    /**
     * Decodes page {@code page} from its block bytes (as read by {@link #readPage}), after checking
     * their length and CRC32C. Pure CPU; the returned page is owned by the caller.
     *
     * <p>Even bytes whose checksum matches (a writer bug, a hostile file) are not trusted: the
     * record batch's header is checked against the block, the index and the schema before any Arrow
     * memory is allocated (so allocation is bounded by the block's size), the decoded vectors are
     * validated, and every row must have a valid row kind and a non-null key. On any failure,
     * everything allocated is released before this method throws.
     *
     * @throws CorruptGenerationException if the bytes fail the checksum or cannot be decoded
     * @throws OutOfMemoryException (Arrow's, unchecked) if {@code allocator} cannot hold the page:
     *     a limit of the caller's allocator, not damage, so it is passed on as it is
     */
    public Page decodePage(int page, byte[] blockBytes, BufferAllocator allocator)
            throws CorruptGenerationException {
        return decoder.decode(checkPage(page), blockBytes, allocator);
    }

    /** Reads (one range read) and decodes page {@code page}; the page is owned by the caller. */
    public CompletableFuture<Page> loadPage(int page, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator");
        return readPage(page).thenApply(bytes -> decode(page, bytes, allocator));
    }

    /**
     * Reads {@code pages} with coalesced range reads ({@link #readPages}) and decodes them; the
     * pages, in the order of {@code pages}, are owned by the caller. If any page fails, the pages
     * already decoded are closed and the future fails.
     */
    public CompletableFuture<List<Page>> loadPages(
            int[] pages, RangeCoalescer coalescer, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator");
        return readPages(pages, coalescer)
                .thenApply(
                        bytes -> {
                            List<Page> decoded = new ArrayList<>(pages.length);
                            try {
                                for (int i = 0; i < pages.length; i++) {
                                    decoded.add(decode(pages[i], bytes.get(i), allocator));
                                }
                                return decoded;
                            } catch (RuntimeException e) {
                                decoded.forEach(Page::close);
                                throw e;
                            }
                        });
    }

    /**
     * Looks encoded key {@code key} up: no read if the key range or the key filter rules the key
     * out, otherwise one range read of the key's page, which is decoded into {@code allocator} and
     * released before the future completes.
     */
    public CompletableFuture<LookupResult> lookup(byte[] key, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator");
        int page = pageOf(key);
        if (page < 0 || !index.filter.mightContain(key)) {
            return CompletableFuture.completedFuture(LookupResult.absent());
        }
        return loadPage(page, allocator)
                .thenApply(
                        p -> {
                            try (p) {
                                return p.lookup(key);
                            }
                        });
    }

    /**
     * Hands every page to {@code consumer} in key order, reading consecutive pages together in
     * ranges of up to {@code coalescer}'s range size limit, one range at a time. Each page is lent:
     * it is closed when {@code consumer} returns. The future fails (and no further page is read) if
     * a read, a decode or {@code consumer} fails.
     */
    public CompletableFuture<Void> scan(
            BufferAllocator allocator, RangeCoalescer coalescer, Consumer<Page> consumer) {
        requireNonNull(allocator, "allocator");
        requireNonNull(coalescer, "coalescer");
        requireNonNull(consumer, "consumer");
        List<int[]> chunks = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long currentBytes = 0;
        for (int p = 0; p < blocks.size(); p++) {
            long size = pageRange(p).length();
            if (!current.isEmpty() && currentBytes + size > coalescer.rangeSizeLimit()) {
                chunks.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                currentBytes = 0;
            }
            current.add(p);
            currentBytes += size;
        }
        if (!current.isEmpty()) {
            chunks.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        for (int[] chunk : chunks) {
            done =
                    done.thenCompose(ignored -> readPages(chunk, coalescer))
                            .thenAccept(
                                    bytes -> {
                                        for (int i = 0; i < chunk.length; i++) {
                                            try (Page page =
                                                    decode(chunk[i], bytes.get(i), allocator)) {
                                                consumer.accept(page);
                                            }
                                        }
                                    });
        }
        return done;
    }

    @Override
    public String toString() {
        return "Generation{" + path + ", rows=" + index.rowCount + ", pages=" + blocks.size() + "}";
    }

    // ------------------------------------------------------------------------------------------

    private Page decode(int page, byte[] bytes, BufferAllocator allocator) {
        try {
            return decodePage(page, bytes, allocator);
        } catch (CorruptGenerationException e) {
            throw new CompletionException(e);
        }
    }

    private int checkPage(int page) {
        if (page < 0 || page >= blocks.size()) {
            throw new IndexOutOfBoundsException(
                    "page " + page + " of a generation of " + blocks.size() + " pages");
        }
        return page;
    }

    /** One range read whose short or past-the-end result is reported as corruption. */
    private static CompletableFuture<byte[]> read(RangeReader io, Path path, ByteRange range) {
        return io.read(path, range)
                .handle(
                        (bytes, error) -> {
                            if (error != null) {
                                Throwable cause = unwrap(error);
                                if (cause instanceof EOFException) {
                                    throw corrupt(
                                            path,
                                            range.offset(),
                                            "the file ends before range "
                                                    + range
                                                    + " (truncated): "
                                                    + cause.getMessage());
                                }
                                throw error instanceof CompletionException
                                        ? (CompletionException) error
                                        : new CompletionException(cause);
                            }
                            if (bytes.length != range.length()) {
                                throw corrupt(
                                        path,
                                        range.offset(),
                                        "short read: range "
                                                + range
                                                + " returned "
                                                + bytes.length
                                                + " bytes");
                            }
                            return bytes;
                        });
    }

    static CompletionException corrupt(Path path, long offset, String detail) {
        return new CompletionException(new CorruptGenerationException(path, offset, detail));
    }

    private static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
