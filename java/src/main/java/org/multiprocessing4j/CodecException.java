package org.multiprocessing4j;

import java.io.IOException;

/**
 * A value could not be encoded, or bytes could not be decoded, by a {@link Codec}; also thrown
 * by {@link ByteSink} when it would grow past its maximum capacity.
 *
 * <p>The message names what failed (the class that is not serializable, the class or limit a
 * deserialization filter rejected, the tag or length that is malformed) and, where the caller
 * can change the outcome, how (for example which {@link Codec.Builder} method to call). The
 * underlying exception, if any, is the {@linkplain #getCause() cause}.
 */
public class CodecException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message and no cause.
     *
     * @param message what failed and, where possible, how to fix it
     */
    public CodecException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the exception that caused it.
     *
     * @param message what failed and, where possible, how to fix it
     * @param cause the underlying exception, or {@code null}
     */
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
