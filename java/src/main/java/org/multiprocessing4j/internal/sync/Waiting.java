package org.multiprocessing4j.internal.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;
import org.multiprocessing4j.platform.Platform;

/**
 * The waiting policy shared by every primitive: spin briefly, then sleep on a 32-bit futex word in
 * bounded slices, so that a sleeping thread regularly notices interruption, its deadline and the
 * death of the process it waits for.
 *
 * <ul>
 *   <li>Spin: up to {@link #SPINS} rounds of {@link Thread#onSpinWait()} re-checking the condition;
 *       a hand-off between processes on different cores completes here in well under a
 *       microsecond, while a futex wake costs tens of microseconds.
 *   <li>Sleep, platform thread: {@code futex(FUTEX_WAIT)} on the shared word, at most
 *       {@link #SLICE_NANOS} per call. The slice bounds how late interruption is noticed.
 *   <li>Sleep, virtual thread: {@link LockSupport#parkNanos} for at most
 *       {@link #VIRTUAL_POLL_NANOS}, then re-check. A futex wait would pin the carrier thread for
 *       the whole wait; parking frees it, at the price of up to that much hand-off latency.
 * </ul>
 *
 * Timeouts are never early: a caller gives up only once {@link Deadline#expired()}.
 */
public final class Waiting {
    private static final Platform OS = Platform.current();

    /** Spin rounds before the first sleep. */
    public static final int SPINS = 256;
    /** Longest single futex sleep. */
    public static final long SLICE_NANOS = 5_000_000L;
    /** Longest single park of a virtual thread. */
    public static final long VIRTUAL_POLL_NANOS = 250_000L;
    /** Minimum time between two liveness checks of the same waiter. */
    public static final long LIVENESS_INTERVAL_NANOS = 5_000_000L;

    private Waiting() {
    }

    /**
     * Sleeps while the word still holds {@code expected}, at most {@code min(maxNanos,
     * SLICE_NANOS)}; may return early (spuriously, or on a value change): callers re-check.
     */
    public static void sleep(MemorySegment word, int expected, long maxNanos) {
        long n = Math.min(maxNanos, SLICE_NANOS);
        if (n <= 0) {
            return;
        }
        if (Thread.currentThread().isVirtual()) {
            LockSupport.parkNanos(Math.min(n, VIRTUAL_POLL_NANOS));
            return;
        }
        try {
            OS.waitOnAddress(word, expected, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Wakes up to {@code count} threads sleeping on the word, in any process. */
    public static void wake(MemorySegment word, int count) {
        try {
            OS.wakeAddress(word, count);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Throws if the current thread was interrupted (clearing the status, as j.u.c does).
     *
     * @throws InterruptedException if interrupted
     */
    public static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /** A deadline: a timeout measured from construction; negative timeout means never. */
    public static final class Deadline {
        private final long start = System.nanoTime();
        private final long timeout;
        private long nextLivenessCheck;

        /** Starts the clock; {@code timeoutNanos < 0} waits forever. */
        public Deadline(long timeoutNanos) {
            this.timeout = timeoutNanos;
            this.nextLivenessCheck = start;
        }

        /** {@return nanoseconds left, {@code Long.MAX_VALUE} if forever, never negative} */
        public long remaining() {
            if (timeout < 0) {
                return Long.MAX_VALUE;
            }
            return Math.max(0, timeout - (System.nanoTime() - start));
        }

        /** {@return whether the whole timeout has elapsed (never early)} */
        public boolean expired() {
            return timeout >= 0 && System.nanoTime() - start >= timeout;
        }

        /**
         * {@return whether a liveness check is due now} If so, the next is due
         * {@link #LIVENESS_INTERVAL_NANOS} later. The first call is always due.
         */
        public boolean livenessCheckDue() {
            long now = System.nanoTime();
            if (now - nextLivenessCheck >= 0) {
                nextLivenessCheck = now + LIVENESS_INTERVAL_NANOS;
                return true;
            }
            return false;
        }
    }
}
