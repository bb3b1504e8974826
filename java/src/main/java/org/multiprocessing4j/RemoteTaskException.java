package org.multiprocessing4j;

/**
 * An exception thrown by a {@link Task} in another process, carried back to this one. Its
 * {@linkplain #getCause() cause} is the original exception with its remote stack trace when that
 * could be deserialized here; otherwise the message holds the remote exception's text and stack
 * trace.
 */
public final class RemoteTaskException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message says which process failed and how
     * @param cause the remote exception, or {@code null} if it could not be reconstructed
     */
    public RemoteTaskException(String message, Throwable cause) {
        super(message, cause);
    }
}
