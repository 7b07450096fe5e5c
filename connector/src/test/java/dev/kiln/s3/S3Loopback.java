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

package dev.kiln.s3;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.PluginDescriptor;
import org.apache.flink.core.plugin.PluginManager;
import org.apache.flink.util.FileUtils;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * A class-level JUnit 5 extension that gives a test class {@code s3://} through Flink's own S3 file
 * system ({@code flink-s3-fs-hadoop}, S3A) against an in-process S3 API server (S3Proxy, an
 * in-memory store) on loopback, with a {@link FaultProxy} in between. No network beyond loopback,
 * no setup.
 *
 * <pre>{@code
 * @RegisterExtension static final S3Loopback S3 = new S3Loopback();
 * Path root = S3.root("table");          // s3://kiln/table-<uuid>, fresh per call
 * S3.proxy().count(FaultProxy.Request::isGet);
 * }</pre>
 *
 * <p>{@code beforeAll} initialises Flink's static {@link FileSystem} configuration for {@code s3};
 * {@code afterAll} resets it to the default and stops both servers. Do not run two classes that use
 * it in parallel in one JVM. Settings: path-style access, no TLS, the S3A connection pool of {@link
 * #connections} connections, input policy {@code random} and no readahead (Kiln plans its own
 * ranges: one ranged GET per range), 3 attempts with 10 ms backoff so faults cost little time. The
 * bucket {@value #NO_RETRY_BUCKET} has SDK retries off.
 */
public final class S3Loopback implements BeforeAllCallback, AfterAllCallback {

    public static final String BUCKET = "kiln";

    /** A bucket whose requests the SDK does not retry (per-bucket S3A settings). */
    public static final String NO_RETRY_BUCKET = "kiln-noretry";

    private final int connections;
    private final boolean plugin;
    private S3Proxy server;
    private FaultProxy proxy;
    private java.nio.file.Path bufferDir;

    public S3Loopback() {
        this(8);
    }

    /** {@code connections}: the S3A connection pool ({@code s3.connection.maximum}). */
    public S3Loopback(int connections) {
        this(connections, false);
    }

    private S3Loopback(int connections, boolean plugin) {
        this.connections = connections;
        this.plugin = plugin;
    }

    /**
     * As production runs it: the S3 file system loaded as a Flink plugin, in its own (child-first)
     * class loader, so its classes are not the ones on the test's class path.
     */
    public static S3Loopback asPlugin() {
        return new S3Loopback(8, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        System.setProperty("aws.java.v1.disableDeprecationAnnouncement", "true");
        BlobStore store = BlobStores.create("transient", new Properties());
        store.createContainer(BUCKET);
        store.createContainer(NO_RETRY_BUCKET);
        server =
                S3Proxy.builder()
                        .blobStore(store)
                        .endpoint(URI.create("http://127.0.0.1:0"))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret")
                        .jettyMaxThreads(32)
                        .stopTimeout(0)
                        .build();
        server.start();
        while (!"STARTED".equals(server.getState())) {
            Thread.onSpinWait(); // S3Proxy offers no start future; a startup poll, no sync
        }
        proxy = new FaultProxy(server.getPort());
        bufferDir = Files.createTempDirectory("kiln-s3a-buffer");
        Configuration configuration = configuration();
        FileSystem.initialize(configuration, plugin ? pluginManager(configuration) : null);
    }

    private static PluginManager pluginManager(Configuration configuration) throws Exception {
        URL jar =
                Class.forName("org.apache.flink.fs.s3hadoop.S3FileSystemFactory")
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation();
        return new DefaultPluginManager(
                List.of(new PluginDescriptor("s3-fs-hadoop", new URL[] {jar}, new String[0])),
                CoreOptions.getPluginParentFirstLoaderPatterns(configuration));
    }

    private Configuration configuration() {
        Configuration c = new Configuration();
        c.setString("s3.endpoint", "http://127.0.0.1:" + proxy.port());
        c.setString("s3.path.style.access", "true");
        c.setString("s3.access-key", "access");
        c.setString("s3.secret-key", "secret");
        c.setString("s3.connection.ssl.enabled", "false");
        c.setString("s3.connection.maximum", String.valueOf(connections));
        c.setString("fs.s3a.experimental.input.fadvise", "random");
        c.setString("fs.s3a.readahead.range", "0");
        c.setString("fs.s3a.attempts.maximum", "3");
        c.setString("fs.s3a.retry.limit", "3");
        c.setString("fs.s3a.retry.interval", "10ms");
        c.setString("fs.s3a.retry.throttle.interval", "10ms");
        c.setString("fs.s3a.retry.throttle.limit", "3");
        c.setString("fs.s3a.connection.timeout", "5000");
        c.setString("fs.s3a.buffer.dir", bufferDir.toString());
        c.setString("fs.s3a.directory.marker.retention", "keep");
        c.setString("fs.s3a.bucket." + NO_RETRY_BUCKET + ".attempts.maximum", "0");
        c.setString("fs.s3a.bucket." + NO_RETRY_BUCKET + ".retry.limit", "0");
        return c;
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        FileSystem.initialize(new Configuration(), null);
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.stop();
        }
        if (bufferDir != null) {
            FileUtils.deleteDirectoryQuietly(bufferDir.toFile());
        }
    }

    /** A fresh table root in {@link #BUCKET}: {@code s3://kiln/<name>-<uuid>}. */
    public Path root(String name) {
        return root(BUCKET, name);
    }

    /** A fresh root in {@code bucket}. */
    public Path root(String bucket, String name) {
        return new Path("s3://" + bucket + "/" + name + "-" + UUID.randomUUID());
    }

    public FaultProxy proxy() {
        return proxy;
    }

    public int connections() {
        return connections;
    }
}
