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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Footers held for their commit's warm ({@link WriteThrough.Held}), keyed by path in the order
 * held, within a bound of their bytes (the oldest let go first past it; one larger than the bound
 * is not held), each for at most a time to live. Not thread-safe: its {@link WriteThrough}'s lock
 * guards it.
 */
final class HeldFooters {

    private static final Logger LOG = LoggerFactory.getLogger(HeldFooters.class);

    private final long maximumBytes;
    private final long timeToLiveNanos;
    private final Map<String, WriteThrough.Held> held = new LinkedHashMap<>();
    private long bytes;

    HeldFooters(long maximumBytes, long timeToLiveNanos) {
        this.maximumBytes = maximumBytes;
        this.timeToLiveNanos = timeToLiveNanos;
    }

    /** Holds {@code footer} (replacing one of its path), letting the oldest go past the bound. */
    void hold(WriteThrough.Held footer) {
        if (footer.bytes > maximumBytes) {
            LOG.debug(
                    "Not holding the footer of {}: {} bytes, past the bound",
                    footer.path,
                    footer.bytes);
            return;
        }
        WriteThrough.Held previous = held.remove(footer.path);
        if (previous != null) {
            bytes -= previous.bytes;
        }
        held.put(footer.path, footer);
        bytes += footer.bytes;
        for (Iterator<WriteThrough.Held> it = held.values().iterator(); bytes > maximumBytes; ) {
            WriteThrough.Held oldest = it.next();
            it.remove();
            bytes -= oldest.bytes;
            LOG.debug("Footer held for the commit of {} let go: the bound is full", oldest.path);
        }
    }

    /** Returns the footer held for {@code path} and lets it go, or {@code null}. */
    WriteThrough.Held take(String path) {
        WriteThrough.Held footer = held.remove(path);
        if (footer != null) {
            bytes -= footer.bytes;
        }
        return footer;
    }

    /** Lets the footers held since before {@code nowNanos} minus the time to live go. */
    void expire(long nowNanos) {
        for (Iterator<WriteThrough.Held> it = held.values().iterator(); it.hasNext(); ) {
            WriteThrough.Held footer = it.next();
            if (nowNanos - footer.heldAtNanos < timeToLiveNanos) {
                break; // in the order held: the rest are younger
            }
            it.remove();
            bytes -= footer.bytes;
        }
    }

    /** Lets go the footers of the paths {@code paths} matches. */
    void invalidateAll(Predicate<String> paths) {
        for (Iterator<WriteThrough.Held> it = held.values().iterator(); it.hasNext(); ) {
            WriteThrough.Held footer = it.next();
            if (paths.test(footer.path)) {
                it.remove();
                bytes -= footer.bytes;
            }
        }
    }

    /** Returns the bytes held. */
    long bytes() {
        return bytes;
    }
}
