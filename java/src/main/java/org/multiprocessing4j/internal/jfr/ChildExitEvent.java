package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A child process found ended, emitted in the parent once per child when it is reaped (by
 * {@code join}, {@code exitCode()}, {@code isAlive()} or the reaping of ended children at the
 * next {@code start()}). The time is that of reaping, not of the child's death.
 */
@Name("org.multiprocessing4j.ChildExit")
@Label("Child Process Exit")
@Category({"multiprocessing4j", "Processes"})
@Description("A child process was reaped: its exit code, or the signal that ended it")
@StackTrace(false)
public final class ChildExitEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final ChildExitEvent PROBE = new ChildExitEvent();

    /** The child's name. */
    @Label("Name")
    public String name;

    /** The child's process id. */
    @Label("Process Id")
    public int pid;

    /** Python's convention: the exit code, or {@code -N} for signal N. */
    @Label("Exit Code")
    @Description("The exit code, or -N when signal N ended the process")
    public int exitCode;

    /** The signal's name when a signal ended the child, else null. */
    @Label("Signal")
    public String signal;
}
