package org.multiprocessing4j.platform;

/**
 * Thrown once, when the library is first used on an operating system or architecture that has
 * no backend; the message names both.
 */
public final class UnsupportedPlatformException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param os value of {@code os.name}
     * @param arch value of {@code os.arch}
     */
    public UnsupportedPlatformException(String os, String arch) {
        super("multiprocessing4j has no backend for " + os + " on " + arch
                + "; supported: Linux on x86_64 (amd64) and aarch64, Windows on x86_64 (amd64)");
    }

    /**
     * Creates the exception with a message of its own.
     *
     * @param message what cannot run where, and what can
     * @param cause the first such failure, or null
     */
    public UnsupportedPlatformException(String message, Throwable cause) {
        super(message, cause);
    }
}
