package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A pool worker that ended without being asked to (killed, crashed, {@code System.exit} in a
 * task), emitted in the pool's process by the worker's reader thread once the worker is reaped,
 * before the tasks it held are failed. A worker stopped by the pool (shutdown, terminate,
 * {@code maxTasksPerChild}) emits none.
 */
@Name("org.multiprocessing4j.PoolWorkerDeath")
@Label("Pool Worker Death")
@Category({"multiprocessing4j", "Pools"})
@Description("A pool worker ended without being asked to; the tasks it held failed")
@StackTrace(false)
public final class PoolWorkerDeathEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final PoolWorkerDeathEvent PROBE = new PoolWorkerDeathEvent();

    /** The worker's name. */
    @Label("Worker")
    public String worker;

    /** The worker's process id. */
    @Label("Process Id")
    public int pid;

    /** Python's convention: the exit code, or {@code -N} for signal N. */
    @Label("Exit Code")
    @Description("The exit code, or -N when signal N ended the process")
    public int exitCode;

    /** How many tasks the worker held, each failed with WorkerDiedException. */
    @Label("Tasks Lost")
    public int tasksLost;

    /** Whether the pool starts a replacement. */
    @Label("Replaced")
    public boolean replaced;
}
