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

package dev.kiln.flink.runtime;

import dev.kiln.KilnThreadsProbe;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.fs.Path;
import org.apache.flink.testutils.logging.LoggerAuditingExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

import java.io.FileNotFoundException;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KilnCacheRegistryTest {

    @TempDir java.nio.file.Path dir;

    private final KilnCacheRegistry registry = new KilnCacheRegistry();

    @RegisterExtension
    final LoggerAuditingExtension logs =
            new LoggerAuditingExtension(KilnCacheRegistry.class, Level.WARN);

    private static final long MB = 1L << 20;

    @Test
    void failOverTheTaskManagersOffHeapBudgetBuildsNothingAndNamesBothSettings() {
        Configuration taskManager = taskOffHeap("100m");
        CacheSettings fail =
                CacheSettings.builder()
                        .maximumPageBytes(64 * MB)
                        .memoryCheck(MemoryCheck.FAIL)
                        .build();
        Path a = new Path(dir.resolve("a").toUri());
        Path b = new Path(dir.resolve("b").toUri());
        try (KilnCacheRegistry.Lease first = registry.acquire(a, fail, taskManager);
                KilnCacheRegistry.Lease joined = registry.acquire(a, fail, taskManager)) {
            assertThat(registry.boundBytes()).as("a shared cache counts once").isEqualTo(64 * MB);

            assertThatThrownBy(() -> registry.acquire(b, fail, taskManager))
                    .isInstanceOf(IllegalConfigurationException.class)
                    .hasMessageContaining("may hold 128 mb off heap")
                    .hasMessageContaining(
                            "cache.page-bytes = 64 mb of the table file:" + dir.resolve("b"))
                    .hasMessageContaining("taskmanager.memory.task.off-heap.size = 100 mb");
            assertThat(registry.openCaches()).isOne();
            assertThat(registry.boundBytes()).isEqualTo(64 * MB);

            // Unknown TaskManager (a tool, a test) or OFF: nothing is checked.
            registry.acquire(b, fail, null).close();
            CacheSettings off =
                    CacheSettings.builder()
                            .maximumPageBytes(64 * MB)
                            .memoryCheck(MemoryCheck.OFF)
                            .build();
            registry.acquire(b, off, taskManager).close();
        }
        assertThat(registry.openCaches()).isZero();
        assertThat(registry.boundBytes()).isZero();
        assertThat(logs.getMessages()).isEmpty();
    }

    @Test
    void warnIsLoggedOnceByTheOpenThatBuildsTheCacheOverBudget() {
        Configuration taskManager = taskOffHeap("300m");
        Path a = new Path(dir.resolve("a").toUri());
        Path b = new Path(dir.resolve("b").toUri());
        CacheSettings small = CacheSettings.builder().maximumPageBytes(32 * MB).build();
        CacheSettings plain =
                CacheSettings.builder().maximumPageBytes(32 * MB).plainPerSubtask().build();
        try (KilnCacheRegistry.Lease first =
                        registry.acquire(a, CacheSettings.defaults(), taskManager);
                KilnCacheRegistry.Lease own = registry.acquire(a, plain, taskManager)) {
            assertThat(logs.getMessages()).as("288 mb fit in 300 mb").isEmpty();
            assertThat(registry.boundBytes()).isEqualTo(288 * MB);
            try (KilnCacheRegistry.Lease second = registry.acquire(b, small, taskManager);
                    KilnCacheRegistry.Lease joined = registry.acquire(b, small, taskManager)) {
                assertThat(second.cache()).isSameAs(joined.cache());
                assertThat(registry.boundBytes()).isEqualTo(320 * MB);
            }
        }
        assertThat(registry.boundBytes()).isZero();
        assertThat(logs.getMessages())
                .singleElement()
                .asString()
                .contains("may hold 320 mb off heap")
                .contains("cache.page-bytes = 32 mb of the table file:" + dir.resolve("b"))
                .contains("file:" + dir.resolve("a") + ": 256 mb")
                .contains("file:" + dir.resolve("a") + " (plain, per subtask): 32 mb")
                .contains("taskmanager.memory.task.off-heap.size = 300 mb")
                .contains("cache.memory-check = WARN");
    }

    @Test
    void kilnMemoryCountsWhatItsAllocatorsHold() {
        long before = KilnMemory.allocatedBytes();
        try (org.apache.arrow.memory.BufferAllocator allocator =
                        KilnMemory.newAllocator("test", Long.MAX_VALUE);
                org.apache.arrow.memory.ArrowBuf page = allocator.buffer(MB)) {
            assertThat(KilnMemory.allocatedBytes() - before).isGreaterThanOrEqualTo(MB);
        }
    }

    /** Kiln's allocators round as {@link dev.kiln.format.BufferRounding} does, not to 2^n. */
    @Test
    void kilnMemoryHoldsAPageBodyAtItsSizeNotTwice() {
        long body = (128 << 10) + 1000;
        try (org.apache.arrow.memory.BufferAllocator allocator =
                        KilnMemory.newAllocator("test", Long.MAX_VALUE);
                org.apache.arrow.memory.ArrowBuf page = allocator.buffer(body)) {
            assertThat(allocator.getAllocatedMemory()).isEqualTo((128 << 10) + 4096);
        }
    }

    private static Configuration taskOffHeap(String size) {
        Configuration config = new Configuration();
        config.set(TaskManagerOptions.TASK_OFF_HEAP_MEMORY, MemorySize.parse(size));
        return config;
    }

    @Test
    void leasesOfOneTableShareOneCacheUntilTheLastIsClosed() {
        Path table = new Path(dir.resolve("t").toUri());
        KilnCacheRegistry.Lease sink = registry.acquire(table, CacheSettings.defaults());
        KilnCacheRegistry.Lease lookup =
                registry.acquire(
                        new Path(dir.resolve("t").toString()),
                        CacheSettings.builder().maximumPageBytes(1 << 20).build());

        GenerationCache shared = sink.cache();
        assertThat(lookup.cache()).isSameAs(shared);
        assertThat(registry.openCaches()).isOne();

        sink.close();
        sink.close();
        assertThat(lookup.cache()).isSameAs(shared);
        assertThat(registry.openCaches()).isOne();
        assertThatThrownBy(sink::cache).isInstanceOf(IllegalStateException.class);

        lookup.close();
        assertThat(registry.openCaches()).isZero();

        try (KilnCacheRegistry.Lease again = registry.acquire(table, CacheSettings.defaults())) {
            assertThat(again.cache()).isNotSameAs(shared);
        }
        assertThat(registry.openCaches()).isZero();
    }

    @Test
    void tablesHaveCachesOfTheirOwn() {
        try (KilnCacheRegistry.Lease a =
                        registry.acquire(
                                new Path(dir.resolve("a").toUri()), CacheSettings.defaults());
                KilnCacheRegistry.Lease b =
                        registry.acquire(
                                new Path(dir.resolve("b").toUri()), CacheSettings.defaults())) {
            assertThat(a.cache()).isNotSameAs(b.cache());
            assertThat(registry.openCaches()).isEqualTo(2);
        }
        assertThat(registry.openCaches()).isZero();
    }

    @Test
    void plainSettingsGiveEachLeaseACacheOfItsOwnClosedWithIt() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        CacheSettings plain = CacheSettings.builder().plainPerSubtask().build();
        try (KilnCacheRegistry.Lease shared = registry.acquire(table, CacheSettings.defaults())) {
            KilnCacheRegistry.Lease first = registry.acquire(table, plain);
            KilnCacheRegistry.Lease second = registry.acquire(table, plain);
            GenerationCache own = first.cache();

            assertThat(own).isNotSameAs(second.cache()).isNotSameAs(shared.cache());
            assertThat(registry.openCaches()).isOne();

            first.close();
            assertThat(own.closeAsync()).succeedsWithin(java.time.Duration.ofSeconds(10));
            assertThatThrownBy(() -> own.open(table).join())
                    .hasRootCauseInstanceOf(IllegalStateException.class);
            assertThat(second.cache().open(new Path(table, "missing.arrow")))
                    .as("the other plain cache is still open")
                    .failsWithin(java.time.Duration.ofSeconds(10))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withRootCauseInstanceOf(java.io.FileNotFoundException.class);
            second.close();
        }
        assertThat(registry.openCaches()).isZero();
    }

    @Test
    void aDiskTierGoesUnderItsDirectoryOrTheTaskManagersTmpDirsAndIsDeletedWithTheLastLease()
            throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        try (KilnCacheRegistry.Lease none = registry.acquire(table, CacheSettings.defaults())) {
            assertThat(none.cache().hasDiskTier()).as("off by default").isFalse();
        }

        java.nio.file.Path own = java.nio.file.Files.createDirectory(dir.resolve("own"));
        CacheSettings disk =
                CacheSettings.builder().diskBytes(8 * MB).diskDirectory(own.toString()).build();
        try (KilnCacheRegistry.Lease lease = registry.acquire(table, disk)) {
            assertThat(lease.cache().hasDiskTier()).isTrue();
            try (var folders = java.nio.file.Files.list(own.resolve("kiln-disk-cache"))) {
                assertThat(folders.count()).as("the tier's folder and its lock").isEqualTo(2);
            }
        }
        try (var folders = java.nio.file.Files.list(own.resolve("kiln-disk-cache"))) {
            assertThat(folders.count()).as("deleted with the last lease").isZero();
        }

        java.nio.file.Path tmp1 = java.nio.file.Files.createDirectory(dir.resolve("tmp1"));
        Configuration taskManager = new Configuration();
        taskManager.set(org.apache.flink.configuration.CoreOptions.TMP_DIRS, tmp1.toString());
        assertThat(
                        KilnCacheRegistry.diskParent(
                                "t", CacheSettings.builder().diskBytes(MB).build(), taskManager))
                .isEqualTo(tmp1);
        assertThat(KilnCacheRegistry.diskParent("t", disk, taskManager)).isEqualTo(own);
        assertThat(KilnCacheRegistry.diskParent("t", CacheSettings.defaults(), taskManager))
                .isNull();
        assertThatThrownBy(() -> CacheSettings.builder().diskBytes(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("diskBytes");
    }

    @Test
    void settingsAreValidatedNamingTheOption() {
        assertThatThrownBy(() -> CacheSettings.builder().maximumPageBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximumPageBytes");
        assertThatThrownBy(() -> CacheSettings.builder().ioThreads(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ioThreads");
        assertThatThrownBy(() -> CacheSettings.builder().warmDeadline(java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warmDeadline");
    }

    /**
     * The registry is shared by every job of a TaskManager when Kiln is in {@code lib/}: the
     * threads a job's task thread makes it start must not keep that job's class loader, and none
     * outlives the last lease.
     */
    @Test
    void threadsStartedForAJobKeepNoJobLoaderAndEndWithTheLastLease() throws Exception {
        String warmTimer = "kiln-warm-gate";
        Set<Thread> ioBefore = KilnThreadsProbe.named("kiln-io");
        Set<Thread> timersBefore = KilnThreadsProbe.named(warmTimer);
        Path table = new Path(dir.resolve("t").toUri());
        Path missing = new Path(table, "missing.arrow");
        URLClassLoader job = KilnThreadsProbe.jobClassLoader();

        KilnCacheRegistry.Lease lease =
                KilnThreadsProbe.withJobClassLoader(
                        job,
                        () -> {
                            KilnCacheRegistry.Lease acquired =
                                    registry.acquire(table, CacheSettings.defaults());
                            GenerationCache cache = acquired.cache();
                            assertThat(cache.open(missing))
                                    .failsWithin(Duration.ofSeconds(10))
                                    .withThrowableOfType(ExecutionException.class)
                                    .withRootCauseInstanceOf(FileNotFoundException.class);
                            assertThat(
                                            cache.warmGate()
                                                    .warm(new GenerationFile(missing, 1024))
                                                    .get(10, TimeUnit.SECONDS))
                                    .isEqualTo(WarmOutcome.FAILED);
                            return acquired;
                        });

        Set<Thread> started = new HashSet<>(KilnThreadsProbe.startedSince("kiln-io", ioBefore));
        assertThat(started).as("I/O threads").isNotEmpty();
        Set<Thread> timers = KilnThreadsProbe.startedSince(warmTimer, timersBefore);
        assertThat(timers).as("the warm gate's timer").hasSize(1);
        started.addAll(timers);
        assertThat(started)
                .allSatisfy(
                        t ->
                                assertThat(t.getContextClassLoader())
                                        .as(t.getName())
                                        .isNotSameAs(job)
                                        .isSameAs(KilnCacheRegistry.class.getClassLoader()));

        lease.close();
        assertThat(registry.openCaches()).isZero();
        KilnThreadsProbe.assertTerminate(started);
    }
}
