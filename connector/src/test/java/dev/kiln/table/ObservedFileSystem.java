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

import org.apache.flink.core.fs.BlockLocation;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real local file system, observed: every call is counted by kind ({@code "open"}, {@code
 * "listStatus"}, {@code "getFileStatus"}, {@code "exists"}, {@code "create"}, {@code "delete"},
 * {@code "rename"}, {@code "mkdirs"}), and a test may run a hook before each call (to inject a
 * fault or to interleave another operation at an exact point).
 *
 * <p>{@link #remote} presents the same files under another scheme, so that a table treats it as a
 * store without symbolic links and reaches it through Flink's {@link FileSystem} API only, as it
 * does S3 or HDFS.
 */
final class ObservedFileSystem extends FileSystem {

    /** Runs before a call of kind {@code call} on {@code path}. */
    interface Hook {
        void before(String call, Path path) throws IOException;
    }

    private final FileSystem local = LocalFileSystem.getSharedInstance();
    private final boolean remote;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private volatile Hook hook = (call, path) -> {};

    private ObservedFileSystem(boolean remote) {
        this.remote = remote;
    }

    /** The local file system, observed. */
    static ObservedFileSystem local() {
        return new ObservedFileSystem(false);
    }

    /** The local file system, observed, presented as a store without links. */
    static ObservedFileSystem remote() {
        return new ObservedFileSystem(true);
    }

    void hook(Hook hook) {
        this.hook = hook;
    }

    /** Returns how many calls of kind {@code call} were made since the last {@link #reset}. */
    int calls(String call) {
        AtomicInteger n = calls.get(call);
        return n == null ? 0 : n.get();
    }

    /** Returns the calls made since the last {@link #reset}, by kind. */
    Map<String, Integer> calls() {
        Map<String, Integer> snapshot = new java.util.TreeMap<>();
        calls.forEach((call, n) -> snapshot.put(call, n.get()));
        return snapshot;
    }

    void reset() {
        calls.clear();
    }

    private void observe(String call, Path path) throws IOException {
        calls.computeIfAbsent(call, c -> new AtomicInteger()).incrementAndGet();
        hook.before(call, path);
    }

    @Override
    public FSDataOutputStream create(Path path, WriteMode mode) throws IOException {
        observe("create", path);
        return local.create(path, mode);
    }

    @Override
    public Path getWorkingDirectory() {
        return local.getWorkingDirectory();
    }

    @Override
    public Path getHomeDirectory() {
        return local.getHomeDirectory();
    }

    @Override
    public URI getUri() {
        return remote ? URI.create("observed-remote:///") : local.getUri();
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        observe("getFileStatus", f);
        return local.getFileStatus(f);
    }

    @Override
    public boolean exists(Path f) throws IOException {
        observe("exists", f);
        return local.exists(f);
    }

    @Override
    public BlockLocation[] getFileBlockLocations(FileStatus file, long start, long len)
            throws IOException {
        return local.getFileBlockLocations(file, start, len);
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        observe("open", f);
        return local.open(f, bufferSize);
    }

    @Override
    public FSDataInputStream open(Path f) throws IOException {
        observe("open", f);
        return local.open(f);
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        observe("listStatus", f);
        return local.listStatus(f);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        observe("delete", f);
        return local.delete(f, recursive);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        observe("mkdirs", f);
        return local.mkdirs(f);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        observe("rename", dst);
        return local.rename(src, dst);
    }

    @Override
    public boolean isDistributedFS() {
        return remote;
    }
}
