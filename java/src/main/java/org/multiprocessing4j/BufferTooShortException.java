package org.multiprocessing4j;

import java.io.IOException;

/**
 * Thrown by {@link Connection#recvBytesInto} when the message does not fit the buffer (Python's
 * {@code BufferTooShort}). The message has been consumed from the connection, which stays usable;
 * its bytes are available from {@link #message()}.
 */
public final class BufferTooShortException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The whole message that did not fit. */
    private final byte[] message;

    BufferTooShortException(byte[] message, long room) {
        super("message of " + message.length + " bytes does not fit in " + room + " bytes of buffer");
        this.message = message;
    }

    /** {@return the whole message that did not fit (not copied)} */
    public byte[] message() {
        return message;
    }
}
