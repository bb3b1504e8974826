package org.multiprocessing4j.internal.launch;

import java.lang.reflect.Proxy;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.platform.Platform;

/**
 * A child's SIGTERM and SIGINT handlers: on either, the child tells its parent which signal ended
 * it ({@link ChildReports#signalRecord}, so that the parent's exit code is {@code -N} as in
 * Python), marks itself as exiting on a signal (its own children are then not joined) and exits
 * through the shutdown hooks with {@code 128 + N}.
 */
final class SignalReporter {
    private SignalReporter() {
    }

    /**
     * Installs the handlers of SIGTERM and SIGINT.
     *
     * @param boot the bootstrap connection the signal is reported on, or {@code null} to report
     *     nothing (a training run)
     */
    static void install(Connection boot) {
        handleSignal("TERM", Platform.SIGTERM, boot);
        handleSignal("INT", Platform.SIGINT, boot);
    }

    /**
     * Reports {@code number} to the parent, then exits through the shutdown hooks, when the signal
     * arrives. Uses {@code sun.misc.Signal} (module jdk.unsupported) reflectively: javac flags any
     * direct use as proprietary API with a warning that cannot be suppressed.
     */
    private static void handleSignal(String name, int number, Connection boot) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object h = Proxy.newProxyInstance(SignalReporter.class.getClassLoader(),
                    new Class<?>[] {handler}, (proxy, method, margs) -> {
                        switch (method.getName()) {
                            case "handle" -> {
                                Access.childProcess().exitingOnSignal();
                                if (boot != null) {
                                    ChildReports.report(boot, ChildReports.signalRecord(number));
                                }
                                System.exit(128 + number);
                                return null;
                            }
                            case "hashCode" -> {
                                return System.identityHashCode(proxy);
                            }
                            case "equals" -> {
                                return proxy == margs[0];
                            }
                            default -> {
                                return "mp4j-" + name + "-handler";
                            }
                        }
                    });
            Object sig = signal.getConstructor(String.class).newInstance(name);
            signal.getMethod("handle", signal, handler).invoke(null, sig, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // the JVM reserves the signal (for example with -Xrs): keep the default behaviour
        }
    }
}
