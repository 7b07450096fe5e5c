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

import org.apache.flink.annotation.Internal;

/**
 * Why a warm of the default warmer read storage ({@link GenerationCache#warmStorageReads(
 * WarmReadCause)}): what a writer in the cache's process did not hand over, or what the cache
 * dropped of what it did before the generation's commit.
 */
@Internal
public enum WarmReadCause {
    /**
     * Nothing of the file was handed over to this cache, or nothing is left of it: a warm without a
     * checksum (warm on open, another TaskManager's writer), an entry expired or dropped, or a
     * footer held for its commit that its bound let go.
     */
    NOT_HANDED_OVER,

    /** Pages of a file handed over past those staged (they did not fit the staging bound). */
    PAST_STAGED_PAGES
}
