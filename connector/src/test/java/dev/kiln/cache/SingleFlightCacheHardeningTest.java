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

package dev.kiln.cache;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Collectors;

import static dev.kiln.cache.SingleFlightCacheTest.value;
import static dev.kiln.cache.SingleFlightCacheTest.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Regression tests for the single-flight cache items of issue 7: each failed on the old code. */
class SingleFlightCacheHardeningTest {

    private static ExecutorService pool;

    private final AtomicInteger singleCalls = new AtomicInteger();
    private final List<Set<Integer>> batchCalls = new CopyOnWriteArrayList<>();

    private final SingleFlightCache<Integer, String> cache =
            SingleFlightCache.<Integer, String>builder().executor(Runnable::run).build();

    private final Loader<Integer, String> loader =
            key -> {
                singleCalls.incrementAndGet();
                return CompletableFuture.completedFuture(value(key));
            };

    private final BatchLoader<Integer, String> batchLoader =
            keys -> {
                batchCalls.add(keys);
                return CompletableFuture.completedFuture(values(keys));
            };

    @BeforeAll
    static void startPool() {
        pool = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    // Item 1

    @Test
    void batchResultIsBuiltFromTheKeysAsTheyWereWhenCalled() {
        List<Integer> keys = new ArrayList<>(List.of(1, 2, 3));
        CompletableFuture<Map<Integer, String>> held = new CompletableFuture<>();

        CompletableFuture<List<CachedValue<Integer, String>>> result =
                cache.getOrLoadAll(keys, owned -> held);
        keys.clear();
        keys.add(9);
        held.complete(values(Set.of(1, 2, 3)));

        assertThat(result.join())
                .containsExactly(
                        new CachedValue<>(1, "v1", true),
                        new CachedValue<>(2, "v2", true),
                        new CachedValue<>(3, "v3", true));
    }

    // Item 2

    @Test
    void loaderThatThrowsAnErrorOrACheckedExceptionFailsTheFuture() {
        List<Throwable> thrown =
                List.of(new AssertionError("loader bug"), new IOException("storage is down"));
        int key = 0;
        for (Throwable t : thrown) {
            assertFailsWithSame(cache.getOrLoad(++key, k -> sneakyThrow(t)), t);
            assertFailsWithSame(cache.getOrLoadAll(List.of(++key, ++key), k -> sneakyThrow(t)), t);
        }

        assertThat(cache.estimatedSize()).isZero();
        assertThat(cache.stats().loadFailureCount()).isEqualTo(4);
        assertThat(cache.getOrLoadAll(List.of(1, 2, 3), batchLoader).join())
                .extracting(CachedValue::loaded)
                .containsExactly(true, true, true);
    }

    // Item 3

    @Test
    void loaderMayCallTheCacheForAKeyInTheSameHashBin() {
        // 0 and 4096 share a bin of Caffeine's hash table until it holds more than 4096 bins.
        Loader<Integer, String> dependent =
                key ->
                        cache.getOrLoad(key + 4096, loader)
                                .thenApply(dependency -> "via " + dependency.value());

        assertThat(cache.getOrLoad(0, dependent).join())
                .isEqualTo(new CachedValue<>(0, "via v4096", true));
        assertThat(cache.getOrLoadAll(List.of(0, 4096), batchLoader).join())
                .extracting(CachedValue::value)
                .containsExactly("via v4096", "v4096");
        assertThat(singleCalls).hasValue(1);
        assertThat(batchCalls).isEmpty();
    }

    // Item 4

    @Test
    void batchLoaderWaitingOnItsOwnKeyFailsFastAndTheKeyLoadsLater() {
        BatchLoader<Integer, String> selfWaiting =
                keys -> {
                    String own = cache.getOrLoad(2, loader).join().value();
                    return CompletableFuture.completedFuture(Map.of(1, own, 2, own));
                };

        CompletableFuture<List<CachedValue<Integer, String>>> result =
                CompletableFuture.supplyAsync(
                                () -> cache.getOrLoadAll(List.of(1, 2), selfWaiting), pool)
                        .thenCompose(f -> f);

        assertThat(result)
                .failsWithin(Duration.ofSeconds(30))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingRootCause()
                .isInstanceOf(LoadCycleException.class)
                .withMessageContaining("asked the cache for key 2");
        assertThat(singleCalls).hasValue(0);
        assertThat(cache.getOrLoad(2, loader).join()).isEqualTo(new CachedValue<>(2, "v2", true));
        assertThat(cache.getOrLoadAll(List.of(1, 2), batchLoader).join())
                .extracting(CachedValue::loaded)
                .containsExactly(true, false);
    }

    @Test
    void loaderAskingForItsOwnKeyDirectlyOrThroughAnotherLoadFailsFast() {
        Loader<Integer, String> selfReferring =
                key -> cache.getOrLoad(key, loader).thenApply(CachedValue::value);
        assertFailsWith(cache.getOrLoad(1, selfReferring), LoadCycleException.class, "key 1");

        Loader<Integer, String> viaTwo =
                key ->
                        cache.getOrLoad(
                                        2,
                                        k ->
                                                cache.getOrLoadAll(List.of(3, 1), batchLoader)
                                                        .thenApply(v -> "v2"))
                                .thenApply(CachedValue::value);
        assertFailsWith(cache.getOrLoad(1, viaTwo), LoadCycleException.class, "key 1");

        assertThat(cache.estimatedSize()).isZero();
        assertThat(batchCalls).isEmpty();
        assertThat(cache.getOrLoadAll(List.of(1, 2, 3), batchLoader).join())
                .extracting(CachedValue::loaded)
                .containsExactly(true, true, true);
    }

    @Test
    void anotherCallersCallbackRunInsideALoaderIsNoCycle() {
        CompletableFuture<String> two = new CompletableFuture<>();
        cache.getOrLoad(2, key -> two);
        // This caller's callback runs on whichever thread completes key 2's load: here, inside the
        // loader of key 1, which completes it. Its request for key 1 joins that load.
        CompletableFuture<CachedValue<Integer, String>> joiner =
                cache.getOrLoad(2, loader).thenCompose(v -> cache.getOrLoad(1, loader));

        CompletableFuture<CachedValue<Integer, String>> owner =
                cache.getOrLoad(
                        1,
                        key -> {
                            two.complete("v2");
                            return CompletableFuture.completedFuture("v1");
                        });

        assertThat(owner.join()).isEqualTo(new CachedValue<>(1, "v1", true));
        assertThat(joiner.join()).isEqualTo(new CachedValue<>(1, "v1", false));
        assertThat(singleCalls).hasValue(0);
    }

    // Item 5

    @Test
    void failedLoadsAreCountedAndReportedAtMostOncePerMinuteWithoutCaffeineWarnings() {
        AtomicLong now = new AtomicLong();
        SingleFlightCache<Integer, String> failing =
                SingleFlightCache.<Integer, String>builder()
                        .executor(Runnable::run)
                        .nanoClock(now::get)
                        .build();
        RuntimeException outage = new RuntimeException("storage is down");
        try (LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 50; i++) {
                failing.getOrLoad(i, key -> CompletableFuture.failedFuture(outage));
                failing.getOrLoadAll(
                        List.of(1000 + 2 * i, 1001 + 2 * i),
                        keys -> CompletableFuture.failedFuture(outage));
            }
            now.addAndGet(TimeUnit.MINUTES.toNanos(1));
            CompletableFuture<?> last =
                    failing.getOrLoad(-1, key -> CompletableFuture.failedFuture(outage));

            assertThatThrownBy(last::join).hasCause(outage);
            assertThat(failing.stats().loadFailureCount()).isEqualTo(101);
            assertThat(logs.caffeine).isEmpty();
            assertThat(logs.kiln).hasSize(101);
            List<LogEvent> warnings =
                    logs.kiln.stream()
                            .filter(e -> e.getLevel() == Level.WARN)
                            .collect(Collectors.toList());
            assertThat(warnings).hasSize(2);
            assertThat(warnings.get(0).getMessage().getFormattedMessage())
                    .contains("Load of [0] failed; 0 other failed loads");
            assertThat(warnings.get(1).getMessage().getFormattedMessage())
                    .contains("Load of [-1] failed; 99 other failed loads");
            assertThat(warnings).allSatisfy(e -> assertThat(e.getThrown()).isSameAs(outage));
            assertThat(logs.kiln)
                    .filteredOn(e -> e.getLevel() == Level.DEBUG)
                    .hasSize(99)
                    .allSatisfy(e -> assertThat(e.getThrown()).isNull());
        }
    }

    // Item 6

    @Test
    void weightZeroCountsAsOneByteSoNoEntryEscapesTheBound() {
        SingleFlightCache<Integer, String> bounded =
                SingleFlightCache.<Integer, String>builder()
                        .maximumBytes(3)
                        .weigher((key, value) -> 0)
                        .executor(Runnable::run)
                        .build();

        bounded.getOrLoadAll(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), batchLoader).join();

        assertThat(bounded.estimatedSize()).isEqualTo(3);
        assertThat(bounded.weightedSizeBytes()).isEqualTo(3);
        assertThat(bounded.stats().evictionCount()).isEqualTo(7);
    }

    @Test
    void negativeWeightFailsTheLoadTypedCachesNothingAndIsCounted() {
        SingleFlightCache<Integer, String> bounded =
                SingleFlightCache.<Integer, String>builder()
                        .maximumBytes(100)
                        .weigher((key, value) -> key == 2 ? -1 : 1)
                        .executor(Runnable::run)
                        .build();

        CompletableFuture<CachedValue<Integer, String>> single = bounded.getOrLoad(2, loader);
        CompletableFuture<List<CachedValue<Integer, String>>> batch =
                bounded.getOrLoadAll(List.of(1, 2, 3), batchLoader);

        assertFailsWith(single, InvalidLoadResultException.class, "-1 bytes for key 2");
        assertFailsWith(batch, InvalidLoadResultException.class, "-1 bytes for key 2");
        assertThat(bounded.estimatedSize()).isZero();
        assertThat(bounded.stats().loadCount()).isEqualTo(2);
        assertThat(bounded.stats().loadFailureCount()).isEqualTo(2);
    }

    @Test
    void weightAboveTwoGibibytesFailsTheLoadTyped() {
        SingleFlightCache<Integer, String> bounded =
                SingleFlightCache.<Integer, String>builder()
                        .maximumBytes(Long.MAX_VALUE)
                        .weigher((key, value) -> 1L << 31)
                        .executor(Runnable::run)
                        .build();

        assertFailsWith(
                bounded.getOrLoad(1, loader),
                InvalidLoadResultException.class,
                "weigher returned 2147483648 bytes for key 1");
        assertThat(bounded.estimatedSize()).isZero();
    }

    @Test
    void callersResumeOnlyOnceTheirEntryIsWeighedAgainstTheBound() {
        SingleFlightCache<Integer, String> bounded =
                SingleFlightCache.<Integer, String>builder()
                        .maximumBytes(100)
                        .weigher((key, value) -> value.length())
                        .executor(Runnable::run)
                        .build();
        CompletableFuture<String> single = new CompletableFuture<>();
        CompletableFuture<Map<Integer, String>> batch = new CompletableFuture<>();

        CompletableFuture<Long> seenBySingle =
                bounded.getOrLoad(1, key -> single).thenApply(v -> bounded.weightedSizeBytes());
        CompletableFuture<Long> seenByJoiner =
                bounded.getOrLoad(1, loader).thenApply(v -> bounded.weightedSizeBytes());
        CompletableFuture<Long> seenByBatch =
                bounded.getOrLoadAll(List.of(2, 3), keys -> batch)
                        .thenApply(v -> bounded.weightedSizeBytes());
        single.complete("abc");
        batch.complete(Map.of(2, "de", 3, "f"));

        assertThat(seenBySingle.join()).isEqualTo(3);
        assertThat(seenByJoiner.join()).isEqualTo(3);
        assertThat(seenByBatch.join()).isEqualTo(6);
    }

    // Item 7

    @Test
    void publicApiNamesNoCaffeineType() {
        List<String> leaks = new ArrayList<>();
        for (JavaClass type :
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.kiln.cache")) {
            if (!type.getModifiers().contains(JavaModifier.PUBLIC)) {
                continue;
            }
            for (JavaCodeUnit member : type.getCodeUnits()) {
                if (!member.getModifiers().contains(JavaModifier.PUBLIC)) {
                    continue;
                }
                List<JavaClass> named = new ArrayList<>(member.getRawParameterTypes());
                named.add(member.getRawReturnType());
                for (JavaClass t : named) {
                    if (t.getPackageName().startsWith("com.github.benmanes")) {
                        leaks.add(member.getFullName() + " names " + t.getName());
                    }
                }
            }
        }
        assertThat(leaks).isEmpty();
    }

    private static <T> T sneakyThrow(Throwable t) {
        return SingleFlightCacheHardeningTest.<RuntimeException, T>sneaky(t);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable, T> T sneaky(Throwable t) throws E {
        throw (E) t;
    }

    private static void assertFailsWithSame(CompletableFuture<?> future, Throwable cause) {
        assertThatThrownBy(future::join).isInstanceOf(CompletionException.class).hasCause(cause);
    }

    private static void assertFailsWith(
            CompletableFuture<?> future, Class<? extends Throwable> type, String message) {
        assertThatThrownBy(future::join)
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(type)
                .hasMessageContaining(message);
    }

    /**
     * Captures what the cache logs through SLF4J (to Log4j 2 in tests), at every level, and what
     * Caffeine logs through {@link System.Logger}: to java.util.logging by default, or to Log4j 2
     * should a bridge join the classpath.
     */
    private static final class LogCapture extends AbstractAppender implements AutoCloseable {

        final List<LogEvent> kiln = new CopyOnWriteArrayList<>();
        final List<Object> caffeine = new CopyOnWriteArrayList<>();

        private final String kilnLogger = SingleFlightCache.class.getName();
        private final String caffeineLoggers = "com.github.benmanes.caffeine";
        private final java.util.logging.Logger caffeineLogger =
                java.util.logging.Logger.getLogger("com.github.benmanes.caffeine");
        private final Handler caffeineHandler =
                new Handler() {
                    @Override
                    public void publish(LogRecord record) {
                        caffeine.add(record);
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };

        LogCapture() {
            super("capture", null, null, true, Property.EMPTY_ARRAY);
            start();
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            Configuration config = context.getConfiguration();
            for (String name : List.of(kilnLogger, caffeineLoggers)) {
                LoggerConfig logger = new LoggerConfig(name, Level.ALL, false);
                logger.addAppender(this, Level.ALL, null);
                config.addLogger(name, logger);
            }
            context.updateLoggers();
            caffeineLogger.addHandler(caffeineHandler);
        }

        @Override
        public void append(LogEvent event) {
            if (event.getLoggerName().startsWith(caffeineLoggers)) {
                caffeine.add(event.toImmutable());
            } else {
                kiln.add(event.toImmutable());
            }
        }

        @Override
        public void close() {
            caffeineLogger.removeHandler(caffeineHandler);
            LoggerContext context = (LoggerContext) LogManager.getContext(false);
            context.getConfiguration().removeLogger(kilnLogger);
            context.getConfiguration().removeLogger(caffeineLoggers);
            context.updateLoggers();
            stop();
        }
    }
}
