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

package dev.kiln.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.zip.CRC32C;

/**
 * A channel onto an output stream that counts the bytes written and keeps a resettable CRC32C of
 * them, so that the writer can checksum each page's block as Arrow writes it. Closing the channel
 * does not close the stream, which the writer owns.
 */
final class ChecksummingChannel implements WritableByteChannel {

    private final OutputStream out;
    private final CRC32C crc = new CRC32C();
    private final byte[] chunk = new byte[64 * 1024];
    private long position;
    private boolean open = true;
    private ByteArrayOutputStream copy;

    ChecksummingChannel(OutputStream out) {
        this.out = out;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        crc.update(src.duplicate());
        if (src.hasArray()) {
            out.write(src.array(), src.arrayOffset() + src.position(), n);
            src.position(src.limit());
        } else {
            while (src.hasRemaining()) {
                int len = Math.min(chunk.length, src.remaining());
                src.get(chunk, 0, len);
                out.write(chunk, 0, len);
            }
        }
        if (copy != null) {
            ByteBuffer bytes = src.duplicate();
            bytes.position(bytes.position() - n);
            while (bytes.hasRemaining()) {
                int len = Math.min(chunk.length, bytes.remaining());
                bytes.get(chunk, 0, len);
                copy.write(chunk, 0, len);
            }
        }
        position += n;
        return n;
    }

    /** From now on, also copies every byte written to {@code sink}; {@code null} stops nothing. */
    void copyTo(ByteArrayOutputStream sink) {
        if (sink != null) {
            this.copy = sink;
        }
    }

    void resetChecksum() {
        crc.reset();
    }

    int checksum() {
        return (int) crc.getValue();
    }

    long position() {
        return position;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
