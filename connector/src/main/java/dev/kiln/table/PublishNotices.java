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

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * Tells the readers of a table in this JVM that a commit here published a version, so that they
 * need not wait for their next poll (see {@link KilnTable#onPublished}). Readers elsewhere still
 * poll. A table is named by its root qualified by its file system, so two spellings of one root
 * meet.
 *
 * <p>Threading: thread-safe. Listeners run on the publishing thread, right after the publish; they
 * must return at once (hand the work to another thread). A listener that throws is logged and does
 * not fail the commit.
 */
final class PublishNotices {

    private static final Logger LOG = LoggerFactory.getLogger(PublishNotices.class);

    private static final Map<String, Set<LongConsumer>> LISTENERS = new ConcurrentHashMap<>();

    private PublishNotices() {}

    static String name(FileSystem fs, Path root) {
        return root.makeQualified(fs).toString();
    }

    static Closeable subscribe(String table, LongConsumer listener) {
        LISTENERS.computeIfAbsent(table, t -> ConcurrentHashMap.newKeySet()).add(listener);
        return () ->
                LISTENERS.computeIfPresent(
                        table,
                        (t, listeners) -> {
                            listeners.remove(listener);
                            return listeners.isEmpty() ? null : listeners;
                        });
    }

    static void published(String table, long version) {
        Set<LongConsumer> listeners = LISTENERS.get(table);
        if (listeners == null) {
            return;
        }
        for (LongConsumer listener : listeners) {
            try {
                listener.accept(version);
            } catch (RuntimeException e) {
                LOG.warn("A listener of {} failed on version {}", table, version, e);
            }
        }
    }

    /** Returns how many listeners are subscribed in this JVM (for tests: none must leak). */
    static int listenerCount() {
        return LISTENERS.values().stream().mapToInt(Set::size).sum();
    }
}
