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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Reports failed loads without flooding the log when storage is down: the first failure, and then
 * at most one per {@link #REPORT_INTERVAL_NANOS}, is logged at WARN with its stack trace and the
 * number of failures left unreported since the previous report; every failure is one DEBUG line
 * without a stack trace. Thread-safe; the caller of the failed load gets the error anyway.
 */
final class LoadFailureLog {

    static final Logger LOG = LoggerFactory.getLogger(SingleFlightCache.class);
    static final long REPORT_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final LongSupplier nanoClock;
    private final AtomicLong nextReportNanos;
    private final LongAdder unreported = new LongAdder();

    LoadFailureLog(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.nextReportNanos = new AtomicLong(nanoClock.getAsLong());
    }

    void failed(Collection<?> keys, Throwable cause) {
        long now = nanoClock.getAsLong();
        long next = nextReportNanos.get();
        if (now - next >= 0 && nextReportNanos.compareAndSet(next, now + REPORT_INTERVAL_NANOS)) {
            long skipped = unreported.sumThenReset();
            LOG.warn(
                    "Load of {} failed; {} other failed loads since the last report (at most one"
                            + " report per minute; every failure is logged at DEBUG)",
                    CaffeineSingleFlightCache.describe(keys),
                    skipped,
                    cause);
        } else {
            unreported.increment();
            if (LOG.isDebugEnabled()) {
                LOG.debug(
                        "Load of {} failed: {}",
                        CaffeineSingleFlightCache.describe(keys),
                        cause.toString());
            }
        }
    }
}
