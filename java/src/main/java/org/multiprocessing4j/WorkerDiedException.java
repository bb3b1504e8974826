package org.multiprocessing4j;

import java.util.Optional;
import java.util.OptionalInt;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.platform.Platform;

/**
 * A {@link ProcessPool} task could not complete because the worker process holding it ended
 * (killed, out of memory, {@code System.exit}, a crash, or killed by the pool, which
 * cannot go on with a worker that breaks the wire protocol or that it failed to send to: then
 * {@link #getCause()} says why). Only the tasks that worker
 * held fail this way; the pool replaces the worker and runs every other task. Delivered as the
 * cause of an {@link java.util.concurrent.ExecutionException} (or a
 * {@link java.util.concurrent.CompletionException} from a {@code CompletableFuture} or an
 * {@code imap} iterator).
 */
public final class WorkerDiedException extends Exception {
    static {
        Access.setWorkerDied(WorkerDiedException::describe);
    }

    private static final long serialVersionUID = 1L;

    /** {@link #exitCode()} when the exit status could not be learned. */
    private static final int UNKNOWN = Integer.MIN_VALUE;

    /** The worker's process name. */
    private final String workerName;
    /** The worker's pid. */
    private final int pid;
    /** The exit code, negative when the OS ended the worker, or {@code Integer.MIN_VALUE}. */
    private final int exitCode;

    /**
     * Creates the exception.
     *
     * @param workerName the worker's process name
     * @param pid the worker's pid
     * @param exitCode its exit code as {@link ChildProcess#exitCode()} reports it ({@code -N}
     *     when the OS ended it), or {@code Integer.MIN_VALUE} if unknown
     */
    public WorkerDiedException(String workerName, int pid, int exitCode) {
        super("pool worker " + workerName + " (pid " + pid + ") died with exit code "
                + describe(exitCode) + " while it held this task");
        this.workerName = workerName;
        this.pid = pid;
        this.exitCode = exitCode;
    }

    /** {@return the worker's process name} */
    public String workerName() {
        return workerName;
    }

    /** {@return the worker's pid} */
    public int pid() {
        return pid;
    }

    /**
     * {@return the worker's exit code as {@link ChildProcess#exitCode()} reports it: the value of
     * {@code System.exit}, or {@code -N} when the OS ended it (see the
     * {@linkplain org.multiprocessing4j##os-mapping OS mapping}); empty if unknown}
     */
    public OptionalInt exitCode() {
        return exitCode == UNKNOWN ? OptionalInt.empty() : OptionalInt.of(exitCode);
    }

    /**
     * {@return the number of what ended the worker when the OS ended it (a kill, a terminate
     * request, a crash; its numbers are in the
     * {@linkplain org.multiprocessing4j##os-mapping OS mapping}), or empty if it exited}
     */
    public OptionalInt signal() {
        return exitCode < 0 && exitCode != UNKNOWN ? OptionalInt.of(-exitCode) : OptionalInt.empty();
    }

    /**
     * {@return the name of {@link #signal()} as the OS names it, for messages and logs (on POSIX
     * the signal's name; see the {@linkplain org.multiprocessing4j##os-mapping OS mapping}), or
     * empty if the worker exited or how it ended is unknown} Never fails; a number the OS does
     * not name gives {@code "signal N"}.
     */
    public Optional<String> signalName() {
        OptionalInt signal = signal();
        return signal.isPresent() ? Optional.of(Platform.current().signalName(signal.getAsInt()))
                : Optional.empty();
    }

    static String describe(int exitCode) {
        if (exitCode == UNKNOWN) {
            return "unknown";
        }
        if (exitCode >= 0) {
            return Integer.toString(exitCode);
        }
        return exitCode + " (" + Platform.current().signalName(-exitCode) + ")";
    }
}
