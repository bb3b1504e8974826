package org.multiprocessing4j.internal.sync;

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
 * +0x00 8     owner        acquirers, releaser          CAS / volatile; 0 free, token of the
 *                                                       owning process, -1 not recoverable
 * +0x08 8     ownerThread  owner                        opaque; set after acquiring, cleared
 *                                                       before releasing
 * +0x10 4     holds        owner                        plain (only the owner reads it)
 * +0x14 4     ownerDied    taker-over, markConsistent   volatile; 1 = state may be inconsistent
 * +0x80 4     waiters      waiters                      getAndAdd; own 128-byte line
 * +0x84 4     wakeSeq      releasers                    getAndAdd; the futex word sleepers wait on
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * A successful CAS of {@code owner} from 0 (volatile) is the acquire; the releaser's CAS of
 * {@code owner} to 0 (volatile) is the release, so everything written under the lock in one
 * process happens-before (in the hardware sense described in {@link Words}) what the next owner
 * reads. Lost wake-ups are excluded by a Dekker pair of sequentially consistent accesses: a waiter
 * increments {@code waiters}, then reads {@code wakeSeq}, then reads {@code owner}; a releaser
 * stores {@code owner}, then reads {@code waiters}. Either the releaser sees the waiter (and bumps
 * {@code wakeSeq} before waking, so a waiter that read the old value fails its futex compare), or
 * the waiter sees the released {@code owner}. {@code ownerThread} and {@code holds} are only ever
 * compared against the reader's own thread: a thread clears {@code ownerThread} before its
 * release, so it can never read its own stale id after another thread of its process acquired.
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
    public static final long OWNER = offset("owner");
    /** Relative offset of the owner thread id. */
    public static final long OWNER_THREAD = offset("ownerThread");
    /** Relative offset of the hold count. */
    public static final long HOLDS = offset("holds");
    /** Relative offset of the owner-died flag. */
    public static final long OWNER_DIED = offset("ownerDied");
    /** Relative offset of the sleeper count. */
    public static final long WAITERS = offset("waiters");
    /** Relative offset of the futex word. */
    public static final long WAKE_SEQ = offset("wakeSeq");
    /** Size of the block. */
    public static final long SIZE = LAYOUT.byteSize();

    /** Owner value of a lock whose owner died and that was released without being repaired. */
    public static final long NOT_RECOVERABLE = -1L;

    private MutexLayout() {
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
