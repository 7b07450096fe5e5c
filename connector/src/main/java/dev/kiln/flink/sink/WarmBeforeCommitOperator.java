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

package dev.kiln.flink.sink;

import dev.kiln.flink.runtime.GenerationWarmerFactory;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.KilnMemory;
import dev.kiln.flink.runtime.TaskManagerConfig;
import dev.kiln.table.KilnTable;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmGate;
import dev.kiln.warm.WarmOutcome;
import dev.kiln.warm.WarmReadCause;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Warm before commit: the keyed (by generation path) step between a {@link KilnSink}'s writer and
 * its commit aggregator. Each generation starts warming the moment it arrives, through the
 * TaskManager's shared cache's {@link WarmGate} and the gate of every extra warmer, and is emitted
 * downstream only once every gate settled (warmed, already warm, failed or timed out) or the sink's
 * warm deadline, counted from its arrival, passed.
 *
 * <p>Everything that arrived is emitted before the operator forwards a checkpoint barrier ({@link
 * #prepareSnapshotPreBarrier}) and at the end of input: the operator waits there by yielding to its
 * mailbox (warm completions and a deadline wake-up arrive as mails), never past the deadline of the
 * last generation to arrive. Nothing is held across a barrier, so the operator has no state and the
 * checkpoint protocol of the committables is untouched.
 *
 * <p>Runs on the task thread; warm completions, on storage or timer threads, only enqueue mails.
 * The deadline wake-up is a timer of the operator's {@link ProcessingTimeService}, registered only
 * while the operator waits and cancelled when it stops waiting; {@link #close} cancels it too, and
 * closes the gates of the extra warmers (whose timers they own), so nothing of the operator stays
 * scheduled after it closed.
 */
final class WarmBeforeCommitOperator
        extends AbstractStreamOperator<CommittableMessage<WrittenGeneration>>
        implements OneInputStreamOperator<
                        CommittableMessage<WrittenGeneration>,
                        CommittableMessage<WrittenGeneration>>,
                BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private final SinkSettings settings;
    private final transient MailboxExecutor mailbox;

    private transient KilnCacheRegistry.Lease lease;
    private transient KilnTable table;
    private transient List<WarmGate> gates;
    private transient Set<Pending> pending;
    private transient long wakeUpAt;
    private transient ScheduledFuture<?> wakeUp;
    private transient volatile int heldBack;

    private transient Histogram warmDuration;
    private transient Counter warmed;
    private transient Counter alreadyWarm;
    private transient Counter failed;
    private transient Counter timedOut;

    WarmBeforeCommitOperator(
            StreamOperatorParameters<CommittableMessage<WrittenGeneration>> parameters,
            SinkSettings settings) {
        super(parameters);
        this.settings = settings;
        this.mailbox = parameters.getMailboxExecutor();
    }

    @Override
    public void open() throws Exception {
        super.open();
        pending = new LinkedHashSet<>();
        gates = new ArrayList<>();
        MetricGroup metrics = getMetricGroup();
        warmDuration =
                metrics.histogram(
                        KilnSinkMetrics.WARM_DURATION,
                        new DescriptiveStatisticsHistogram(KilnSinkMetrics.HISTOGRAM_WINDOW));
        warmed = metrics.counter(KilnSinkMetrics.WARMED);
        alreadyWarm = metrics.counter(KilnSinkMetrics.ALREADY_WARM);
        failed = metrics.counter(KilnSinkMetrics.WARM_FAILED);
        timedOut = metrics.counter(KilnSinkMetrics.WARM_TIMED_OUT);
        metrics.gauge(KilnSinkMetrics.HELD_BACK, () -> heldBack);
        // Kiln's off-heap memory in this TaskManager, and the bound of its caches (docs/sink.md).
        // A new Gauge object per subtask (not a non-capturing method reference, one object for
        // all): Flink's MetricQueryService (REST, web UI) keys gauges by object.
        metrics.gauge(
                KilnSinkMetrics.OFF_HEAP_BYTES,
                new Gauge<Long>() {
                    @Override
                    public Long getValue() {
                        return KilnMemory.allocatedBytes();
                    }
                });
        KilnCacheRegistry registry = KilnCacheRegistry.instance();
        metrics.gauge(KilnSinkMetrics.OFF_HEAP_BOUND_BYTES, (Gauge<Long>) registry::boundBytes);
        if (!settings.warming()) {
            return;
        }
        table = KilnTable.open(settings.tablePath());
        lease =
                KilnCacheRegistry.instance()
                        .acquire(
                                settings.tablePath(),
                                settings.cache(),
                                TaskManagerConfig.of(getRuntimeContext()));
        gates.add(lease.cache().warmGate());
        // The shared cache's count (one value per TaskManager and table, do not sum).
        GenerationCache cache = lease.cache();
        metrics.gauge(
                KilnSinkMetrics.WARM_STORAGE_READS,
                new Gauge<Long>() {
                    @Override
                    public Long getValue() {
                        return cache.warmStorageReads();
                    }
                });
        // The same, by cause (docs/sink.md).
        causeGauge(
                metrics,
                KilnSinkMetrics.WARM_STORAGE_READS_NOT_HANDED_OVER,
                cache,
                WarmReadCause.NOT_HANDED_OVER);
        causeGauge(
                metrics,
                KilnSinkMetrics.WARM_STORAGE_READS_PAST_STAGED_PAGES,
                cache,
                WarmReadCause.PAST_STAGED_PAGES);
        for (GenerationWarmerFactory factory : settings.warmers()) {
            gates.add(
                    new WarmGate(
                            factory.create(lease.cache()),
                            settings.warmConcurrency(),
                            settings.warmDeadline()));
        }
    }

    private static void causeGauge(
            MetricGroup metrics, String name, GenerationCache cache, WarmReadCause cause) {
        metrics.gauge(
                name,
                new Gauge<Long>() {
                    @Override
                    public Long getValue() {
                        return cache.warmStorageReads(cause);
                    }
                });
    }

    @Override
    public void processElement(StreamRecord<CommittableMessage<WrittenGeneration>> element) {
        if (!(element.getValue() instanceof CommittableWithLineage)) {
            return; // summaries are dropped before this step; the aggregator makes its own
        }
        CommittableWithLineage<WrittenGeneration> generation =
                (CommittableWithLineage<WrittenGeneration>) element.getValue();
        if (gates.isEmpty() || generation.getCommittable().generation() == null) {
            output.collect(new StreamRecord<>(generation));
            return;
        }
        WrittenGeneration written = generation.getCommittable();
        // The checksum lets the shared cache's warm take what the writer handed over (if it ran
        // in this TaskManager) instead of reading the file.
        GenerationFile file =
                GenerationFile.of(table, written.generation()).withChecksum(written.checksum());
        List<CompletableFuture<WarmOutcome>> warms = new ArrayList<>(gates.size());
        for (WarmGate gate : gates) {
            warms.add(gate.warm(file));
        }
        long now = System.nanoTime();
        Pending entry =
                new Pending(generation, warms, now, now + settings.warmDeadline().toNanos());
        pending.add(entry);
        heldBack = pending.size();
        CompletableFuture.allOf(warms.toArray(new CompletableFuture<?>[0]))
                .whenComplete((ignored, error) -> wake("warmed " + file.key()));
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        emitAll();
        // A path reaches this operator once, so the gates this operator owns need not remember
        // what they warmed; forgetting keeps their memory bounded. The shared cache's gate is
        // left alone: lookups in this TaskManager rely on its marks.
        for (int i = 1; i < gates.size(); i++) {
            gates.get(i).retainPaths(Set.of());
        }
    }

    @Override
    public void endInput() throws Exception {
        emitAll();
    }

    @Override
    public void finish() throws Exception {
        emitAll();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            cancelWakeUp();
            // Closed (on failure, without finish): nothing waits for these any more.
            pending = null;
            if (gates != null) {
                // The first is the shared cache's, closed with the cache by the last lease.
                for (int i = 1; i < gates.size(); i++) {
                    gates.get(i).close();
                }
                gates = null;
            }
            if (lease != null) {
                lease.close();
                lease = null;
            }
        } finally {
            super.close();
        }
    }

    /** Emits what settled, and waits (yielding) for the rest until it settles or times out. */
    private void emitAll() throws InterruptedException {
        if (pending == null) {
            return; // closed
        }
        emitSettled();
        while (!pending.isEmpty()) {
            long deadline = Long.MAX_VALUE;
            for (Pending p : pending) {
                deadline = Math.min(deadline, p.deadlineNanos);
            }
            long wait = deadline - System.nanoTime();
            if (wait > 0) {
                if (wakeUp == null || wakeUpAt != deadline) {
                    wakeUpAt = deadline;
                    scheduleWakeUp(wait);
                }
                mailbox.yield();
            }
            emitSettled();
        }
        cancelWakeUp();
    }

    /**
     * Registers the deadline wake-up {@code waitNanos} from now, in the operator's processing time
     * (whole milliseconds, rounded up), replacing the one registered before. It runs as a mail; if
     * the processing-time clock ran ahead of {@link System#nanoTime()} and it finds the deadline
     * not passed yet, {@link #emitAll} registers another.
     */
    private void scheduleWakeUp(long waitNanos) {
        cancelWakeUp();
        ProcessingTimeService time = getProcessingTimeService();
        long waitMillis = (waitNanos + 999_999) / 1_000_000;
        ScheduledFuture<?>[] registered = new ScheduledFuture<?>[1];
        registered[0] =
                time.registerTimer(
                        time.getCurrentProcessingTime() + waitMillis,
                        timestamp -> {
                            if (wakeUp == registered[0]) {
                                wakeUp = null;
                            }
                            emitSettledIfOpen();
                        });
        wakeUp = registered[0];
    }

    private void cancelWakeUp() {
        if (wakeUp != null) {
            wakeUp.cancel(false);
            wakeUp = null;
        }
    }

    /** Emits the generations whose warms all settled or whose deadline passed. */
    private void emitSettled() {
        long now = System.nanoTime();
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            boolean settled = p.warms.stream().allMatch(CompletableFuture::isDone);
            if (settled || now - p.deadlineNanos >= 0) {
                it.remove();
                for (CompletableFuture<WarmOutcome> warm : p.warms) {
                    count(warm.getNow(WarmOutcome.TIMED_OUT));
                }
                warmDuration.update(TimeUnit.NANOSECONDS.toMillis(now - p.arrivedNanos));
                output.collect(new StreamRecord<>(p.generation));
            }
        }
        heldBack = pending.size();
    }

    private void count(WarmOutcome outcome) {
        switch (outcome) {
            case WARMED -> warmed.inc();
            case ALREADY_WARM -> alreadyWarm.inc();
            case FAILED -> failed.inc();
            case TIMED_OUT -> timedOut.inc();
        }
    }

    /** Enqueues a mail that makes a yielding {@link #emitAll} look again. */
    private void wake(String why) {
        try {
            mailbox.execute(this::emitSettledIfOpen, "Kiln: %s", why);
        } catch (RejectedExecutionException e) {
            // The task is shutting down: nothing is waiting any more.
        }
    }

    private void emitSettledIfOpen() {
        if (pending != null) {
            emitSettled();
        }
    }

    /** A generation waiting for its warms. Identity equality: one per arrival. */
    private static final class Pending {
        final CommittableWithLineage<WrittenGeneration> generation;
        final List<CompletableFuture<WarmOutcome>> warms;
        final long arrivedNanos;
        final long deadlineNanos;

        Pending(
                CommittableWithLineage<WrittenGeneration> generation,
                List<CompletableFuture<WarmOutcome>> warms,
                long arrivedNanos,
                long deadlineNanos) {
            this.generation = generation;
            this.warms = warms;
            this.arrivedNanos = arrivedNanos;
            this.deadlineNanos = deadlineNanos;
        }
    }
}
