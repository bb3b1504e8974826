package org.multiprocessing4j.internal.launch;

import org.multiprocessing4j.Connection;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.platform.Platform;

/**
 * A child's handlers of interrupt and terminate requests ({@link Platform#handleStopRequests}):
 * on either, the child tells its parent which one ended it ({@link ChildReports#signalRecord}, so
 * that the parent reports it as Python does, see {@link Platform#afterStopReport}), marks itself
 * as exiting on a signal (its own children are then not joined) and the backend exits through
 * the shutdown hooks.
 */
final class SignalReporter {
    private SignalReporter() {
    }

    /**
     * Installs the handlers.
     *
     * @param boot gives the bootstrap connection the request is reported on when one comes
     *     (called then, in the handler), or is {@code null} to report nothing (a training run)
     */
    static void install(java.util.function.Supplier<Connection> boot) {
        Platform.current().handleStopRequests(signal -> {
            Access.childProcess().exitingOnSignal();
            if (boot != null) {
                ChildReports.report(boot.get(), ChildReports.signalRecord(signal));
            }
        });
    }
}
