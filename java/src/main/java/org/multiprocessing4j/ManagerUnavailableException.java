package org.multiprocessing4j;

import java.io.IOException;
import java.io.Serial;
import java.io.UncheckedIOException;

/**
 * A call through a {@link Manager} proxy could not reach the manager's server: it was shut down,
 * killed, or never reachable. Calls in progress when the server dies fail with it at once (the
 * operating system closes the server's sockets); later calls fail when they try to connect. The
 * cause tells what the connection reported.
 */
public final class ManagerUnavailableException extends UncheckedIOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what could not be done
     * @param cause the I/O failure
     */
    public ManagerUnavailableException(String message, IOException cause) {
        super(message, cause);
    }
}
