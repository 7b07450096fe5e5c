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

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A loopback HTTP/1.1 proxy in front of an S3 API server that logs every request (every attempt,
 * retries included) and injects faults on the real wire: slow responses, {@code 503 SlowDown},
 * connections dropped mid-body, and responses lost after the server did the work.
 *
 * <p>One request per connection: the client's {@code Connection} header is replaced by {@code
 * Connection: close} (SigV4 does not sign it; {@code Host} is forwarded unchanged, so signatures
 * verify). {@code Expect: 100-continue} is answered by the proxy itself and forwarded, so uploads
 * do not wait for the client's continue timeout. A request is logged before anything is forwarded
 * or answered, so once a client call returns, its requests are in the log. Request bodies must
 * carry {@code Content-Length} (the AWS SDK v1 always sends it; chunked requests are not
 * understood). Thread-safe.
 */
public final class FaultProxy implements Closeable {

    /** One HTTP request as the proxy saw it; header names are lower case. */
    public record Request(String method, String target, Map<String, String> headers) {

        /** The target without its query. */
        public String path() {
            int q = target.indexOf('?');
            return q < 0 ? target : target.substring(0, q);
        }

        public boolean isGet() {
            return method.equals("GET") && !target.contains("?");
        }

        public boolean isList() {
            return method.equals("GET") && target.contains("list-type=");
        }

        public boolean isHead() {
            return method.equals("HEAD");
        }

        public boolean isPut() {
            return method.equals("PUT") && !headers.containsKey("x-amz-copy-source");
        }

        public boolean isCopy() {
            return method.equals("PUT") && headers.containsKey("x-amz-copy-source");
        }

        /** The {@code Range} header, or null. */
        public String range() {
            return headers.get("range");
        }

        @Override
        public String toString() {
            String range = range();
            return method + " " + target + (range == null ? "" : " " + range);
        }
    }

    /** What happens to a request a rule picks. */
    public enum Fault {
        /** Waits the rule's delay, then forwards: injected latency. */
        DELAY,
        /** Answers {@code 503 SlowDown} without forwarding (S3's throttling answer). */
        SLOW_DOWN_503,
        /** Forwards, sends the response head and the rule's number of body bytes, then resets. */
        DROP_MID_BODY,
        /** Forwards and reads the whole response (the server did the work), then resets. */
        LOSE_RESPONSE
    }

    private record Rule(
            Fault fault,
            Predicate<Request> when,
            AtomicInteger left,
            Duration delay,
            long dropAfterBytes) {}

    private static final byte[] SLOW_DOWN =
            ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                            + "<Message>Please reduce your request rate.</Message></Error>")
                    .getBytes(StandardCharsets.UTF_8);

    private final ServerSocket server;
    private final int upstreamPort;
    private final ExecutorService threads =
            Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "kiln-fault-proxy");
                        t.setDaemon(true);
                        return t;
                    });
    private final List<Request> log = new CopyOnWriteArrayList<>();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private volatile Predicate<Request> observed = r -> false;
    private volatile Consumer<Request> observer = r -> {};
    private final AtomicInteger inDelay = new AtomicInteger();
    private final AtomicInteger peakInDelay = new AtomicInteger();
    private final AtomicInteger injected = new AtomicInteger();

    public FaultProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every request seen since the last {@link #clear()}, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(log);
    }

    public long count(Predicate<Request> which) {
        return log.stream().filter(which).count();
    }

    /** Forgets the log, the delay peak and the injected count (not the rules). */
    public void clear() {
        log.clear();
        peakInDelay.set(0);
        injected.set(0);
    }

    /** Applies {@code fault} to the next {@code times} requests {@code when} accepts. */
    public void inject(Fault fault, Predicate<Request> when, int times) {
        inject(fault, when, times, Duration.ZERO, 0);
    }

    /** Delays the next {@code times} requests {@code when} accepts by {@code delay}. */
    public void delay(Predicate<Request> when, int times, Duration delay) {
        inject(Fault.DELAY, when, times, delay, 0);
    }

    /** Drops the next {@code times} responses {@code when} accepts after {@code bodyBytes}. */
    public void dropMidBody(Predicate<Request> when, int times, long bodyBytes) {
        inject(Fault.DROP_MID_BODY, when, times, Duration.ZERO, bodyBytes);
    }

    private void inject(
            Fault fault, Predicate<Request> when, int times, Duration delay, long dropAfter) {
        rules.add(new Rule(fault, when, new AtomicInteger(times), delay, dropAfter));
    }

    /**
     * Runs {@code action} for each request {@code when} accepts that the server answered with 2xx,
     * after the server answered and before the client gets the answer: the moment a write becomes
     * visible to others while its writer still waits.
     */
    public void afterSuccess(Predicate<Request> when, Consumer<Request> action) {
        observed = when;
        observer = action;
    }

    /** Forgets the fault rules and the {@link #afterSuccess} action. */
    public void clearFaults() {
        rules.clear();
        observed = r -> false;
        observer = r -> {};
    }

    /** How many faults were injected since the last {@link #clear()}. */
    public int injected() {
        return injected.get();
    }

    /** The most requests that were inside an injected delay at once. */
    public int peakInDelay() {
        return peakInDelay.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.execute(() -> handle(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private Rule ruleFor(Request request) {
        for (Rule rule : rules) {
            if (rule.when().test(request) && rule.left().getAndDecrement() > 0) {
                injected.incrementAndGet();
                return rule;
            }
        }
        return null;
    }

    private void handle(Socket client) {
        try (client;
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
            InputStream cin = new BufferedInputStream(client.getInputStream());
            OutputStream cout = client.getOutputStream();
            String requestLine = line(cin);
            if (requestLine == null || requestLine.isEmpty()) {
                return;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            List<String> forwarded = new ArrayList<>();
            String header;
            while ((header = line(cin)) != null && !header.isEmpty()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                headers.put(name, header.substring(colon + 1).trim());
                if (!name.equals("connection")) {
                    forwarded.add(header);
                }
            }
            String[] parts = requestLine.split(" ");
            Request request = new Request(parts[0], parts[1], Map.copyOf(headers));
            log.add(request);
            Rule rule = ruleFor(request);
            Fault fault = rule == null ? null : rule.fault();

            if ("100-continue".equalsIgnoreCase(headers.get("expect"))) {
                cout.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                cout.flush();
            }
            byte[] body =
                    cin.readNBytes(
                            (int) Long.parseLong(headers.getOrDefault("content-length", "0")));
            if (fault == Fault.SLOW_DOWN_503) {
                cout.write(
                        ("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                                        + "Content-Length: "
                                        + SLOW_DOWN.length
                                        + "\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                cout.write(SLOW_DOWN);
                cout.flush();
                return;
            }
            if (fault == Fault.DELAY) {
                peakInDelay.accumulateAndGet(inDelay.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(rule.delay().toMillis());
                } finally {
                    inDelay.decrementAndGet();
                }
            }
            StringBuilder head = new StringBuilder(requestLine).append("\r\n");
            forwarded.forEach(h -> head.append(h).append("\r\n"));
            head.append("Connection: close\r\n\r\n");
            OutputStream uout = upstream.getOutputStream();
            uout.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            uout.write(body);
            uout.flush();

            InputStream uin = new BufferedInputStream(upstream.getInputStream());
            if (fault == Fault.LOSE_RESPONSE) {
                uin.readAllBytes();
                client.setSoLinger(true, 0);
                return;
            }
            StringBuilder responseHead = new StringBuilder();
            String status = line(uin);
            while (status != null && status.startsWith("HTTP/1.1 100")) {
                String skipped;
                while ((skipped = line(uin)) != null && !skipped.isEmpty()) {}
                status = line(uin);
            }
            if (status == null) {
                return;
            }
            if (status.startsWith("HTTP/1.1 2") && observed.test(request)) {
                observer.accept(request);
            }
            responseHead.append(status).append("\r\n");
            String responseHeader;
            while ((responseHeader = line(uin)) != null && !responseHeader.isEmpty()) {
                responseHead.append(responseHeader).append("\r\n");
            }
            cout.write(
                    responseHead.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            byte[] buffer = new byte[8192];
            long sent = 0;
            int n;
            while ((n = uin.read(buffer)) > 0) {
                if (fault == Fault.DROP_MID_BODY && sent + n > rule.dropAfterBytes()) {
                    cout.write(buffer, 0, (int) (rule.dropAfterBytes() - sent));
                    cout.flush();
                    client.setSoLinger(true, 0);
                    return;
                }
                cout.write(buffer, 0, n);
                sent += n;
            }
            cout.flush();
        } catch (IOException | InterruptedException e) {
            // the connection ends; the client sees what it sees
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return b.toString();
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.length() == 0 ? null : b.toString();
    }
}
