package org.multiprocessing4j.internal.sync;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The words of one robust mutex ({@link RobustMutex}); a block that a region embeds at a
 * 128-byte-aligned base (the lock regions at 0x80, the barrier region at 0x80). Offsets are
 * relative to that base.
 *
 * <pre>
 * off   size  field        written by                   access
 * +0x00 8     owner        acquirers, releasers         CAS / volatile; 0 free, the token of the
 *                                                       owning process, token|TAKING while a
 *                                                       take-over or a foreign release is half
 *                                                       done, -1 not recoverable
 * +0x08 8     ownerThread  whoever holds owner          opaque; see "the thread record" below
 * +0x10 4     holds        whoever holds owner          plain (only the owner reads it)
 * +0x14 4     ownerDied    taker-over, markConsistent   volatile; 1 = state may be inconsistent
 * +0x80 4     waiters      waiters                      getAndAdd; own 128-byte line
 * +0x84 4     wakeSeq      releasers                    getAndAdd; the wait word sleepers sleep on
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * A successful CAS of {@code owner} from 0 (volatile) is the acquire; the releaser's CAS (or
 * volatile store) of {@code owner} to 0 is the release, so everything written under the lock in
 * one process happens-before (in the hardware sense described in {@link Words}) what the next
 * owner reads. Lost wake-ups are excluded by a Dekker pair of sequentially consistent accesses: a
 * waiter increments {@code waiters}, then reads {@code wakeSeq}, then reads {@code owner}; a
 * releaser writes {@code owner}, then reads {@code waiters}. Either the releaser sees the waiter
 * (and bumps {@code wakeSeq} before waking, so a waiter that read the old value fails its futex
 * compare), or the waiter sees the released {@code owner}.
 *
 * <h2>The thread record and the two-step transitions</h2>
 * {@code ownerThread} holds a {@link Thread#threadId()}, which is unique only within one JVM (and
 * deterministic: every JVM's main thread has the same id). It is therefore only ever compared
 * together with {@code owner == } the reader's own token, and it is written only by a thread
 * that holds {@code owner} exclusively:
 * <ul>
 *   <li>a plain acquirer, after its CAS 0 → token;
 *   <li>a thread that takes over from a dead owner, or releases on behalf of another process,
 *       in two steps: CAS {@code owner} old → own token | {@link #TAKING}; then write
 *       {@code ownerDied} (volatile; 1 on a take-over), {@code ownerThread}, {@code holds}; then
 *       a volatile store of {@code owner} = own token (take-over) or 0 / −1 (release). While the
 *       {@code TAKING} bit is set the owner word equals nobody's token, so no thread passes
 *       {@code heldByCurrentThread} with the dead owner's stale thread id, and no release can
 *       happen between the take-over and the publication of {@code ownerDied}: whoever sees the
 *       new owner sees {@code ownerDied = 1}. A process that dies with the bit set is an owner
 *       like any other: the bit is masked off for the liveness check and the next waiter takes
 *       over (a release of such a word makes the mutex not recoverable: nobody can tell whether
 *       the dead process was repairing or releasing);
 *   <li>a releaser of its own process's hold, before its CAS token → 0, by an opaque store of
 *       0 after it read {@code owner ==} its own token (nobody else writes the record while the
 *       owner word names the releaser's process and the caller does not unlock one hold twice at
 *       once; see {@code RobustMutex}'s "Fast paths").
 * </ul>
 * A thread that releases clears the record before the owner word, so it can never read its own
 * stale id after another thread of its process acquired. An unlock that is not ordered after the
 * lock() it undoes (only possible with {@code SharedLock}'s any-thread release), or two unlocks
 * of one hold racing each other, is a race in the caller and may leave a stale record, or erase
 * the record of a thread that acquired in between.
 */
public final class MutexLayout {
    /** The words, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("owner"),
            ValueLayout.JAVA_LONG.withName("ownerThread"),
            ValueLayout.JAVA_INT.withName("holds"),
            ValueLayout.JAVA_INT.withName("ownerDied"),
            MemoryLayout.paddingLayout(0x68),
            ValueLayout.JAVA_INT.withName("waiters"),
            ValueLayout.JAVA_INT.withName("wakeSeq"),
            MemoryLayout.paddingLayout(0x78));

    /** Relative offset of the owner word. */
    public static final long OWNER_OFFSET = offset(LAYOUT, "owner");
    /** Relative offset of the owner thread id. */
    public static final long OWNER_THREAD_OFFSET = offset(LAYOUT, "ownerThread");
    /** Relative offset of the hold count. */
    public static final long HOLDS_OFFSET = offset(LAYOUT, "holds");
    /** Relative offset of the owner-died flag. */
    public static final long OWNER_DIED_OFFSET = offset(LAYOUT, "ownerDied");
    /** Relative offset of the sleeper count. */
    public static final long WAITERS_OFFSET = offset(LAYOUT, "waiters");
    /** Relative offset of the wait word. */
    public static final long WAKE_SEQ_OFFSET = offset(LAYOUT, "wakeSeq");
    /** Size of the block. */
    public static final long SIZE = LAYOUT.byteSize();

    /** Owner value of a lock whose owner died and that was released without being repaired. */
    public static final long NOT_RECOVERABLE = -1L;
    /**
     * Bit set in the owner word while a take-over or a foreign release is half done; process
     * tokens never use it (pids are below 2<sup>30</sup>).
     */
    public static final long TAKING = 1L << 62;

    private MutexLayout() {
    }

    /** {@return the token of the process that holds an owner word, without the TAKING bit} */
    public static long holder(long ownerWord) {
        return ownerWord & ~TAKING;
    }
}
