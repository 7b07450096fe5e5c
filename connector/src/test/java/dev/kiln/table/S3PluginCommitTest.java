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

import dev.kiln.s3.FaultProxy.Fault;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

import static dev.kiln.table.KilnTableTest.commit;
import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The conditional PUT with the S3 file system loaded as Flink loads it in production: a plugin in
 * its own class loader, whose S3A and AWS SDK classes are not the test's. Reflection must cross the
 * class loaders.
 */
class S3PluginCommitTest {

    @RegisterExtension static final S3Loopback S3 = S3Loopback.asPlugin();

    @Test
    void theConditionalPutWorksThroughThePluginClassLoader() throws IOException {
        Path root = S3.root("plugin");
        FileSystem fs = root.getFileSystem();
        assertThat(fs.getClass().getClassLoader())
                .as("the plugin's wrapper, not the S3 file system itself")
                .isSameAs(FileSystem.class.getClassLoader());
        assertThat(ManifestPublisher.forFileSystem(fs, root).mode())
                .isEqualTo(ManifestPublisher.Mode.CONDITIONAL_PUT);

        KilnTable table = KilnTable.create(root, options(1));
        Path file = new Path(root, "data/bucket-0/g1.arrow");
        try (OutputStream out = fs.create(file, FileSystem.WriteMode.NO_OVERWRITE)) {
            out.write(new byte[100]);
        }
        GenerationRef g = ref("data/bucket-0/g1.arrow", 0);
        Manifest base = table.latestManifest();
        S3.proxy().clear();
        S3.proxy().inject(Fault.LOSE_RESPONSE, r -> r.isPut() && r.path().contains("manifest-"), 1);

        assertThat(table.commit(commit("w", 1, List.of(g), List.of())).version()).isEqualTo(1);
        String manifest =
                "/kiln"
                        + root.toUri().getPath()
                        + "/_kiln/manifests/manifest-00000000000000000001.json";
        assertThat(S3.proxy().requests().stream().filter(Request::isPut).map(Request::path))
                .as("the lost PUT and the SDK's retry (412); no second version")
                .containsExactly(manifest, manifest);
        assertThatThrownBy(() -> table.commitOn(base, commit("v", 1, List.of(), List.of())))
                .isInstanceOf(ManifestConflictException.class);
    }
}
