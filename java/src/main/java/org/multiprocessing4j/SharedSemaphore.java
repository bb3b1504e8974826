package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.multiprocessing4j.internal.sync.SemaphoreLayout;
import org.multiprocessing4j.internal.jfr.SyncWaitEvent;
import org.multiprocessing4j.internal.sync.SyncRegion;
import org.multiprocessing4j.internal.sync.WaitWord;
import org.multiprocessing4j.internal.sync.Waiting;
import org.multiprocessing4j.internal.sync.Words;

/**
 * A counting semaphore shared between processes (Python's {@code multiprocessing.Semaphore} and,
 * made with {@link #createBounded(int)}, {@code BoundedSemaphore}).
 *
 * <h2>Blocking, timeouts, interruption</h2>
 * {@link #acquire()} takes one permit, waiting while there is none: an uncontended acquire or
 * release is one compare-and-set, no system call; a waiter spins briefly, then sleeps on the
 * value word (a virtual thread parks in slices of at most 250 µs instead, so as not to
 * pin its carrier). Timeouts are never early. {@link #acquire()} and
 * {@link #tryAcquire(long, TimeUnit)} throw {@link InterruptedException} when interrupted before
 * or while waiting (noticed within 5 ms), as {@link java.util.concurrent.Semaphore} does. Not
 * fair. Permits are not owned: any thread of any process may release.
 *
 * <h2>When another process dies</h2>
 * Permits are not owned, so nobody can tell which permits a dead process held: they are lost,
 * as in Python. A waiter that dies simply stops waiting (it may leave the sleeper count one too
 * high, which only costs later releases a needless wake-up call).
 *
 * <h2>Memory consistency, sharing, lifetime</h2>
 * Actions before a release happen-before actions after an acquire that obtained that permit, in
 * any process. A task that captures the semaphore carries it to the child. {@link #close()}
 * unmaps this process's view; afterwards every method throws {@link IllegalStateException}.
 * Thread-safe.
 */
public final class SharedSemaphore implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 2L;

    /**
     * The region: its memory, header and closed state; the serial form (an inherited handle
     * when a task captures the semaphore, see {@code SyncRegion}).
     */
    private final SyncRegion region;
    private final transient MemorySegment s;
    private final transient WaitWord valueWord;
    private final transient int maxValue;

    private SharedSemaphore(SyncRegion region) {
        this.region = region;
        this.s = region.segment();
        this.maxValue = Words.intPlain(s, SemaphoreLayout.MAX_VALUE_OFFSET);
        this.valueWord = WaitWord.of(s, SemaphoreLayout.VALUE_OFFSET);
    }

    /** Writes the configuration of a new semaphore, before its header is published. */
    private static Consumer<MemorySegment> init(int initial, int maxValue) {
        return s -> {
            Words.setIntPlain(s, SemaphoreLayout.MAX_VALUE_OFFSET, maxValue);
            Words.setIntPlain(s, SemaphoreLayout.VALUE_OFFSET, initial);
        };
    }

    /**
     * Creates a semaphore under {@code name}, for unrelated processes to {@link #open(String)}.
     * The name stays until {@link #unlink()} (or until this process dies without unlinking it:
     * its creator's tracker removes it then).
     *
     * @param name the name, as for {@link SharedMemory#create(String, long)}
     * @param permits the initial permits, at least 0
     * @param bounded whether releasing beyond {@code permits} throws (Python's
     *     {@code BoundedSemaphore})
     * @return the new primitive
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedSemaphore create(String name, int permits, boolean bounded) throws IOException {
        if (permits < 0) {
            throw new IllegalArgumentException("permits must be >= 0, got " + permits);
        }
        return SyncRegion.create(SyncRegion.Kind.SEMAPHORE, name, SemaphoreLayout.SIZE,
                init(permits, bounded ? permits : -1), SharedSemaphore::new);
    }

    /**
     * Opens a semaphore that another process created with {@code create(name, …)}.
     *
     * @param name the name
     * @return a handle on the same primitive
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds something too small or never initialized
     * @throws IllegalStateException if the name holds another kind of region or layout version
     */
    public static SharedSemaphore open(String name) throws IOException {
        return SyncRegion.open(SyncRegion.Kind.SEMAPHORE, name, SharedSemaphore::new);
    }

    /**
     * Removes the name (the primitive lives on for every process that has it open).
     *
     * @throws IllegalStateException if it was created without a name
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        region.unlink();
    }

    /**
     * Creates a semaphore with {@code permits} permits and no upper bound.
     *
     * @param permits the initial value
     * @return the semaphore; the caller closes it
     * @throws IllegalArgumentException if {@code permits < 0}
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedSemaphore create(int permits) throws IOException {
        return make(permits, -1);
    }

    /**
     * Creates a bounded semaphore (Python's {@code BoundedSemaphore}): releasing beyond
     * {@code permits} available permits throws.
     *
     * @param permits the initial value, and the most that can be available
     * @return the semaphore; the caller closes it
     * @throws IllegalArgumentException if {@code permits < 0}
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedSemaphore createBounded(int permits) throws IOException {
        return make(permits, permits);
    }

    private static SharedSemaphore make(int permits, int max) throws IOException {
        if (permits < 0) {
            throw new IllegalArgumentException("permits must be >= 0, got " + permits);
        }
        return SyncRegion.anonymous(SyncRegion.Kind.SEMAPHORE, SemaphoreLayout.SIZE,
                init(permits, max), SharedSemaphore::new);
    }

    /**
     * Takes a permit, waiting as long as it takes.
     *
     * @throws InterruptedException if interrupted before or while waiting (nothing taken)
     * @throws IllegalStateException if closed
     */
    public void acquire() throws InterruptedException {
        acquire0(-1);
    }

    /**
     * Takes a permit if one is available now; never waits.
     *
     * @return whether a permit was taken
     * @throws IllegalStateException if closed
     */
    public boolean tryAcquire() {
        seg();
        for (int v; (v = Words.intVolatile(s, SemaphoreLayout.VALUE_OFFSET)) > 0; ) {
            if (Words.casInt(s, SemaphoreLayout.VALUE_OFFSET, v, v - 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes a permit, waiting at most {@code time}; never gives up early.
     *
     * @param time the longest wait
     * @param unit the unit of {@code time}
     * @return whether a permit was taken
     * @throws InterruptedException if interrupted before or while waiting (nothing taken)
     * @throws IllegalStateException if closed
     */
    public boolean tryAcquire(long time, TimeUnit unit) throws InterruptedException {
        return acquire0(Math.max(0, unit.toNanos(time)));
    }

    /**
     * Returns one permit, waking one waiter if any sleeps. Never blocks.
     *
     * @throws IllegalStateException if bounded and all permits are already available (Python's
     *     "semaphore released too many times"), or if closed
     */
    public void release() {
        release(1);
    }

    /**
     * Returns {@code n} permits, waking up to {@code n} waiters. Never blocks.
     *
     * @param n how many permits
     * @throws IllegalArgumentException if {@code n < 1}
     * @throws IllegalStateException if bounded and the value would exceed the initial value
     *     (nothing is released then), if the value would overflow, or if closed
     */
    public void release(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        seg();
        for (;;) {
            int v = Words.intVolatile(s, SemaphoreLayout.VALUE_OFFSET);
            long next = (long) v + n;
            if (maxValue >= 0 && next > maxValue) {
                throw new IllegalStateException("bounded SharedSemaphore released too many times"
                        + " (value " + v + ", bound " + maxValue + ")");
            }
            if (next > Integer.MAX_VALUE) {
                throw new IllegalStateException("SharedSemaphore value would overflow");
            }
            if (Words.casInt(s, SemaphoreLayout.VALUE_OFFSET, v, (int) next)) {
                break;
            }
        }
        if (Words.intVolatile(s, SemaphoreLayout.WAITERS_OFFSET) > 0) {
            Waiting.wake(valueWord, n);
        }
    }

    /** {@return the permits available now} @throws IllegalStateException if closed */
    public int availablePermits() {
        return Words.intVolatile(seg(), SemaphoreLayout.VALUE_OFFSET);
    }

    /** {@return the bound of a bounded semaphore, or -1} */
    public int maxPermits() {
        return maxValue;
    }

    /**
     * Unmaps this process's view; idempotent. Afterwards every method of this object throws
     * {@link IllegalStateException}; so does a thread of this process still waiting in
     * {@code acquire}, at its next access to the semaphore's memory (within 5 ms).
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the semaphore's memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    @Override
    public void close() {
        region.close();
    }

    private boolean acquire0(long timeoutNanos) throws InterruptedException {
        Waiting.checkInterrupt();
        if (tryAcquire()) {
            return true;
        }
        Waiting.Spin spin = new Waiting.Spin(timeoutNanos);
        while (spin.next()) {
            if (Words.intVolatile(s, SemaphoreLayout.VALUE_OFFSET) > 0 && tryAcquire()) {
                return true;
            }
        }
        Waiting.Deadline d = new Waiting.Deadline(timeoutNanos);
        SyncWaitEvent event = SyncWaitEvent.started();
        boolean got = false;
        boolean timedOut = false;
        Words.getAndAddInt(s, SemaphoreLayout.WAITERS_OFFSET, 1);
        try {
            for (;;) {
                int v = Words.intVolatile(s, SemaphoreLayout.VALUE_OFFSET);
                if (v > 0) {
                    if (Words.casInt(s, SemaphoreLayout.VALUE_OFFSET, v, v - 1)) {
                        got = true;
                        return true;
                    }
                    continue;
                }
                if (d.expired()) {
                    timedOut = true;
                    return false;
                }
                Waiting.sleep(valueWord, 0, d.remaining());
                Waiting.checkInterrupt();
            }
        } finally {
            int others = Words.getAndAddInt(s, SemaphoreLayout.WAITERS_OFFSET, -1) - 1;
            if (!got && others > 0 && Words.intVolatile(s, SemaphoreLayout.VALUE_OFFSET) > 0) {
                Waiting.wake(valueWord, 1); // the wake-up we consumed may have been meant for them
            }
            region.waitEnded(event, "acquire", timedOut);
        }
    }

    private MemorySegment seg() {
        return region.segment();
    }

    /**
     * Builds the semaphore on the region attached in the receiving process.
     *
     * @return this object's view in the receiving process
     * @throws ObjectStreamException if it cannot be built
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        return region.resolve(SharedSemaphore::new);
    }

    @Override
    public String toString() {
        return region.describe(() -> "permits=" + availablePermits()
                + (maxValue >= 0 ? ", bound=" + maxValue : ""));
    }
}
