package org.multiprocessing4j.internal.queue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.LongPredicate;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * The participants table of a queue region: one 64-bit entry per process that has claimed a
 * slot, {@code pid << 32 | (startTime & 0xFFFFFFFF)} (0 = free), so that a slot's 10-bit owner
 * names a process robustly against pid reuse. A process registers once, on its first claim.
 *
 * <p>An entry whose process is dead may be reused, but only after every slot that still names it
 * is recovered ({@link Ring#recoverAllOwnedBy}); since only the (dead) owner could create such
 * slots, none appear after that scan. Racing reclaimers are safe because recovery always reads
 * {@code ctl} first and the entry second, with volatile reads, and a new owner writes its entry
 * (CAS) before any {@code ctl} naming it: a recoverer that sees the new owner's claim therefore
 * also sees the new owner's (live) entry, and leaves the slot alone.
 *
 * <p>A reused entry is published in two steps: the reuser first swaps the dead value for its own
 * identity with {@link #CLAIMING} set, clears the entry's taken-not-done counter, and only then
 * stores its plain identity. A claiming entry counts as nobody's for {@code join()} and
 * {@code taskDone()}, so no process counts into the entry (and no {@code taskDone} takes a
 * stale task off it) before the counter is cleared; a claimer that dies mid-way leaves a
 * claiming entry that is as dead as its process, and reusable. Registrations within one process
 * are serialized ({@link #REGISTRATION}), so that a second instance of the queue in the same
 * process does not find its own entry before that entry is complete.
 *
 * <p>An entry is the process's token ({@code internal.sync.ProcessToken}), and whether its
 * process is alive is told by the region's liveness marks ({@code internal.sync.LivenessMark}),
 * never by looking the pid up: a pid means nothing in another PID namespace, and processes that
 * share named memory need not share one.
 */
final class Participants {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /**
     * Set (bit 63; a pid is positive) in an entry while its new owner clears its counter: see the
     * class comment.
     */
    static final long CLAIMING = Long.MIN_VALUE;
    /** Serializes registration within this process, across every queue and instance. */
    private static final Object REGISTRATION = new Object();

    /** How long a process proven alive is believed alive without asking the kernel again. */
    private static final long ALIVE_FOR_NANOS = 1_000_000L;

    private final MemorySegment region;
    private final LongPredicate alive;
    // Process-local cache of "alive" verdicts, per participant index: the entry value checked and
    // until when the verdict holds. Racy on purpose: a torn pair can only make a process that was
    // proven alive recently be believed alive up to ALIVE_FOR_NANOS longer, which delays a
    // recovery by at most that much; "dead" is never cached.
    private final long[] aliveEntry = new long[QueueLayout.PARTICIPANTS + 1];
    private final long[] aliveUntil = new long[QueueLayout.PARTICIPANTS + 1];

    Participants(MemorySegment region, LongPredicate alive) {
        this.region = region;
        this.alive = alive;
    }

    /**
     * {@return whether participant {@code i}, whose entry holds {@code entry}, is proven dead}
     * As {@link #isDead(long)}, but a process proven alive is not checked again for a millisecond,
     * so that a caller polling a slot a live process holds (a no-wait {@code poll} in a loop)
     * does not make a system call every time.
     */
    boolean isDead(int i, long entry) {
        long now = System.nanoTime();
        if (entry != 0 && aliveEntry[i] == entry && now - aliveUntil[i] < 0) {
            return false;
        }
        boolean dead = isDead(entry);
        if (!dead) {
            aliveEntry[i] = entry;
            aliveUntil[i] = now + ALIVE_FOR_NANOS;
        }
        return dead;
    }

    /**
     * {@return this process's entry value: its {@code ProcessToken}, which is where this
     * process's liveness mark sits}
     */
    static long identityOfThisProcess() {
        return ProcessToken.self();
    }

    /** {@return entry {@code i} (volatile read)} */
    long entryVolatile(int i) {
        return (long) LONG.getVolatile(region, QueueLayout.participantOffset(i));
    }

    /**
     * {@return whether an entry value names a process whose taken tasks count: set, not
     * {@link #CLAIMING}, and not proven dead}
     */
    boolean counts(long entry) {
        return (entry & CLAIMING) == 0 && !isDead(entry);
    }

    /**
     * {@return whether the process named by an entry value (claiming or not) is proven gone (or
     * the entry is empty)} A process that cannot be told about is not gone: never take over on
     * doubt.
     */
    boolean isDead(long entry) {
        return entry == 0 || !alive.test(entry & ~CLAIMING);
    }

    /**
     * Registers {@code identity}: the entry this process already has, else a free entry, else the
     * entry of a dead process after recovering its slots.
     *
     * @return the participant index, in {@code [1, PARTICIPANTS]}
     * @throws IllegalStateException if every entry belongs to a live process
     */
    int register(long identity, Ring ring) {
        synchronized (REGISTRATION) {
            return registerLocked(identity, ring);
        }
    }

    private int registerLocked(long identity, Ring ring) {
        // Liveness is per process: every instance of the queue in this process (for example one
        // received per task) shares the entry it already has.
        for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
            if (entryVolatile(i) == identity) {
                return i;
            }
        }
        for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
            if (entryVolatile(i) == 0
                    && LONG.compareAndSet(region, QueueLayout.participantOffset(i), 0L, identity)) {
                return i;
            }
        }
        for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
            long e = entryVolatile(i);
            if (isDead(e)) {
                ring.recoverAllOwnedBy(i, e, this);
                long offset = QueueLayout.participantOffset(i);
                if (LONG.compareAndSet(region, offset, e, identity | CLAIMING)) {
                    ring.participantReused(i);
                    LONG.setVolatile(region, offset, identity);
                    return i;
                }
            }
        }
        throw new IllegalStateException("a shared queue is used by at most " + QueueLayout.PARTICIPANTS
                + " live processes at a time, and " + QueueLayout.PARTICIPANTS + " others use this one");
    }
}
