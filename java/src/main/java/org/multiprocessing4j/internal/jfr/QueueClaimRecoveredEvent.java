package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A queue slot claimed by a participant proven dead (it died in the middle of a put or a take)
 * was freed by this process: emitted by the thread whose compare-and-set freed it, once per
 * recovered claim. The slot's record is lost (a put's half-written record, or a take's record
 * that its dead taker never returned).
 */
@Name("org.multiprocessing4j.QueueClaimRecovered")
@Label("Queue Claim Recovered")
@Category({"multiprocessing4j", "Queues"})
@Description("A queue slot claimed by a dead process was freed; its record is lost")
public final class QueueClaimRecoveredEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final QueueClaimRecoveredEvent PROBE = new QueueClaimRecoveredEvent();

    /** The queue's name, or null for an anonymous one. */
    @Label("Queue")
    public String queue;

    /** The process id of the dead participant. */
    @Label("Dead Process Id")
    public int deadPid;

    /** The claim's position in the ring (a count of records since the queue was created). */
    @Label("Position")
    public long position;

    /** {@code put} if the dead process was writing the slot, {@code take} if reading it. */
    @Label("Operation")
    public String operation;

    /** Whether the lost record was spilled to a block of its own (which was removed). */
    @Label("Spilled")
    public boolean spilled;
}
