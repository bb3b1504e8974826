package org.multiprocessing4j;

import java.io.IOException;
import java.io.Serial;

/**
 * The other end of a {@link Listener}/{@link Client} connection failed the authentication
 * handshake (Python's {@code multiprocessing.AuthenticationError}): a different key, a protocol
 * error, a digest this side does not accept, or no complete handshake before the deadline. The
 * connection it concerned is closed; a listener stays usable.
 */
public final class AuthenticationException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed
     */
    public AuthenticationException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed
     * @param cause the error that ended the handshake
     */
    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
