package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A child process started by {@code ChildProcess.start()}, emitted in the parent when
 * {@code start()} returns. Its duration is the parent's side of a start: from encoding the task
 * to the launcher's return, that is until the child process exists and has been given its
 * bootstrap frame (spawn: the process is spawned and the frame written to its pipe; forkserver:
 * an idle child has been handed the task, or a new one started and handed it). It does not
 * include the child JVM's own start-up, which the parent cannot see without a new message.
 * Not emitted when {@code start()} fails.
 */
@Name("org.multiprocessing4j.ChildStart")
@Label("Child Process Start")
@Category({"multiprocessing4j", "Processes"})
@Description("A child process started; the duration is start() until the child exists and has"
        + " its bootstrap frame (not the child JVM's start-up)")
public final class ChildStartEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final ChildStartEvent PROBE = new ChildStartEvent();

    /** The child's name. */
    @Label("Name")
    public String name;

    /** {@code spawn} or {@code forkserver}. */
    @Label("Start Method")
    public String startMethod;

    /** The child's process id. */
    @Label("Process Id")
    public int pid;
}
