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

package dev.kiln.benchmarks;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.Page;
import dev.kiln.format.PageCompression;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;

import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

import java.math.BigDecimal;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Bytes on storage, write rate and page decode cost of generations per page codec (issue 22 goal
 * 6), side by side in one run, and the bytes of a Parquet file of the same rows written by DuckDB
 * (zstd and snappy). Plain program (not JMH): each figure is the best of a few repetitions after a
 * warm-up. Args: {@code [rows] [repetitions] [codecs] [workloads]} (default 1,000,000, 3, {@code
 * none,lz4-frame,zstd-1,zstd-3} and {@code small,wide}).
 *
 * <p>Workloads: {@code small} = {@code id BIGINT, v BIGINT, s STRING} (2–5 random letters), ids a
 * random half of {@code [0, 2 rows)}, as in the issue's 20 M upserts over 2 M keys; {@code issue} =
 * the same columns with the issue's own values ({@code SqlUpsertWorkload}: {@code v} a random
 * 30-bit number, {@code s} 4 random letters); {@code wide} = id plus a timestamp, a decimal(12, 2),
 * an int, a 10–30 character name from 5,000, a 2-letter country from 50, a boolean and a double.
 * For {@code small} and {@code issue} it also writes the rows as plain Arrow IPC files with the
 * string column as {@code Utf8} and as {@code Utf8View} ({@link #stringViews}): what Arrow's string
 * view type would store.
 */
public final class CompressionBenchmark {

    static final Schema SMALL =
            new Schema(
                    List.of(
                            notNull("id", new ArrowType.Int(64, true)),
                            nullable("v", new ArrowType.Int(64, true)),
                            nullable("s", ArrowType.Utf8.INSTANCE)));

    private static final Schema WIDE =
            new Schema(
                    List.of(
                            notNull("id", new ArrowType.Int(64, true)),
                            nullable("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                            nullable("price", new ArrowType.Decimal(12, 2, 128)),
                            nullable("qty", new ArrowType.Int(32, true)),
                            nullable("name", ArrowType.Utf8.INSTANCE),
                            nullable("country", ArrowType.Utf8.INSTANCE),
                            nullable("flag", ArrowType.Bool.INSTANCE),
                            nullable(
                                    "score",
                                    new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));

    private CompressionBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Setting> settings = new ArrayList<>();
        for (String c : (args.length > 2 ? args[2] : "none,lz4-frame,zstd-1,zstd-3").split(",")) {
            settings.add(Setting.parse(c));
        }
        java.nio.file.Path dir = Files.createTempDirectory("kiln-compression-bench");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        RangeReader io = RangeReader.onFileSystem(pool);
        try (BufferAllocator allocator = new RootAllocator()) {
            for (String workload : (args.length > 3 ? args[3] : "small,wide").split(",")) {
                Schema schema = workload.equals("wide") ? WIDE : SMALL;
                try (VectorSchemaRoot memtable = memtable(workload, schema, rows, allocator)) {
                    System.out.printf(
                            "%n%s: %,d rows%n%-22s %10s %12s %14s %14s %14s %16s %9s %14s%n",
                            workload,
                            rows,
                            "codec@page target",
                            "bytes/row",
                            "write rows/s",
                            "decode µs/page",
                            "decoded KiB/pg",
                            "decode MB/s",
                            "validateFull µs/pg",
                            "rows/page",
                            "cache KiB/page");
                    List<String> profiles = new ArrayList<>();
                    for (Setting setting : settings) {
                        profiles.add(run(workload, setting, memtable, reps, dir, io, allocator));
                    }
                    profiles.forEach(System.out::print);
                    parquet(workload, schema, memtable, dir);
                    if (schema == SMALL) {
                        for (Setting setting : settings) {
                            if (setting.codec().codec() == PageCompression.Codec.ZSTD) {
                                stringViews(workload, setting, memtable, dir, allocator);
                            }
                        }
                    }
                }
            }
        } finally {
            pool.shutdownNow();
            GenerationFixture.deleteRecursively(dir);
        }
    }

    /**
     * A codec, a page target and a format version: {@code codec[@<KiB>k[-stored]][/v<version>]},
     * e.g. {@code zstd-3}, {@code zstd-19@512k} (pages cut at 512 KiB of Arrow buffers), {@code
     * zstd-3@128k-stored} (pages cut at about 128 KiB of bytes on storage) or {@code zstd-3/v3}
     * (format version 3: strings as {@code Utf8}, never as views; default the writer's default).
     */
    private record Setting(
            PageCompression codec, long targetPageBytes, boolean stored, int formatVersion) {
        static Setting parse(String spec) {
            int version = GenerationWriter.FORMAT_VERSION;
            int slash = spec.indexOf("/v");
            if (slash >= 0) {
                version = Integer.parseInt(spec.substring(slash + 2));
                spec = spec.substring(0, slash);
            }
            Setting setting = parse(spec, version);
            GenerationWriter.builder(SMALL, List.of("id")).formatVersion(version); // validates
            return setting;
        }

        private static Setting parse(String spec, int version) {
            String[] parts = spec.split("@", 2);
            String c = parts[0];
            PageCompression codec =
                    c.startsWith("zstd-")
                            ? PageCompression.zstd(Integer.parseInt(c.substring(5)))
                            : PageCompression.parse("codec", c, "level", null);
            if (parts.length == 1) {
                return new Setting(
                        codec, GenerationWriter.DEFAULT_TARGET_PAGE_BYTES, false, version);
            }
            String page = parts[1];
            boolean stored = page.endsWith("-stored");
            if (stored) {
                page = page.substring(0, page.length() - "-stored".length());
            }
            if (!page.endsWith("k")) {
                throw new IllegalArgumentException("page target must be <KiB>k: " + spec);
            }
            long kib = Long.parseLong(page.substring(0, page.length() - 1));
            return new Setting(codec, kib * 1024, stored, version);
        }

        @Override
        public String toString() {
            return codec
                    + "@"
                    + targetPageBytes / 1024
                    + "k"
                    + (stored ? "-stored" : "")
                    + (formatVersion == GenerationWriter.FORMAT_VERSION
                            ? ""
                            : "-v" + formatVersion);
        }
    }

    private static String run(
            String workload,
            Setting setting,
            VectorSchemaRoot memtable,
            int reps,
            java.nio.file.Path dir,
            RangeReader io,
            BufferAllocator allocator)
            throws Exception {
        PageCompression codec = setting.codec();
        GenerationWriter.Builder builder =
                GenerationWriter.builder(memtable.getSchema(), List.of("id"))
                        .compression(codec)
                        .formatVersion(setting.formatVersion());
        builder =
                setting.stored()
                        ? builder.targetStoredPageBytes(setting.targetPageBytes())
                        : builder.targetPageBytes(setting.targetPageBytes());
        GenerationWriter writer = builder.build();
        long bestWrite = Long.MAX_VALUE;
        GenerationStats stats = null;
        Path path = null;
        for (int r = 0; r <= reps; r++) { // the first is a warm-up
            if (path != null) {
                Files.delete(java.nio.file.Path.of(path.toUri())); // the disk may be small
            }
            path = new Path(dir.resolve(workload + "-" + setting + "-" + r + ".arrow").toUri());
            long start = System.nanoTime();
            stats = writer.write(path, memtable, new BitSet(), allocator);
            long took = System.nanoTime() - start;
            if (r > 0) {
                bestWrite = Math.min(bestWrite, took);
            }
        }
        Generation g = Generation.open(io, path, stats.fileBytes()).join();
        List<byte[]> pages = new ArrayList<>();
        for (int p = 0; p < g.pageCount(); p++) {
            pages.add(g.readPage(p).join());
        }
        long bestDecode = Long.MAX_VALUE;
        long decodedBytes = 0;
        for (int r = 0; r <= reps; r++) {
            long start = System.nanoTime();
            long bytes = 0;
            for (int p = 0; p < pages.size(); p++) {
                try (Page page = g.decodePage(p, pages.get(p), allocator)) {
                    bytes += page.sizeBytes();
                }
            }
            long took = System.nanoTime() - start;
            if (r > 0) {
                bestDecode = Math.min(bestDecode, took);
            }
            decodedBytes = bytes;
        }
        // What Arrow's full validation (no longer run on decode) would add per page.
        long bestValidate = Long.MAX_VALUE;
        for (int r = 0; r <= reps; r++) {
            long took = 0;
            for (int p = 0; p < pages.size(); p++) {
                try (Page page = g.decodePage(p, pages.get(p), allocator)) {
                    long start = System.nanoTime();
                    for (FieldVector v : page.root().getFieldVectors()) {
                        if (!(v instanceof DecimalVector)) { // Arrow 19 rejects full precision
                            ValueVectorUtility.validateFull(v);
                        }
                    }
                    took += System.nanoTime() - start;
                }
            }
            if (r > 0) {
                bestValidate = Math.min(bestValidate, took);
            }
        }
        // The memory a cache holds per decoded page: what its allocator has allocated for it, with
        // Arrow's rounding of each buffer up to a power of two.
        long cacheBytes = 0;
        try (BufferAllocator pageMemory = allocator.newChildAllocator("page", 0, Long.MAX_VALUE)) {
            for (int p = 0; p < pages.size(); p++) {
                try (Page page = g.decodePage(p, pages.get(p), pageMemory)) {
                    cacheBytes += pageMemory.getAllocatedMemory();
                }
            }
        }
        int rows = memtable.getRowCount();
        Files.delete(java.nio.file.Path.of(path.toUri()));
        System.out.printf(
                "%-22s %10.2f %,12.0f %14.1f %14.1f %14.0f %16.1f %,9d %14.1f%n",
                setting,
                (double) stats.fileBytes() / rows,
                rows * 1e9 / bestWrite,
                bestDecode / 1e3 / pages.size(),
                decodedBytes / 1024.0 / pages.size(),
                decodedBytes / (bestDecode / 1e9) / 1e6,
                bestValidate / 1e3 / pages.size(),
                rows / pages.size(),
                cacheBytes / 1024.0 / pages.size());
        return profile(
                setting,
                memtable.getSchema(),
                g.stringViewColumns(),
                pages,
                rows,
                stats.fileBytes());
    }

    /**
     * Where the bytes on storage go: per column and buffer (validity, offsets, data; validity and
     * views for a string column stored as views), the bytes per row of all pages' buffers as the
     * record batches' headers give them (compressed, with their 8-byte length prefix), the headers
     * themselves (page metadata, padding included), and the rest of the file: the key index and key
     * filter (raw bytes before the footer since format version 3), the schema and the magic.
     */
    private static String profile(
            Setting setting,
            Schema schema,
            java.util.Set<String> stringViews,
            List<byte[]> pages,
            int rows,
            long fileBytes)
            throws Exception {
        List<Field> fields = new ArrayList<>(schema.getFields());
        fields.add(
                new Field("_kiln_kind", FieldType.notNullable(new ArrowType.Int(8, true)), null));
        List<String> names = new ArrayList<>();
        for (Field f : fields) {
            boolean variable = f.getType() instanceof ArrowType.Utf8;
            names.add(f.getName() + ".validity");
            if (stringViews.contains(f.getName())) {
                names.add(f.getName() + ".views"); // inline: no data buffers
                continue;
            }
            if (variable) {
                names.add(f.getName() + ".offsets");
            }
            names.add(f.getName() + ".data");
        }
        long[] bytes = new long[names.size()];
        long body = 0;
        long total = 0;
        for (byte[] page : pages) {
            total += page.length;
            MessageMetadataResult message =
                    MessageSerializer.readMessage(
                            new ReadChannel(
                                    Channels.newChannel(new java.io.ByteArrayInputStream(page))));
            RecordBatch batch = (RecordBatch) message.getMessage().header(new RecordBatch());
            if (batch.buffersLength() != bytes.length) {
                throw new IllegalStateException(batch.buffersLength() + " buffers");
            }
            for (int b = 0; b < bytes.length; b++) {
                bytes[b] += batch.buffers(b).length();
                body += batch.buffers(b).length();
            }
        }
        StringBuilder out = new StringBuilder("  bytes/row of " + setting + ":");
        for (int b = 0; b < bytes.length; b++) {
            out.append(String.format(" %s %.2f", names.get(b), (double) bytes[b] / rows));
        }
        out.append(String.format(" headers+padding %.2f", (double) (total - body) / rows));
        out.append(String.format(" footer+schema %.2f%n", (double) (fileBytes - total) / rows));
        return out.toString();
    }

    private static void parquet(
            String workload, Schema schema, VectorSchemaRoot memtable, java.nio.file.Path dir)
            throws Exception {
        try (DuckDBConnection db = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
                Statement sql = db.createStatement()) {
            sql.execute("SET threads TO 1");
            sql.execute(
                    !workload.equals("wide")
                            ? "CREATE TABLE t (id BIGINT, v BIGINT, s VARCHAR)"
                            : "CREATE TABLE t (id BIGINT, ts TIMESTAMP, price DECIMAL(12, 2),"
                                    + " qty INTEGER, name VARCHAR, country VARCHAR, flag BOOLEAN,"
                                    + " score DOUBLE)");
            // Sorted by key, as a Parquet-backed table's files usually are not: a favour to
            // Parquet.
            Integer[] order = sortedById(memtable);
            try (DuckDBAppender appender =
                    db.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "t")) {
                for (int i : order) {
                    appender.beginRow();
                    appender.append(((BigIntVector) memtable.getVector("id")).get(i));
                    if (!workload.equals("wide")) {
                        appender.append(((BigIntVector) memtable.getVector("v")).get(i));
                        appender.append(string(memtable, "s", i));
                    } else {
                        appender.append(
                                java.time.LocalDateTime.ofEpochSecond(
                                        Math.floorDiv(
                                                ((TimeStampMicroVector) memtable.getVector("ts"))
                                                        .get(i),
                                                1_000_000L),
                                        (int)
                                                        Math.floorMod(
                                                                ((TimeStampMicroVector)
                                                                                memtable.getVector(
                                                                                        "ts"))
                                                                        .get(i),
                                                                1_000_000L)
                                                * 1000,
                                        java.time.ZoneOffset.UTC));
                        appender.append(((DecimalVector) memtable.getVector("price")).getObject(i));
                        appender.append(((IntVector) memtable.getVector("qty")).get(i));
                        appender.append(string(memtable, "name", i));
                        appender.append(string(memtable, "country", i));
                        appender.append(((BitVector) memtable.getVector("flag")).get(i) == 1);
                        appender.append(((Float8Vector) memtable.getVector("score")).get(i));
                    }
                    appender.endRow();
                }
            }
            for (String compression : new String[] {"zstd", "snappy"}) {
                java.nio.file.Path file = dir.resolve(workload + "-" + compression + ".parquet");
                sql.execute(
                        "COPY t TO '"
                                + file
                                + "' (FORMAT parquet, COMPRESSION "
                                + compression
                                + ")");
                System.out.printf(
                        "%-10s %10.2f   (Parquet by DuckDB, %s, same rows sorted by id)%n",
                        "parquet", (double) Files.size(file) / memtable.getRowCount(), compression);
            }
        }
    }

    /**
     * The string column as Arrow's {@code Utf8View} (16-byte views, strings of up to 12 bytes
     * inline) against {@code Utf8} (4-byte offsets and the bytes): the same rows sorted by id, in
     * pages of the same row count as a generation's default page, written by Arrow's own file
     * writer with its ZSTD codec at {@code setting}'s level. Prints bytes per row of each file and
     * of the string column's buffers. The files stay in {@code -Dkiln.views.dir} if set (to check
     * other readers), else in {@code dir}.
     */
    private static void stringViews(
            String workload,
            Setting setting,
            VectorSchemaRoot memtable,
            java.nio.file.Path dir,
            BufferAllocator allocator)
            throws Exception {
        int rows = memtable.getRowCount();
        Integer[] order = sortedById(memtable);
        VarCharVector source = (VarCharVector) memtable.getVector("s");
        long stringBytes = source.getDataBuffer().writerIndex();
        // Rows per page of a generation's default target: 8 + 8 + 1 (id, v, row kind), 4 + the
        // mean string length, plus validity bits.
        int pageRows =
                (int)
                        (GenerationWriter.DEFAULT_TARGET_PAGE_BYTES
                                / (17.25 + 4 + (double) stringBytes / rows));
        String keep = System.getProperty("kiln.views.dir");
        java.nio.file.Path out = keep == null ? dir : java.nio.file.Path.of(keep);
        Files.createDirectories(out);
        StringBuilder line = new StringBuilder();
        for (boolean view : new boolean[] {false, true}) {
            Schema schema =
                    new Schema(
                            List.of(
                                    notNull("id", new ArrowType.Int(64, true)),
                                    nullable("v", new ArrowType.Int(64, true)),
                                    nullable(
                                            "s",
                                            view
                                                    ? ArrowType.Utf8View.INSTANCE
                                                    : ArrowType.Utf8.INSTANCE)));
            java.nio.file.Path file =
                    out.resolve(
                            workload
                                    + "-"
                                    + (view ? "utf8view" : "utf8")
                                    + "-zstd"
                                    + setting.codec().level()
                                    + ".arrow");
            try (VectorSchemaRoot page = VectorSchemaRoot.create(schema, allocator);
                    java.nio.channels.FileChannel channel =
                            java.nio.channels.FileChannel.open(
                                    file,
                                    java.nio.file.StandardOpenOption.CREATE,
                                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                                    java.nio.file.StandardOpenOption.WRITE);
                    org.apache.arrow.vector.ipc.ArrowFileWriter writer =
                            new org.apache.arrow.vector.ipc.ArrowFileWriter(
                                    page,
                                    null,
                                    channel,
                                    null,
                                    org.apache.arrow.vector.ipc.message.IpcOption.DEFAULT,
                                    org.apache.arrow.compression.CommonsCompressionFactory.INSTANCE,
                                    org.apache.arrow.vector.compression.CompressionUtil.CodecType
                                            .ZSTD,
                                    java.util.Optional.of(setting.codec().level()))) {
                writer.start();
                BigIntVector id = (BigIntVector) page.getVector("id");
                BigIntVector v = (BigIntVector) page.getVector("v");
                FieldVector s = page.getVector("s");
                for (int from = 0; from < rows; from += pageRows) {
                    int n = Math.min(pageRows, rows - from);
                    page.allocateNew();
                    for (int i = 0; i < n; i++) {
                        int r = order[from + i];
                        id.setSafe(i, ((BigIntVector) memtable.getVector("id")).get(r));
                        v.setSafe(i, ((BigIntVector) memtable.getVector("v")).get(r));
                        byte[] b = source.get(r);
                        if (view) {
                            ((org.apache.arrow.vector.ViewVarCharVector) s).setSafe(i, b);
                        } else {
                            ((VarCharVector) s).setSafe(i, b);
                        }
                    }
                    page.setRowCount(n);
                    writer.writeBatch();
                }
                writer.end();
            }
            long fileBytes = Files.size(file);
            // The string column's buffers on storage, from each record batch's header.
            long[] columnBytes = new long[4];
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file);
                    org.apache.arrow.vector.ipc.ArrowFileReader reader =
                            new org.apache.arrow.vector.ipc.ArrowFileReader(
                                    channel,
                                    allocator,
                                    org.apache.arrow.compression.CommonsCompressionFactory
                                            .INSTANCE)) {
                for (org.apache.arrow.vector.ipc.message.ArrowBlock block :
                        reader.getRecordBlocks()) {
                    channel.position(block.getOffset());
                    MessageMetadataResult message =
                            MessageSerializer.readMessage(new ReadChannel(channel));
                    RecordBatch batch =
                            (RecordBatch) message.getMessage().header(new RecordBatch());
                    // id: validity, data; v: validity, data; s: validity, then offsets + data
                    // (Utf8) or views + variadic data buffers (Utf8View).
                    for (int b = 4; b < batch.buffersLength(); b++) {
                        columnBytes[Math.min(b - 4, 3)] += batch.buffers(b).length();
                    }
                }
                // Every row reads back equal (Arrow decodes its own file).
                long checked = 0;
                while (reader.loadNextBatch()) {
                    VectorSchemaRoot read = reader.getVectorSchemaRoot();
                    for (int i = 0; i < read.getRowCount(); i++, checked++) {
                        int r = order[(int) checked];
                        byte[] b =
                                view
                                        ? ((org.apache.arrow.vector.ViewVarCharVector)
                                                        read.getVector("s"))
                                                .get(i)
                                        : ((VarCharVector) read.getVector("s")).get(i);
                        if (!Arrays.equals(b, source.get(r))) {
                            throw new IllegalStateException("row " + checked + " differs");
                        }
                    }
                }
                if (checked != rows) {
                    throw new IllegalStateException(checked + " rows read of " + rows);
                }
            }
            line.append(
                    String.format(
                            "  %s s as %-8s file %.2f B/row; s: validity %.2f, %s %.2f, data %.2f"
                                    + " (%d rows/page)%n",
                            setting.codec(),
                            view ? "Utf8View" : "Utf8",
                            (double) fileBytes / rows,
                            (double) columnBytes[0] / rows,
                            view ? "views" : "offsets",
                            (double) columnBytes[1] / rows,
                            (double) (columnBytes[2] + columnBytes[3]) / rows,
                            pageRows));
            if (keep == null) {
                Files.delete(file);
            }
        }
        System.out.print(line);
    }

    private static Integer[] sortedById(VectorSchemaRoot memtable) {
        BigIntVector id = (BigIntVector) memtable.getVector("id");
        Integer[] order = new Integer[memtable.getRowCount()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(id.get(a), id.get(b)));
        return order;
    }

    private static String string(VectorSchemaRoot root, String column, int row) {
        return new String(
                ((VarCharVector) root.getVector(column)).get(row), StandardCharsets.UTF_8);
    }

    /** Rows of {@code schema}: distinct ids, a random half of [0, 2 rows), in random order. */
    static VectorSchemaRoot memtable(
            String workload, Schema schema, int rows, BufferAllocator allocator) {
        boolean issue = workload.equals("issue");
        Random random = new Random(42);
        long[] ids = new long[2 * rows];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        for (int i = ids.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        String[] names = new String[5000];
        for (int i = 0; i < names.length; i++) {
            names[i] = letters(random, 10 + random.nextInt(21));
        }
        String[] countries = new String[50];
        for (int i = 0; i < countries.length; i++) {
            countries[i] = letters(random, 2).toUpperCase(java.util.Locale.ROOT);
        }
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        for (int r = 0; r < rows; r++) {
            ((BigIntVector) root.getVector("id")).setSafe(r, ids[r]);
            if (schema == SMALL) {
                ((BigIntVector) root.getVector("v"))
                        .setSafe(r, random.nextInt(issue ? 1 << 30 : 1_000_000_000));
                ((VarCharVector) root.getVector("s"))
                        .setSafe(
                                r,
                                letters(random, issue ? 4 : 2 + random.nextInt(4))
                                        .getBytes(StandardCharsets.UTF_8));
            } else {
                ((TimeStampMicroVector) root.getVector("ts"))
                        .setSafe(r, 1_760_000_000_000_000L + random.nextInt(86_400) * 1_000_000L);
                ((DecimalVector) root.getVector("price"))
                        .setSafe(r, BigDecimal.valueOf(random.nextInt(1_000_000), 2));
                ((IntVector) root.getVector("qty")).setSafe(r, random.nextInt(100));
                ((VarCharVector) root.getVector("name"))
                        .setSafe(
                                r,
                                names[random.nextInt(names.length)].getBytes(
                                        StandardCharsets.UTF_8));
                ((VarCharVector) root.getVector("country"))
                        .setSafe(
                                r,
                                countries[random.nextInt(countries.length)].getBytes(
                                        StandardCharsets.UTF_8));
                ((BitVector) root.getVector("flag")).setSafe(r, random.nextInt(2));
                ((Float8Vector) root.getVector("score")).setSafe(r, random.nextDouble() * 100);
            }
        }
        root.setRowCount(rows);
        return root;
    }

    private static String letters(Random random, int length) {
        char[] c = new char[length];
        for (int i = 0; i < length; i++) {
            c[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(c);
    }

    private static Field notNull(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    private static Field nullable(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }
}
