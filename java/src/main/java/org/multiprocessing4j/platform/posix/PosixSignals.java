package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.function.IntConsumer;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.posix.bindings.Posix;

/**
 * Signals: stop requests, their names, the handlers that report them, and dying with the parent.
 *
 * <p>POSIX calls: {@code kill}, {@code getppid}, {@code getpid}; the JVM's own signal handling
 * ({@code sun.misc.Signal}) for SIGINT and SIGTERM. Signal numbers come from the bindings (they
 * differ between systems: SIGUSR1 is 10 on Linux, 30 on macOS).
 *
 * <p><b>Dying with the parent</b> without {@code PR_SET_PDEATHSIG}: a daemon thread checks every
 * {@value #PARENT_CHECK_MILLIS} ms whether {@code getppid()} still names the parent (a process
 * whose parent ended is handed to another: init or a subreaper), and if not sends this process
 * the signal the caller chose (SIGKILL: the same end as on Linux). A child of this library also
 * watches its bootstrap socket for end of stream, which notices the parent's death at once; this
 * thread is the second line, for a child stuck where it does not read. macOS: {@code kqueue}
 * with {@code EVFILT_PROC}/{@code NOTE_EXIT} on the parent's pid would replace the polling.
 */
final class PosixSignals {
    static final long PARENT_CHECK_MILLIS = 50;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(Posix.SIGHUP(), "SIGHUP"), Map.entry(Posix.SIGINT(), "SIGINT"),
            Map.entry(Posix.SIGQUIT(), "SIGQUIT"), Map.entry(Posix.SIGABRT(), "SIGABRT"),
            Map.entry(Posix.SIGKILL(), "SIGKILL"), Map.entry(Posix.SIGUSR1(), "SIGUSR1"),
            Map.entry(Posix.SIGSEGV(), "SIGSEGV"), Map.entry(Posix.SIGUSR2(), "SIGUSR2"),
            Map.entry(Posix.SIGPIPE(), "SIGPIPE"), Map.entry(Posix.SIGALRM(), "SIGALRM"),
            Map.entry(Posix.SIGTERM(), "SIGTERM"), Map.entry(Posix.SIGCHLD(), "SIGCHLD"));

    private static final Object WATCH_LOCK = new Object();
    private static boolean watching;

    private PosixSignals() {
    }

    /** {@return {@code "SIGTERM"} for SIGTERM's number, …; {@code "signal N"} for the others} */
    static String name(int signal) {
        String name = NAMES.get(signal);
        return name != null ? name : "signal " + signal;
    }

    /**
     * Sends this process {@code signal} once its parent {@code parent} has ended (at once if it
     * has already); the first call starts the watching thread, later ones do nothing.
     */
    static void onParentDeath(int parent, int signal) {
        synchronized (WATCH_LOCK) {
            if (watching) {
                return;
            }
            watching = true;
        }
        Thread.ofPlatform().daemon().name("mp4j-parent-death").stackSize(128 * 1024).start(() -> {
            try {
                while (PosixProcesses.parentPid() == parent) {
                    Thread.sleep(PARENT_CHECK_MILLIS);
                }
                PosixProcesses.signal(PosixProcesses.pid(), signal);
            } catch (InterruptedException | IOException e) {
                // nobody interrupts this thread; a refused kill of ourselves cannot happen
            }
        });
    }

    /**
     * The exit status a process uses after reporting a handled signal: {@code 128 + N}, what a
     * POSIX shell reports for a process killed by signal N.
     */
    static int exitCodeAfter(int signal) {
        return 128 + signal;
    }

    /** A {@code 128 + N} exit after a report of N is an end by signal N; the rest as it is. */
    static Platform.ExitStatus afterStopReport(Platform.ExitStatus status, int reportedSignal) {
        if (reportedSignal > 0 && status.signal() == 0
                && status.exitCode() == exitCodeAfter(reportedSignal)) {
            return new Platform.ExitStatus(-1, reportedSignal);
        }
        return status;
    }

    /**
     * Installs handlers for SIGINT and SIGTERM that call {@code beforeExit} with the signal's
     * number and then {@code System.exit(128 + N)}, through {@code sun.misc.Signal} (reflectively:
     * javac warns about any direct use of it). A signal the JVM reserves keeps its default.
     */
    static void handleStopRequests(IntConsumer beforeExit) {
        handle("INT", Posix.SIGINT(), beforeExit);
        handle("TERM", Posix.SIGTERM(), beforeExit);
    }

    private static void handle(String name, int number, IntConsumer beforeExit) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object h = Proxy.newProxyInstance(PosixSignals.class.getClassLoader(),
                    new Class<?>[] {handler}, (proxy, method, margs) -> switch (method.getName()) {
                        case "handle" -> {
                            beforeExit.accept(number);
                            System.exit(exitCodeAfter(number));
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == margs[0];
                        default -> "mp4j-" + name + "-handler";
                    });
            Object sig = signal.getConstructor(String.class).newInstance(name);
            signal.getMethod("handle", signal, handler).invoke(null, sig, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // the JVM reserves the signal (for example with -Xrs): keep the default behaviour
        }
    }
}
