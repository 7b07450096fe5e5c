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

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.util.WrappingProxy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP connection pool of Flink's Hadoop S3 file system (S3A's {@code
 * fs.s3a.connection.maximum}, set as {@code s3.connection.maximum}), read by reflection since the
 * file system lives in a plugin class loader. A table's {@code kiln-io} threads beyond the pool
 * only wait for a connection inside the S3 client.
 */
final class S3ConnectionPool {

    private static final Logger LOG = LoggerFactory.getLogger(S3ConnectionPool.class);

    /** S3A's default in Hadoop 3.3.4. */
    private static final int S3A_DEFAULT_MAXIMUM = 96;

    private S3ConnectionPool() {}

    /** Returns the S3A connection pool size of {@code fs}, or -1 if it is not S3A. */
    static int size(FileSystem fs) {
        try {
            Object inner = fs;
            for (int depth = 0; depth < 8 && inner instanceof WrappingProxy<?> proxy; depth++) {
                inner = proxy.getWrappedDelegate();
            }
            Object hadoop = inner.getClass().getMethod("getHadoopFileSystem").invoke(inner);
            if (!hadoop.getClass().getName().endsWith("S3AFileSystem")) {
                return -1;
            }
            Object conf = hadoop.getClass().getMethod("getConf").invoke(hadoop);
            return (int)
                    conf.getClass()
                            .getMethod("getInt", String.class, int.class)
                            .invoke(conf, "fs.s3a.connection.maximum", S3A_DEFAULT_MAXIMUM);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** Logs a warning if {@code fs} is S3A with fewer connections than {@code ioThreads}. */
    static void warnIfSmaller(FileSystem fs, String table, int ioThreads) {
        int size = size(fs);
        if (size >= 0 && size < ioThreads) {
            LOG.warn(
                    "Kiln table {} reads with {} I/O threads, but the S3 connection pool"
                            + " (s3.connection.maximum) has {} connections: the extra threads"
                            + " wait for a connection. Set s3.connection.maximum to at least {}.",
                    table,
                    ioThreads,
                    size,
                    ioThreads);
        }
    }
}
