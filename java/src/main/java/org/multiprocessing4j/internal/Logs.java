package org.multiprocessing4j.internal;

/**
 * The library's few log lines for things that happen without an exception to show them: a lock
 * taken over from a dead holder, a queue claim of a dead process recovered (and its spilled block
 * removed), a pool worker replaced, a start archive (re)built. Each goes through
 * {@link System.Logger} (no logging dependency; the JDK's default maps it to
 * {@code java.util.logging}) to the logger named after the public type concerned,
 * {@code org.multiprocessing4j.<Type>} ({@code SharedLock}, {@code SharedQueue},
 * {@code ProcessPool}, {@code ChildProcess}, …), so that configuring {@code org.multiprocessing4j}
 * covers them all. Callers log with a {@code Supplier}, so that the message is built only if the
 * logger will log it, and call the logger themselves, so that a record names them as its source.
 *
 * <p>Thread-safe.
 */
public final class Logs {
    /** The common prefix of the library's logger names. */
    public static final String ROOT = "org.multiprocessing4j";

    private Logs() {
    }

    /**
     * {@return the logger {@code org.multiprocessing4j.<type>}}
     *
     * @param type the simple name of the public type concerned
     */
    public static System.Logger of(String type) {
        return System.getLogger(ROOT + "." + type);
    }
}
