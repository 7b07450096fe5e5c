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

import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;

/** Creates {@link WarmBeforeCommitOperator}s, handing them their mailbox executor. */
final class WarmBeforeCommitOperatorFactory
        extends AbstractStreamOperatorFactory<CommittableMessage<WrittenGeneration>>
        implements OneInputStreamOperatorFactory<
                CommittableMessage<WrittenGeneration>, CommittableMessage<WrittenGeneration>> {

    private static final long serialVersionUID = 1L;

    private final SinkSettings settings;

    WarmBeforeCommitOperatorFactory(SinkSettings settings) {
        this.settings = settings;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<CommittableMessage<WrittenGeneration>>> T createStreamOperator(
            StreamOperatorParameters<CommittableMessage<WrittenGeneration>> parameters) {
        return (T) new WarmBeforeCommitOperator(parameters, settings);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return WarmBeforeCommitOperator.class;
    }
}
