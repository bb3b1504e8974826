package org.multiprocessing4j.internal.sync;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * The region of a {@code SharedCondition} (its lock lives in its own region).
 *
 * <pre>
 * off    size  field       written by                   access
 * 0x00   0x80  header   creator  see RegionHeader (magic "MP4C", no configuration)
 * 0x80   4     wakeSeq     signallers (holding lock)    getAndAdd; wait word; own 128-byte line
 * 0x84   4     tokens      signallers add (holding      volatile / CAS; one token = one wake-up
 *                          lock), waiters consume (CAS) an eligible waiter may claim
 * 0x88   4     limit       signallers (holding lock)    volatile; tickets below it are eligible
 * 0x100  4     waiters     waiters (holding the lock)   getAndAdd; own 128-byte line
 * 0x104  4     nextTicket  waiters (holding the lock)   getAndAdd; the next waiter's ticket
 * 0x180  W     wait area  creator  the backend's wait channel (W = Platform.waitChannelBytes())
 * </pre>
 *
 * <h2>Algorithm and memory ordering</h2>
 * A waiter, holding the lock, takes a ticket ({@code nextTicket++}), increments {@code waiters}
 * and reads {@code wakeSeq}, then releases the lock, then loops: if its ticket is below
 * {@code limit} (compared as {@code ticket - limit < 0}), claim a token (CAS {@code tokens}
 * t → t-1); else, or if there is none, sleep while {@code wakeSeq} is unchanged, re-reading
 * {@code wakeSeq} before {@code limit} and {@code tokens} each round. A signaller, holding the
 * lock and only if {@code waiters > 0}, sets {@code limit = nextTicket} (every thread waiting
 * now becomes eligible, none that starts waiting later does), adds a token if
 * {@code waiters > tokens}, then increments {@code wakeSeq}, then wakes one sleeper
 * ({@code signalAll}: tokens = waiters, wake all). As every sleeper is eligible at that moment,
 * the wake-up reaches one that may claim. Since {@code limit} and the token are published before
 * {@code wakeSeq} changes, a waiter that read the new {@code wakeSeq} sees both, and one that
 * read the old value fails its wait-channel compare: no wake-up is lost, and a waiter that started
 * waiting after a signal can never take that signal's token from one that was waiting (tickets).
 * A signal never waits for anyone's acknowledgement, so a dead waiter cannot block it. A waiter
 * leaves (re-holding the lock) by decrementing {@code waiters} and clamping {@code tokens} to
 * {@code waiters}; one that leaves unsignalled while tokens remain first wakes all sleepers, in
 * case the signal's wake-up reached it. A waiter that dies stays counted: then a token may
 * remain that no live waiter claims now; it is claimed later, as a spurious wake-up (which
 * {@code Condition} permits) — a signal is never lost to a dead waiter, since each signal
 * leaves at least one token that the live waiters present at that signal may claim. Tickets
 * are compared modulo 2<sup>32</sup>: a waiter must not sleep through 2<sup>31</sup> later waits.
 *
 * <p>Version 2: version 1 had no tickets (a later waiter could take an earlier one's signal). Version 3: the common {@link RegionHeader}.
 */
public final class ConditionLayout {
    /** The region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            RegionHeader.LAYOUT.withName("header"),
            ValueLayout.JAVA_INT.withName("wakeSeq"),
            ValueLayout.JAVA_INT.withName("tokens"),
            ValueLayout.JAVA_INT.withName("limit"),
            MemoryLayout.paddingLayout(0x74),
            ValueLayout.JAVA_INT.withName("waiters"),
            ValueLayout.JAVA_INT.withName("nextTicket"),
            MemoryLayout.paddingLayout(0x78));

    /** "MP4C". */
    public static final int MAGIC = 0x4d503443;
    /** Layout version. */
    public static final int VERSION = 3;
    /** Offset of the wait word. */
    public static final long WAKE_SEQ_OFFSET = offset(LAYOUT, "wakeSeq");
    /** Offset of the wake-up tokens. */
    public static final long TOKENS_OFFSET = offset(LAYOUT, "tokens");
    /** Offset of the eligibility limit. */
    public static final long LIMIT_OFFSET = offset(LAYOUT, "limit");
    /** Offset of the next ticket. */
    public static final long NEXT_TICKET_OFFSET = offset(LAYOUT, "nextTicket");
    /** Offset of the waiter count. */
    public static final long WAITERS_OFFSET = offset(LAYOUT, "waiters");
    /** Size of the region: the layout, then the wait-channel area. */
    public static final long SIZE = RegionHeader.sizeWithWaitArea(LAYOUT.byteSize());

    private ConditionLayout() {
    }
}
