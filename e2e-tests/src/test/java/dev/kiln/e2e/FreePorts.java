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

package dev.kiln.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on the loopback interface, for the ports a cluster must know in advance. They are
 * chosen below the range the OS hands out for binds to port 0 (Linux's {@code
 * ip_local_port_range}): a port taken from that range and let go could be handed to the next bind
 * to port 0 (a JobManager's blob server, its actor system) before the process it was chosen for
 * binds it, which then fails to start.
 */
final class FreePorts {

    private static final int LOWEST = 10_000;

    /** Linux's default start of the range handed out for binds to port 0. */
    private static final int DEFAULT_EPHEMERAL_START = 32_768;

    private FreePorts() {}

    /** A port below the ephemeral range that nothing listened on a moment ago. */
    static int next() {
        int end = ephemeralStart();
        IOException last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, end);
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException taken) {
                last = taken;
            }
        }
        throw new UncheckedIOException(
                "no free port in [" + LOWEST + ", " + end + ") after 200 attempts", last);
    }

    private static int ephemeralStart() {
        try {
            String range =
                    Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return start > LOWEST + 1_000 ? start : DEFAULT_EPHEMERAL_START;
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_START;
        }
    }
}
