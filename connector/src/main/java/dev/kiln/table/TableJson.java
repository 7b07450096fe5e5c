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

import dev.kiln.format.GenerationWriter;
import dev.kiln.format.PageCompression;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.vector.types.pojo.Schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32C;

import static java.util.Objects.requireNonNull;

/**
 * The JSON forms of the table metadata and of manifests, and the checks a file must pass before
 * anything is read from it. Thread-safe.
 */
final class TableJson {

    static final int FORMAT_VERSION = 1;

    private static final ObjectMapper MAPPER =
            new ObjectMapper()
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                    // Fields a newer Kiln adds are ignored; a change of meaning bumps the format.
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private TableJson() {}

    record TableFile(
            int formatVersion,
            String schema,
            List<String> primaryKey,
            int bucketCount,
            long targetPageBytes,
            double filterFalsePositiveRate,
            @Nullable String tableId,
            @Nullable String compression,
            @Nullable Integer compressionLevel,
            @Nullable String pageSizeBasis,
            @Nullable Integer compactionCompressionLevel,
            @Nullable Integer generationFormatVersion,
            @Nullable Double bottommostFilterFalsePositiveRate) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TableFile other
                    && formatVersion == other.formatVersion
                    && Objects.equals(schema, other.schema)
                    && Objects.equals(primaryKey, other.primaryKey)
                    && bucketCount == other.bucketCount
                    && targetPageBytes == other.targetPageBytes
                    && Double.compare(filterFalsePositiveRate, other.filterFalsePositiveRate) == 0
                    && Objects.equals(tableId, other.tableId)
                    && Objects.equals(compression, other.compression)
                    && Objects.equals(compressionLevel, other.compressionLevel)
                    && Objects.equals(pageSizeBasis, other.pageSizeBasis)
                    && Objects.equals(compactionCompressionLevel, other.compactionCompressionLevel)
                    && Objects.equals(generationFormatVersion, other.generationFormatVersion)
                    && Objects.equals(
                            bottommostFilterFalsePositiveRate,
                            other.bottommostFilterFalsePositiveRate);
        }

        @Override
        public int hashCode() {
            int h = Integer.hashCode(formatVersion);
            h = 31 * h + Objects.hashCode(schema);
            h = 31 * h + Objects.hashCode(primaryKey);
            h = 31 * h + Integer.hashCode(bucketCount);
            h = 31 * h + Long.hashCode(targetPageBytes);
            h = 31 * h + Double.hashCode(filterFalsePositiveRate);
            h = 31 * h + Objects.hashCode(tableId);
            h = 31 * h + Objects.hashCode(compression);
            h = 31 * h + Objects.hashCode(compressionLevel);
            h = 31 * h + Objects.hashCode(pageSizeBasis);
            h = 31 * h + Objects.hashCode(compactionCompressionLevel);
            h = 31 * h + Objects.hashCode(generationFormatVersion);
            h = 31 * h + Objects.hashCode(bottommostFilterFalsePositiveRate);
            return h;
        }

        @Override
        public String toString() {
            return "TableFile[formatVersion="
                    + formatVersion
                    + ", schema="
                    + schema
                    + ", primaryKey="
                    + primaryKey
                    + ", bucketCount="
                    + bucketCount
                    + ", targetPageBytes="
                    + targetPageBytes
                    + ", filterFalsePositiveRate="
                    + filterFalsePositiveRate
                    + ", tableId="
                    + tableId
                    + ", compression="
                    + compression
                    + ", compressionLevel="
                    + compressionLevel
                    + ", pageSizeBasis="
                    + pageSizeBasis
                    + ", compactionCompressionLevel="
                    + compactionCompressionLevel
                    + ", generationFormatVersion="
                    + generationFormatVersion
                    + ", bottommostFilterFalsePositiveRate="
                    + bottommostFilterFalsePositiveRate
                    + "]";
        }
    }

    /** What the table metadata holds: the options and the identity ({@code null} if none). */
    record TableMeta(TableOptions options, @Nullable String tableId) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TableMeta other
                    && Objects.equals(options, other.options)
                    && Objects.equals(tableId, other.tableId);
        }

        @Override
        public int hashCode() {
            return 31 * Objects.hashCode(options) + Objects.hashCode(tableId);
        }

        @Override
        public String toString() {
            return "TableMeta[options=" + options + ", tableId=" + tableId + "]";
        }
    }

    record ManifestFile(int formatVersion, Manifest manifest) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ManifestFile other
                    && formatVersion == other.formatVersion
                    && Objects.equals(manifest, other.manifest);
        }

        @Override
        public int hashCode() {
            return 31 * Integer.hashCode(formatVersion) + Objects.hashCode(manifest);
        }

        @Override
        public String toString() {
            return "ManifestFile[formatVersion=" + formatVersion + ", manifest=" + manifest + "]";
        }
    }

    static byte[] writeTable(TableOptions options, String tableId) throws JsonProcessingException {
        return checksummed(
                new TableFile(
                        FORMAT_VERSION,
                        options.schemaJson(),
                        options.primaryKey(),
                        options.bucketCount(),
                        options.targetPageBytes(),
                        options.filterFalsePositiveRate(),
                        requireNonNull(tableId, "tableId"),
                        options.compression().codec().optionValue(),
                        options.compression().codec() == PageCompression.Codec.ZSTD
                                ? options.compression().level()
                                : null,
                        options.pageSizeBasis().optionValue(),
                        options.compactionCompressionLevel(),
                        options.generationFormatVersion(),
                        options.bottommostFilterFalsePositiveRate()));
    }

    /**
     * Reads the table metadata at {@code path}; a table created before tables had an identity has
     * none ({@code null}).
     */
    static TableMeta readTable(Path path, byte[] bytes) throws InvalidManifestException {
        try {
            TableFile file = MAPPER.treeToValue(verified(path, bytes), TableFile.class);
            checkFormatVersion(path, file.formatVersion());
            TableOptions options =
                    TableOptions.builder(Schema.fromJSON(file.schema()), file.primaryKey())
                            .bucketCount(file.bucketCount())
                            .targetPageBytes(file.targetPageBytes())
                            .filterFalsePositiveRate(file.filterFalsePositiveRate())
                            // A table from before the option writes uncompressed pages.
                            .compression(
                                    file.compression() == null
                                            ? PageCompression.NONE
                                            : PageCompression.parse(
                                                    "compression",
                                                    file.compression(),
                                                    "compressionLevel",
                                                    file.compressionLevel()))
                            // A table from before the option counts pages in Arrow bytes.
                            .pageSizeBasis(
                                    file.pageSizeBasis() == null
                                            ? TableOptions.PageSizeBasis.DECODED
                                            : TableOptions.PageSizeBasis.parse(
                                                    "pageSizeBasis", file.pageSizeBasis()))
                            .compactionCompressionLevel(file.compactionCompressionLevel())
                            // Read by an older Kiln as absent: its compactions size every filter
                            // for filterFalsePositiveRate, in files every Kiln reads.
                            .bottommostFilterFalsePositiveRate(
                                    file.bottommostFilterFalsePositiveRate())
                            // A table from before the option writes what older readers read.
                            .generationFormatVersion(
                                    file.generationFormatVersion() == null
                                            ? GenerationWriter.FORMAT_VERSION_BASE64_INDEX
                                            : file.generationFormatVersion())
                            .build();
            return new TableMeta(options, file.tableId());
        } catch (InvalidManifestException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidManifestException(
                    "table metadata " + path + " is unreadable: " + e.getMessage(), e);
        }
    }

    static byte[] writeManifest(Manifest manifest) throws JsonProcessingException {
        return checksummed(new ManifestFile(FORMAT_VERSION, manifest));
    }

    /**
     * Returns {@code {"crc32c": <CRC32C of the body>, "body": <value>}}, pretty-printed. The CRC is
     * taken over the body's compact form as this mapper writes a JSON tree, which a reader can
     * reproduce from the parsed file.
     */
    private static byte[] checksummed(Object value) throws JsonProcessingException {
        JsonNode body = MAPPER.valueToTree(value);
        ObjectNode file = MAPPER.createObjectNode();
        file.put("crc32c", crc32c(body));
        file.set("body", body);
        return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(file);
    }

    /** Parses a checksummed file and returns its body, if the checksum matches. */
    private static JsonNode verified(Path path, byte[] bytes) throws IOException {
        JsonNode file = MAPPER.readTree(bytes);
        JsonNode body = file == null ? null : file.get("body");
        JsonNode crc = file == null ? null : file.get("crc32c");
        if (body == null || crc == null || !crc.canConvertToLong()) {
            throw new InvalidManifestException(path + " is not a checksummed Kiln file");
        }
        if (crc.asLong() != crc32c(body)) {
            throw new InvalidManifestException(
                    path
                            + " fails its checksum (CRC32C "
                            + crc.asLong()
                            + " recorded, "
                            + crc32c(body)
                            + " computed)");
        }
        return body;
    }

    private static long crc32c(JsonNode body) throws JsonProcessingException {
        CRC32C crc = new CRC32C();
        crc.update(MAPPER.writeValueAsBytes(body));
        return crc.getValue();
    }

    /**
     * Parses the manifest at {@code path} and checks it: complete JSON, the version its name says,
     * every generation under the table's data folder, in a bucket of the table, listed once.
     */
    static Manifest readManifest(Path path, byte[] bytes, int bucketCount)
            throws InvalidManifestException {
        Manifest manifest;
        try {
            JsonNode body = verified(path, bytes);
            if (body.get("manifest") instanceof ObjectNode fields
                    && !fields.has("orphanCutoffMillis")) {
                // Written before cleanups claimed cutoffs: none was claimed.
                fields.put("orphanCutoffMillis", 0L);
            }
            if (body.get("manifest") instanceof ObjectNode fields
                    && !fields.has("publishedAtMillis")) {
                // Written before manifests recorded their time (nor what they added: null).
                fields.put("publishedAtMillis", 0L);
            }
            ManifestFile file = MAPPER.treeToValue(body, ManifestFile.class);
            checkFormatVersion(path, file.formatVersion());
            manifest = file.manifest();
            if (manifest == null) {
                throw new IOException("no manifest in the file");
            }
        } catch (InvalidManifestException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidManifestException(
                    "manifest " + path + " is unreadable: " + e.getMessage(), e);
        }
        long named = TablePaths.manifestVersion(path);
        if (named != manifest.version()) {
            throw new InvalidManifestException(
                    "manifest " + path + " holds version " + manifest.version());
        }
        Set<String> seen = new HashSet<>();
        for (GenerationRef ref : manifest.generations()) {
            checkGeneration(path, ref.path());
            if (ref.bucket() >= bucketCount) {
                throw new InvalidManifestException(
                        "manifest "
                                + path
                                + " puts "
                                + ref.path()
                                + " in bucket "
                                + ref.bucket()
                                + " of a table with "
                                + bucketCount
                                + " buckets");
            }
            if (!seen.add(ref.path())) {
                throw new InvalidManifestException(
                        "manifest " + path + " lists " + ref.path() + " twice");
            }
        }
        for (String retired : manifest.retired()) {
            checkGeneration(path, retired);
        }
        return manifest;
    }

    private static void checkGeneration(Path manifest, String generation)
            throws InvalidManifestException {
        try {
            TablePaths.checkRelative(generation);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifestException(
                    "manifest " + manifest + " names a path outside the table: " + e.getMessage(),
                    e);
        }
    }

    private static void checkFormatVersion(Path path, int version) throws InvalidManifestException {
        if (version != FORMAT_VERSION) {
            throw new InvalidManifestException(
                    path
                            + " has format version "
                            + version
                            + "; this Kiln reads "
                            + FORMAT_VERSION);
        }
    }
}
