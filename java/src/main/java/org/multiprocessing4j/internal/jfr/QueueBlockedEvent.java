package org.multiprocessing4j.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

/**
 * A {@code put} that waited for room, or a {@code take} that waited for a record, on a shared
 * queue ({@code SharedQueue} and {@code SharedJoinableQueue}, object and byte methods alike)
 * longer than the threshold (20 ms). Emitted by the waiting thread when the claim of a slot ends
 * (claimed, timed out, interrupted, closed). The duration runs from the claim's first sleep (after
 * its spin of at most 50 µs); a put or take that never slept is never recorded.
 *
 * <p>Zero cost without a recording: the hook asks {@link #PROBE} first, allocating nothing and
 * reading no clock.
 */
@Name("org.multiprocessing4j.QueueBlocked")
@Label("Queue Blocked")
@Category({"multiprocessing4j", "Queues"})
@Description("A put waited for room, or a take for a record, on a shared queue")
@Threshold("20 ms")
public final class QueueBlockedEvent extends Event {
    /** Asked whether the event is enabled; never committed. Thread-safe (read only). */
    public static final QueueBlockedEvent PROBE = new QueueBlockedEvent();

    /** The queue's name, or null for an anonymous one. */
    @Label("Queue")
    public String queue;

    /** {@code put} or {@code take}. */
    @Label("Operation")
    public String operation;

    /** Records in the queue when the wait began to sleep (a snapshot of its head and tail). */
    @Label("Depth")
    public int depth;

    /** Whether the wait ended because its timeout elapsed (nothing was put or taken). */
    @Label("Timed Out")
    public boolean timedOut;

    /**
     * {@return a begun event with {@code depth}} Call it only when {@link #PROBE} is enabled, so
     * that the depth is read only then:
     * {@code PROBE.isEnabled() ? started(depth()) : null}. Thread-confined result.
     */
    public static QueueBlockedEvent started(int depth) {
        QueueBlockedEvent event = new QueueBlockedEvent();
        event.depth = depth;
        event.begin();
        return event;
    }

    /**
     * Ends {@code event} (nothing if {@code null}) and commits it with these fields if it lasted
     * at least the recording's threshold.
     */
    public static void finish(QueueBlockedEvent event, String queue, boolean put, boolean timedOut) {
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            event.queue = queue;
            event.operation = put ? "put" : "take";
            event.timedOut = timedOut;
            event.commit();
        }
    }
}
