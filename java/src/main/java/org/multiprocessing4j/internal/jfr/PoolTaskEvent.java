package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A pool task (one chunk of a job: a {@code submit}, or {@code chunksize} items of a map) whose
 * answer came back, emitted in the pool's process by the worker's reader thread before the
 * caller's future or iterator is completed. Only tasks queued while a recording had the event
 * enabled are reported. Not emitted for a task that fails because its worker died.
 */
@Name("org.multiprocessing4j.PoolTask")
@Label("Pool Task")
@Category({"multiprocessing4j", "Pools"})
@Description("A pool task answered by its worker: time queued in the parent, and run time as the"
        + " worker measured it")
@StackTrace(false)
public final class PoolTaskEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final PoolTaskEvent PROBE = new PoolTaskEvent();

    /** The worker that ran it. */
    @Label("Worker")
    public String worker;

    /** The worker's process id. */
    @Label("Process Id")
    public int pid;

    /** How many items the task held. */
    @Label("Items")
    public int items;

    /** From the pool's queueing of the task until it was encoded for a worker, just before it is written. */
    @Label("Queue Time")
    @Timespan(Timespan.NANOSECONDS)
    public long queueTime;

    /**
     * How long the worker ran it, as the worker measured it (its answer carries that time):
     * transfer and the wait behind earlier tasks in the worker do not count.
     */
    @Label("Run Time")
    @Timespan(Timespan.NANOSECONDS)
    public long runTime;

    /** Whether the task failed (its function threw, or its result could not be decoded). */
    @Label("Failed")
    public boolean failed;
}
