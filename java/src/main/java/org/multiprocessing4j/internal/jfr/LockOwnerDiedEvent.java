package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A lock whose holder died was taken over by this process (the robust mutex behind
 * {@code SharedLock}, {@code SharedReentrantLock} and a barrier's lock): emitted by the thread
 * that took it over, right after the take-over was published, once per take-over. The new holder
 * sees the lock inconsistent.
 */
@Name("org.multiprocessing4j.LockOwnerDied")
@Label("Lock Owner Died")
@Category({"multiprocessing4j", "Synchronization"})
@Description("A lock whose holding process died was taken over by this thread")
public final class LockOwnerDiedEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final LockOwnerDiedEvent PROBE = new LockOwnerDiedEvent();

    /** The type holding the lock: SharedLock, SharedReentrantLock or SharedBarrier. */
    @Label("Kind")
    public String kind;

    /** The lock's name, or null for an anonymous one. */
    @Label("Name")
    public String name;

    /** The process id of the dead holder. */
    @Label("Dead Process Id")
    public int deadPid;
}
