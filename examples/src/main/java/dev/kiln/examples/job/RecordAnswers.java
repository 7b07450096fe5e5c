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

import org.apache.flink.api.common.functions.MapFunction;

/** Counts and samples each answer into {@link LookupStats} (the example's cluster is in-JVM). */
final class RecordAnswers implements MapFunction<Answer, Answer> {

    private static final long serialVersionUID = 1L;

    @Override
    public Answer map(Answer answer) {
        LookupStats.ANSWERS.increment();
        if (answer.found) {
            LookupStats.FOUND.increment();
        }
        if (!answer.possible) {
            LookupStats.WRONG.increment();
            if (LookupStats.FIRST_WRONG.size() < 5) {
                LookupStats.FIRST_WRONG.add("key " + answer.key + " answered " + answer.seen);
            }
        }
        LookupStats.SAMPLES.add(
                new LookupStats.Sample(
                        answer.issuedMillis, answer.latencyMicros, answer.key, answer.seq));
        return answer;
    }
}
