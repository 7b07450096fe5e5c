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

package dev.kiln.examples.job;

import dev.kiln.flink.source.KilnTableReader;
import dev.kiln.table.KilnTable;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.RowData;
import org.apache.flink.util.CloseableIterator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How fresh the example's answers were, judged after the run against every committed version of the
 * table.
 *
 * <p>Definitions. The version <em>published at the time of a lookup</em> is the newest version
 * whose manifest's {@code publishedAtMillis} is at or before the lookup's issue time (the earliest
 * version if none is). An answer (a key's row, or no row) is <em>fresh</em> if it equals the key's
 * value in that version or in a newer one (published while the lookup was in flight); it is
 * <em>stale</em> if it equals the key's value only in an older version: its <em>staleness</em> is
 * the issue time minus the {@code publishedAtMillis} of the version that replaced that older value,
 * that is how long the answer had been out of date when the lookup was issued. An answer that
 * equals the key's value in no version is counted apart (never expected). One JVM, one clock,
 * millisecond resolution.
 *
 * @param answers answers judged
 * @param stale stale answers
 * @param unmatched answers that match no committed version
 * @param stalenessMillis the staleness of each stale answer, sorted
 */
public record Freshness(long answers, long stale, long unmatched, long[] stalenessMillis) {

    /** The value of a key with no row. */
    private static final long ABSENT = Answer.NO_ROW;

    /** Returns the {@code q} quantile of the staleness of stale answers (ms), or -1 if none. */
    public long stalenessQuantile(double q) {
        return LookupStats.quantile(stalenessMillis, q);
    }

    /** Returns a one-line summary. */
    public String describe() {
        return String.format(
                "%,d stale of %,d answers (%.3f%%), staleness p50 %s, p99 %s, max %s;"
                        + " answers matching no committed version %,d",
                stale,
                answers,
                answers == 0 ? 0.0 : 100.0 * stale / answers,
                millis(stalenessQuantile(0.5)),
                millis(stalenessQuantile(0.99)),
                millis(
                        stalenessMillis.length == 0
                                ? -1
                                : stalenessMillis[stalenessMillis.length - 1]),
                unmatched);
    }

    private static String millis(long value) {
        return value < 0 ? "-" : value + " ms";
    }

    /**
     * Judges {@code samples} against every version of the table at {@code tablePath}, which must
     * keep all its versions (the example expires none). Reads each version in full.
     */
    public static Freshness judge(Path tablePath, List<LookupStats.Sample> samples)
            throws IOException {
        KilnTable table = KilnTable.open(tablePath);
        long latest = table.latestVersion();
        List<Long> versions = new ArrayList<>();
        List<Long> published = new ArrayList<>();
        // Per key, its value from each version on where it changed: {version, seq or ABSENT}.
        Map<Long, List<long[]>> history = new HashMap<>();
        Map<Long, Long> previous = new HashMap<>();
        try (KilnTableReader reader = KilnTableReader.open(tablePath)) {
            for (long v = 0; v <= latest; v++) {
                long publishedAt;
                try {
                    publishedAt = table.manifest(v).publishedAtMillis();
                } catch (FileNotFoundException noSuchVersion) {
                    continue;
                }
                Map<Long, Long> current = new HashMap<>();
                try (CloseableIterator<RowData> rows = reader.version(v).scan()) {
                    while (rows.hasNext()) {
                        RowData row = rows.next();
                        current.put(row.getLong(0), row.getLong(1));
                    }
                } catch (Exception e) {
                    throw new IOException("could not read version " + v, e);
                }
                long version = v;
                current.forEach(
                        (key, seq) -> {
                            if (!seq.equals(previous.get(key))) {
                                history.computeIfAbsent(key, k -> new ArrayList<>())
                                        .add(new long[] {version, seq});
                            }
                        });
                previous.forEach(
                        (key, seq) -> {
                            if (!current.containsKey(key)) {
                                history.get(key).add(new long[] {version, ABSENT});
                            }
                        });
                previous.clear();
                previous.putAll(current);
                versions.add(v);
                published.add(publishedAt);
            }
        }
        // Version published at a time: the newest with publishedAtMillis <= it.
        TreeMap<Long, Long> versionAt = new TreeMap<>();
        Map<Long, Long> publishedOf = new HashMap<>();
        for (int i = 0; i < versions.size(); i++) {
            versionAt.put(published.get(i), versions.get(i));
            publishedOf.put(versions.get(i), published.get(i));
        }
        long stale = 0;
        long unmatched = 0;
        long[] staleness = new long[samples.size()];
        for (LookupStats.Sample s : samples) {
            Map.Entry<Long, Long> at = versionAt.floorEntry(s.issuedAtMillis());
            long reference = at != null ? at.getValue() : versions.isEmpty() ? 0 : versions.get(0);
            List<long[]> changes = history.getOrDefault(s.key(), List.of());
            long answer = s.seq();
            // The index of the last change at or before the reference version, -1 if none.
            int last = -1;
            while (last + 1 < changes.size() && changes.get(last + 1)[0] <= reference) {
                last++;
            }
            boolean fresh = false;
            if (last == -1 && answer == ABSENT) {
                fresh = true; // No row at the reference version, as answered.
            }
            // The value at the reference version (index last), or a newer one.
            for (int i = Math.max(0, last); i < changes.size() && !fresh; i++) {
                fresh = changes.get(i)[1] == answer;
            }
            if (fresh) {
                continue;
            }
            // The newest older value it equals, and the version that replaced that value.
            long replacedBy = -1;
            for (int i = last - 1; i >= -1 && replacedBy < 0; i--) {
                long older = i >= 0 ? changes.get(i)[1] : ABSENT;
                if (older == answer) {
                    replacedBy = changes.get(i + 1)[0];
                }
            }
            if (replacedBy < 0) {
                unmatched++;
            } else {
                staleness[(int) stale++] = s.issuedAtMillis() - publishedOf.get(replacedBy);
            }
        }
        long[] sorted = Arrays.copyOf(staleness, (int) stale);
        Arrays.sort(sorted);
        return new Freshness(samples.size(), stale, unmatched, sorted);
    }
}
