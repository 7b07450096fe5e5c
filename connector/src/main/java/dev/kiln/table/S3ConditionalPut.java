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

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Create-if-absent on S3: a PUT with {@code If-None-Match: *}, sent through the S3 client of the
 * S3A file system behind Flink's {@code flink-s3-fs-hadoop} (Hadoop 3.3, AWS SDK v1), so that it
 * uses the same endpoint, credentials, retries and connection pool as every other request. S3
 * answers {@code 412 Precondition Failed} if the key exists: exactly one of racing PUTs wins.
 *
 * <p>Flink's {@code FileSystem} API has no conditional create, and the S3 file system usually lives
 * in a plugin class loader, so everything here is reflection: {@link #probe} unwraps Flink's
 * wrapping file systems, asks for the S3A file system and its client, and returns null when any
 * step is missing (another store, presto, a later Hadoop without this client). Thread-safe.
 */
final class S3ConditionalPut {

    private static final Logger LOG = LoggerFactory.getLogger(S3ConditionalPut.class);

    private static final int PRECONDITION_FAILED = 412;

    /** Per S3A instance: fetching the client logs a warning each time, so fetch it once. */
    private static final Map<Object, S3ConditionalPut> BY_FILE_SYSTEM = new WeakHashMap<>();

    private final Object client;
    private final Method putObject;
    private final Class<?> requestClass;
    private final Class<?> metadataClass;
    private final Method setContentLength;
    private final Method putHeader;

    private S3ConditionalPut(Object client) throws ReflectiveOperationException {
        ClassLoader loader = client.getClass().getClassLoader();
        Class<?> s3 = Class.forName("com.amazonaws.services.s3.AmazonS3", true, loader);
        this.client = client;
        this.requestClass =
                Class.forName("com.amazonaws.services.s3.model.PutObjectRequest", true, loader);
        this.metadataClass =
                Class.forName("com.amazonaws.services.s3.model.ObjectMetadata", true, loader);
        this.putObject = s3.getMethod("putObject", requestClass);
        this.setContentLength = metadataClass.getMethod("setContentLength", long.class);
        this.putHeader =
                requestClass.getMethod("putCustomRequestHeader", String.class, String.class);
    }

    /**
     * Returns the conditional PUT of {@code fs}, or null if {@code fs} is not (a wrapper of)
     * Flink's Hadoop-based S3 file system with an SDK v1 client.
     */
    static S3ConditionalPut probe(FileSystem fs) {
        Object hadoop;
        try {
            Object inner = unwrap(fs);
            hadoop = inner.getClass().getMethod("getHadoopFileSystem").invoke(inner);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
        synchronized (BY_FILE_SYSTEM) {
            S3ConditionalPut known = BY_FILE_SYSTEM.get(hadoop);
            if (known != null) {
                return known;
            }
            try {
                Object client =
                        hadoop.getClass()
                                .getMethod("getAmazonS3ClientForTesting", String.class)
                                .invoke(hadoop, "Kiln: conditional PUT of manifests");
                S3ConditionalPut put = new S3ConditionalPut(client);
                BY_FILE_SYSTEM.put(hadoop, put);
                return put;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LOG.debug("{} offers no SDK v1 S3 client: no conditional PUT", hadoop, e);
                return null;
            }
        }
    }

    /** Strips Flink's wrappers ({@code org.apache.flink.util.WrappingProxy}), a few levels. */
    private static Object unwrap(Object fs) throws ReflectiveOperationException {
        Class<?> wrapping;
        try {
            wrapping =
                    Class.forName(
                            "org.apache.flink.util.WrappingProxy",
                            false,
                            FileSystem.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return fs;
        }
        Method delegate = wrapping.getMethod("getWrappedDelegate");
        Object current = fs;
        for (int depth = 0; depth < 8 && wrapping.isInstance(current); depth++) {
            current = delegate.invoke(current);
        }
        return current;
    }

    /**
     * Writes {@code content} as {@code target} if no object has that name.
     *
     * @throws ManifestConflictException if the name exists (412), also when a retry of this very
     *     PUT finds the object its lost first attempt wrote: the caller reads the table to tell
     * @throws IOException if S3 fails otherwise (the object may or may not have been written)
     */
    void putIfAbsent(Path target, byte[] content) throws IOException {
        String bucket = target.toUri().getAuthority();
        String key = target.toUri().getPath();
        if (key.startsWith("/")) {
            key = key.substring(1);
        }
        Object request;
        try {
            Object metadata = metadataClass.getConstructor().newInstance();
            setContentLength.invoke(metadata, (long) content.length);
            request =
                    requestClass
                            .getConstructor(
                                    String.class, String.class, InputStream.class, metadataClass)
                            .newInstance(bucket, key, new ByteArrayInputStream(content), metadata);
            putHeader.invoke(request, "If-None-Match", "*");
        } catch (ReflectiveOperationException e) {
            throw new IOException("could not build the conditional PUT of " + target, e);
        }
        try {
            putObject.invoke(client, request);
        } catch (InvocationTargetException e) {
            Throwable failure = e.getCause();
            if (statusCode(failure) == PRECONDITION_FAILED) {
                throw new ManifestConflictException(
                        target + " was published by another committer", failure);
            }
            throw new IOException("conditional PUT of " + target + " failed", failure);
        } catch (IllegalAccessException e) {
            throw new IOException("could not send the conditional PUT of " + target, e);
        }
    }

    private static int statusCode(Throwable failure) {
        try {
            Object status = failure.getClass().getMethod("getStatusCode").invoke(failure);
            return status instanceof Integer code ? code : -1;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }
}
