package org.multiprocessing4j.platform;

import java.io.IOException;

/**
 * A failed operating-system call that has no more specific {@link IOException} subtype: carries
 * the call, the error's symbolic name as the OS names it and its number, and the system's text.
 * Created only by a backend's single error translator.
 */
public final class OsException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Symbolic error name, as the OS's headers name the error; never null. */
    private final String errorName;
    /** The raw error number (errno on POSIX, GetLastError on Windows). */
    private final int errorNumber;

    /**
     * Creates the exception.
     *
     * @param message full message, already naming the call, the error and its text
     * @param errorName symbolic name of the error
     * @param errorNumber raw error number
     */
    public OsException(String message, String errorName, int errorNumber) {
        super(message);
        this.errorName = errorName;
        this.errorNumber = errorNumber;
    }

    /** {@return the symbolic error name, as the OS's headers name the error} */
    public String errorName() {
        return errorName;
    }

    /** {@return the raw error number} */
    public int errorNumber() {
        return errorNumber;
    }
}
