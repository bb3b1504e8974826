package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The region of a {@code SharedCondition} (its lock lives in its own region).
 *
 * <pre>
 * off    size  field    written by                   access
 * 0x00   4     magic    creator                      release store, LAST ("MP4C")
 * 0x04   4     version  creator                      plain, before magic
 * 0x80   4     wakeSeq  signallers (holding lock)    getAndAdd; futex word; own 128-byte line
 * 0x84   4     tokens   signallers add (holding      volatile / CAS; one token = one wake-up
 *                       lock), waiters consume (CAS) a waiter may claim
 * 0x100  4     waiters  waiters (holding the lock)   getAndAdd; own 128-byte line
 * </pre>
 *
 * <h2>Algorithm and memory ordering</h2>
 * A waiter, holding the lock, increments {@code waiters} and reads {@code wakeSeq}, then
 * releases the lock, then loops: claim a token (CAS {@code tokens} t → t-1) or sleep while
 * {@code wakeSeq} is unchanged, re-reading {@code wakeSeq} before {@code tokens} each round. A
 * signaller, holding the lock, adds a token if {@code waiters > tokens}, then increments
 * {@code wakeSeq}, then wakes one sleeper ({@code signalAll}: tokens = waiters, wake all). Since
 * the token is published before {@code wakeSeq} changes, a waiter that read the new
 * {@code wakeSeq} sees the token, and one that read the old value fails its futex compare: no
 * wake-up is lost, and a signal never waits for anyone's acknowledgement — so a dead waiter
 * cannot block it. A waiter leaves (re-holding the lock) by decrementing {@code waiters} and
 * clamping {@code tokens} to {@code waiters}. A waiter that dies stays counted: later signals
 * may then hand out a token that a future waiter consumes as a spurious wake-up, which
 * {@code Condition} permits.
 */
public final class ConditionLayout {
    /** The region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_INT.withName("version"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_INT.withName("wakeSeq"),
            ValueLayout.JAVA_INT.withName("tokens"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_INT.withName("waiters"),
            MemoryLayout.paddingLayout(0x7c));

    /** "MP4C". */
    public static final int MAGIC = 0x4d503443;
    /** Layout version. */
    public static final int VERSION = 1;
    /** Offset of the futex word. */
    public static final long WAKE_SEQ = offset("wakeSeq");
    /** Offset of the wake-up tokens. */
    public static final long TOKENS = offset("tokens");
    /** Offset of the waiter count. */
    public static final long WAITERS = offset("waiters");
    /** Size of the region. */
    public static final long SIZE = LAYOUT.byteSize();

    private ConditionLayout() {
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
