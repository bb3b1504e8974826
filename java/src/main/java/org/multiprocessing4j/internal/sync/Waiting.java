package org.multiprocessing4j.internal.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.locks.LockSupport;

/**
 * The one waiting policy of every shared object, queues and synchronization primitives alike:
 * spin briefly re-checking the condition, then sleep on a 32-bit word through the region's
 * {@link org.multiprocessing4j.platform.WaitChannel wait channel} in bounded slices, so that a
 * sleeping thread regularly notices interruption, its deadline, a close and the death of the
 * process it waits for.
 *
 * <ul>
 *   <li>Spin ({@link Spin}): {@link Thread#onSpinWait()} re-checking the condition, for 64 rounds
 *       and then up to {@link #SPIN_NANOS} more; none with one CPU, where the partner cannot
 *       run meanwhile. The clock is first read after 64 rounds, then every 64: a hand-off that
 *       completes in the spin (the common case between busy processes) reads no clock at all,
 *       which matters where {@code System.nanoTime()} costs ~0.1 µs, as much as the hand-off.
 *   <li>Sleep, platform thread: {@code WaitChannel.await} on the word while it holds the value
 *       the caller read, at most {@link #SLICE_NANOS} per call.
 *   <li>Sleep, virtual thread: {@link LockSupport#parkNanos} for at most
 *       {@link #VIRTUAL_PARK_NANOS}, then re-check. A channel wait would pin the carrier thread
 *       for the whole wait; parking frees it, at the price of up to that much hand-off latency.
 * </ul>
 *
 * <p>Why these values (measured on the 2-core VMs this library is tuned on): a sleep and its
 * wake-up cost about 50 µs of the waker's and the sleeper's time (two system calls and a
 * reschedule), while handing a cache line from one core to another costs about 0.1 µs. Spinning
 * for as long as a sleep would cost is the classic competitive bound (spinning never costs more
 * than twice what sleeping at once would), and it keeps a consumer that drains faster than its
 * producer from sleeping (and making the producer pay a wake) on every record: 256 spin rounds
 * (~3.5 µs) gave 4-5 M msg/s on the queue where 50 µs gave 6-13 M (64 B, 1 → 1). The slice, 5 ms,
 * bounds how late interruption, a close, or a dead peer is noticed (liveness is checked at most
 * every {@link #LIVENESS_INTERVAL_NANOS}) at 200 wake-ups a second per sleeping thread, which
 * costs nothing measurable. A virtual thread parks 250 µs at a time: a few times the price of a
 * wake, so an idle virtual waiter costs little and a hand-off to it stays under a millisecond.
 *
 * <p>Timeouts are never early: a caller gives up only once {@link Deadline#expired()}.
 */
public final class Waiting {
    /** How long a waiter spins before its first sleep; 0 with one CPU. */
    public static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 50_000L : 0L;
    /** Longest single sleep on a wait channel. */
    public static final long SLICE_NANOS = 5_000_000L;
    /** Longest single park of a virtual thread. */
    public static final long VIRTUAL_PARK_NANOS = 250_000L;
    /** Minimum time between two liveness checks of the same waiter. */
    public static final long LIVENESS_INTERVAL_NANOS = 5_000_000L;
    /** Spin rounds between two reads of the clock (a power of two). */
    private static final int ROUNDS_PER_CLOCK_READ = 64;

    private Waiting() {
    }

    /**
     * One spin phase of one wait; not thread-safe (a local of the waiting thread, which the JIT
     * keeps off the heap).
     *
     * <pre>{@code
     * Waiting.Spin spin = new Waiting.Spin(timeoutNanos);
     * while (spin.next()) { if (condition()) return; }
     * }</pre>
     */
    public static final class Spin {
        private final long limit;
        private int round;
        private long start;

        /**
         * Starts a spin phase of a wait with {@code timeoutNanos} (negative: none; 0: the wait
         * does not wait, so neither does the spin). Reads no clock.
         */
        public Spin(long timeoutNanos) {
            long l = timeoutNanos < 0 ? SPIN_NANOS : Math.min(timeoutNanos, SPIN_NANOS);
            this.limit = SPIN_NANOS == 0 ? 0 : l;
        }

        /**
         * Spins once ({@link Thread#onSpinWait()}) and says whether the caller should re-check
         * its condition (true) or go to sleep (false): true for 64 rounds, then until
         * {@code min(timeout, SPIN_NANOS)} has passed since the 64th.
         */
        public boolean next() {
            if (limit == 0) {
                return false;
            }
            Thread.onSpinWait();
            int r = ++round;
            if ((r & (ROUNDS_PER_CLOCK_READ - 1)) != 0) {
                return true;
            }
            long now = System.nanoTime();
            if (r == ROUNDS_PER_CLOCK_READ) {
                start = now;
                return true;
            }
            return now - start < limit;
        }
    }

    /**
     * Sleeps while the word still holds {@code expected}, at most {@code min(maxNanos,
     * SLICE_NANOS)}; may return early (spuriously, or on a value change): callers re-check.
     *
     * @return whether the sleep ended by a wake-up or a changed word rather than by time (always
     *     {@code false} for a virtual thread, which parks instead)
     * @throws UncheckedIOException if the wait channel fails
     */
    public static boolean sleep(WaitWord word, int expected, long maxNanos) {
        long n = Math.min(maxNanos, SLICE_NANOS);
        if (n <= 0) {
            return false;
        }
        if (Thread.currentThread().isVirtual()) {
            LockSupport.parkNanos(Math.min(n, VIRTUAL_PARK_NANOS));
            return false;
        }
        try {
            return word.channel().await(word.word(), expected, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Wakes up to {@code count} threads sleeping on the word, in any process.
     *
     * @throws UncheckedIOException if the wait channel fails
     */
    public static void wake(WaitWord word, int count) {
        try {
            word.channel().wake(word.word(), count);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Pauses a thread that waits for a short transition of another thread of this process (a
     * take-over in flight): spins while {@code spin} does, then parks {@link #VIRTUAL_PARK_NANOS}.
     */
    public static void pause(Spin spin) {
        if (!spin.next()) {
            LockSupport.parkNanos(VIRTUAL_PARK_NANOS);
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
