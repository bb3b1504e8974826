package org.multiprocessing4j.internal.queue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The unfinished-task accounting of a joinable queue: Python's {@code JoinableQueue} keeps one
 * counter that {@code put} raises and {@code task_done} lowers, which a process killed between
 * the two operations of a {@code put} or a {@code get} leaves wrong for good ({@code join()}
 * then hangs). Here nothing is counted twice or lost by a death:
 *
 * <ul>
 *   <li>A record that is in the queue is counted by its slot ({@code FULL}, or claimed by a
 *       live process): the slot's {@code ctl} word is the only truth, so a producer killed
 *       before its commit adds nothing, and one killed after it has added the record.</li>
 *   <li>A record taken and not yet done is counted in the taking process's own counter ({@link
 *       QueueLayout#taskCounterOffset}, one cache line per participant), raised after the claim
 *       and before the slot is released. When that process dies its counter stops counting:
 *       the tasks it held will never be done, and waiting for them would be waiting forever.</li>
 * </ul>
 *
 * <p>{@link #noneTakenByLive} (with the slot scan in {@code Ring}) therefore reads every slot first and every counter second. Per record: if
 * the slot read sees the record ({@code FULL} or claimed), it is counted; if it sees the slot
 * already released, the consumer's counter increment (a full-fence {@code getAndAdd}) preceded
 * that release (a volatile CAS) in the consumer's program order, and the counter is read after
 * the slot in the joiner's, so volatile accesses being sequentially consistent, the counter read
 * sees the increment; if it sees the slot before the record was committed, the commit is
 * concurrent with the join, and either answer is right. A record may be counted twice (slot and
 * counter) for a moment, which only delays the answer.
 */
final class TaskCounts {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment region;
    private final long base;

    TaskCounts(MemorySegment region, int slots, int slotSize) {
        this.region = region;
        this.base = QueueLayout.taskCounterOffset(slots, slotSize, 0);
    }

    private long offset(int participant) {
        return base + (long) QueueLayout.TASK_COUNTER_STRIDE * participant;
    }

    /** Counts a record taken by {@code me}; a full fence. */
    void taken(int me) {
        LONG.getAndAdd(region, offset(me), 1L);
    }

    /**
     * Uncounts a record {@code me} took but could not hand over (it is consumed: lost).
     *
     * @return whether the counter reached zero (joiners may be done)
     */
    boolean untaken(int me) {
        return (long) LONG.getAndAdd(region, offset(me), -1L) == 1L;
    }

    /** Clears the counter of a participant entry being reused (its previous process is dead). */
    void reset(int participant) {
        LONG.setVolatile(region, offset(participant), 0L);
    }

    /**
     * Marks one taken task done: this process's own first, else a live process's, so a task may
     * be finished by another process than the one that took it (as in Python). Only when no live
     * process holds one is a dead process's task taken off: joiners ignore those already, and
     * lowering a dead counter while a live one is positive would leave joiners waiting for a
     * task already done.
     *
     * @return the value the decremented counter now holds (0 means joiners may be done), or -1
     *     if no process has a task taken and not done
     */
    long done(int me, Participants participants) {
        long left = decrementIfPositive(me);
        for (int i = 1; left < 0 && i <= QueueLayout.PARTICIPANTS; i++) {
            if (i != me && isPositive(i) && participants.counts(participants.entryVolatile(i))) {
                left = decrementIfPositive(i);
            }
        }
        for (int i = 1; left < 0 && i <= QueueLayout.PARTICIPANTS; i++) {
            if (i != me) {
                left = decrementIfPositive(i);
            }
        }
        return left;
    }

    private boolean isPositive(int i) {
        return (long) LONG.getVolatile(region, offset(i)) > 0;
    }

    /** {@return the new value, or -1 if the counter was not positive} */
    private long decrementIfPositive(int i) {
        long off = offset(i);
        for (;;) {
            long n = (long) LONG.getVolatile(region, off);
            if (n <= 0) {
                return -1;
            }
            if (LONG.compareAndSet(region, off, n, n - 1)) {
                return n - 1;
            }
        }
    }

    /** {@return whether every taken task of a live process is done; reads counters only} */
    boolean noneTakenByLive(Participants participants) {
        for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
            if (isPositive(i) && participants.counts(participants.entryVolatile(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@return the value now (acquire) of the word joiners sleep on} */
    int joinSeq() {
        return (int) INT.getAcquire(region, QueueLayout.JOIN_SEQ_OFFSET);
    }

    /** Counts a sleeping joiner in or out; a full fence. */
    void joiners(int delta) {
        INT.getAndAdd(region, QueueLayout.JOINERS_WAITING_OFFSET, delta);
    }

    /**
     * Bumps the join word if someone sleeps on it: {@code true} if the caller must then wake
     * them all (each re-checks). The decrement before it is a full fence, mirrored by the
     * joiner's count increment before its re-check: no lost wake-up.
     */
    boolean bumpIfJoiners() {
        if ((int) INT.getVolatile(region, QueueLayout.JOINERS_WAITING_OFFSET) == 0) {
            return false;
        }
        INT.getAndAdd(region, QueueLayout.JOIN_SEQ_OFFSET, 1);
        return true;
    }
}
