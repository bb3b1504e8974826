package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

/**
 * A thread of this process that waited on a shared synchronization object longer than the
 * threshold (20 ms, as the JDK's {@code jdk.JavaMonitorEnter}): a lock ({@code SharedLock},
 * {@code SharedReentrantLock}, a barrier's internal lock), a semaphore's {@code acquire}, an
 * event's {@code await}, a condition's {@code await} or a barrier's {@code await}. Emitted by the
 * waiting thread when its wait ends, however it ends (acquired, timed out, interrupted, broken,
 * closed). The duration runs from the wait's first sleep (after the spin of at most 50 µs that
 * precedes it; a barrier's and a condition's from the call), so a wait that never slept is never
 * recorded.
 *
 * <p>Zero cost without a recording: the hook asks {@link #PROBE} and gets {@code null} from
 * {@link #started()}, allocating nothing and reading no clock.
 */
@Name("org.multiprocessing4j.SyncWait")
@Label("Synchronization Wait")
@Category({"multiprocessing4j", "Synchronization"})
@Description("A thread waited on a shared lock, semaphore, event, condition or barrier")
@Threshold("20 ms")
public final class SyncWaitEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final SyncWaitEvent PROBE = new SyncWaitEvent();

    /** The type waited on: SharedLock, SharedReentrantLock, SharedSemaphore, SharedEvent, SharedCondition or SharedBarrier. */
    @Label("Kind")
    public String kind;

    /** The object's name, or null for an anonymous one. */
    @Label("Name")
    public String name;

    /** What waited: {@code lock}, {@code acquire} (semaphore) or {@code await}. */
    @Label("Operation")
    public String operation;

    /** Whether the wait ended because its timeout elapsed (the caller got nothing). */
    @Label("Timed Out")
    public boolean timedOut;

    /**
     * {@return a begun event if a recording enables this event, else {@code null}} Call it when
     * the wait begins to sleep; thread-confined result.
     */
    public static SyncWaitEvent started() {
        if (!PROBE.isEnabled()) {
            return null;
        }
        SyncWaitEvent event = new SyncWaitEvent();
        event.begin();
        return event;
    }

    /**
     * Ends {@code event} (nothing if {@code null}) and commits it with these fields if it lasted
     * at least the recording's threshold.
     */
    public static void finish(SyncWaitEvent event, String kind, String name, String operation,
            boolean timedOut) {
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            event.kind = kind;
            event.name = name;
            event.operation = operation;
            event.timedOut = timedOut;
            event.commit();
        }
    }
}
