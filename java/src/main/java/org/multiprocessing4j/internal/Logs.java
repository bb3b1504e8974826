package org.multiprocessing4j.internal;

import java.util.function.Supplier;

/**
 * The library's few log lines for things that happen without an exception to show them: a lock
 * taken over from a dead holder, a queue claim of a dead process recovered (and its spilled block
 * removed), a pool worker replaced, a start archive (re)built. Each goes through
 * {@link System.Logger} (no logging dependency; the JDK's default maps it to
 * {@code java.util.logging}) to the logger named after the public type concerned,
 * {@code org.multiprocessing4j.<Type>} ({@code SharedLock}, {@code SharedQueue},
 * {@code ProcessPool}, {@code ChildProcess}, …), so that configuring {@code org.multiprocessing4j}
 * covers them all. The message is built only if the logger will log it.
 *
 * <p>Thread-safe; never throws (a failing logging back end must not break a take-over or a pool).
 */
public final class Logs {
    /** The common prefix of the library's logger names. */
    public static final String ROOT = "org.multiprocessing4j";

    private Logs() {
    }

    /**
     * Logs one line to {@code org.multiprocessing4j.<type>}, building it only if that logger
     * logs {@code level}.
     *
     * @param type the simple name of the public type concerned
     */
    public static void log(String type, System.Logger.Level level, Supplier<String> message) {
        try {
            System.getLogger(ROOT + "." + type).log(level, message);
        } catch (RuntimeException e) {
            // a broken logging configuration: the line is lost, the library goes on
        }
    }
}
