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

import dev.kiln.format.Generation;
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.warm.GenerationCache.ColdReadListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The keys of one {@link GenerationCache#lookupAll} in one generation, grouped by the page that may
 * hold them, and their answers in input order: keys the generation's key range or filter rules out
 * are answered {@linkplain LookupResult#absent() absent} at once; the others are answered by {@link
 * #answer} from their page. Answers may be written from several threads, each page's keys by the
 * one read that answers them; {@link #results()} is read once every read has completed.
 */
final class KeyBatch {

    private final List<byte[]> keys;
    private final ColdReadListener coldReads;
    private final LookupResult[] results;
    private final Map<Integer, List<Integer>> keysByPage = new LinkedHashMap<>();
    private final List<PageKey> pageKeys = new ArrayList<>();

    /**
     * @throws NullPointerException if {@code keys} contains {@code null}
     */
    KeyBatch(Generation generation, String path, List<byte[]> keys, ColdReadListener coldReads) {
        this.keys = keys;
        this.coldReads = coldReads;
        this.results = new LookupResult[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            byte[] key = requireNonNull(keys.get(i), "keys must not contain null");
            if (generation.mightContain(key)) {
                keysByPage.computeIfAbsent(generation.pageOf(key), p -> new ArrayList<>()).add(i);
            } else {
                results[i] = LookupResult.absent();
            }
        }
        for (int page : keysByPage.keySet()) {
            pageKeys.add(new PageKey(path, page));
        }
    }

    /** Returns the pages the keys need, each once, in the order of their first key. */
    List<PageKey> pageKeys() {
        return pageKeys;
    }

    /** Returns what answers the keys of {@code page} from it; it returns {@code TRUE}. */
    Function<Page, Boolean> answer(PageKey page) {
        return p -> {
            for (int i : keysByPage.get(page.page())) {
                results[i] = p.lookup(keys.get(i));
            }
            return Boolean.TRUE;
        };
    }

    /** Returns what tells the listener that the keys of {@code page} needed a read of it. */
    Runnable cold(PageKey page) {
        return () -> {
            for (int i : keysByPage.get(page.page())) {
                coldReads.coldRead(keys.get(i));
            }
        };
    }

    /** Returns the answers, in the order of the keys. */
    List<LookupResult> results() {
        return Arrays.asList(results);
    }
}
