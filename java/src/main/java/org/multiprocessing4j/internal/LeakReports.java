package org.multiprocessing4j.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Where safety nets report: when a {@link java.lang.ref.Cleaner} frees an OS or native resource
 * that its owner never closed, the owner's class logs a warning and records it here. The test
 * suite fails any test class that causes a report. Thread-safe.
 */
public final class LeakReports {
    private static final List<String> REPORTS = new ArrayList<>();

    private LeakReports() {
    }

    /**
     * Logs {@code message} as a warning under {@code source}'s logger and records it.
     *
     * @param source the class whose instance leaked
     * @param message what was freed by the safety net
     */
    public static void report(Class<?> source, String message) {
        System.getLogger(source.getName()).log(System.Logger.Level.WARNING, message);
        synchronized (REPORTS) {
            REPORTS.add(source.getSimpleName() + ": " + message);
        }
    }

    /** {@return the reports since the last call, and forgets them} */
    public static List<String> drain() {
        synchronized (REPORTS) {
            List<String> out = List.copyOf(REPORTS);
            REPORTS.clear();
            return out;
        }
    }
}
