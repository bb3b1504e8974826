package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.function.BooleanSupplier;
import org.multiprocessing4j.internal.sync.ConditionLayout;
import org.multiprocessing4j.internal.jfr.SyncWaitEvent;
import org.multiprocessing4j.internal.sync.SyncRegion;
import org.multiprocessing4j.internal.sync.WaitWord;
import org.multiprocessing4j.internal.sync.Waiting;
import org.multiprocessing4j.internal.sync.Words;

/**
 * A condition variable shared between processes (Python's {@code multiprocessing.Condition}),
 * bound to a {@link SharedLock} or {@link SharedReentrantLock}. Make one with
 * {@link #create()} (a new reentrant lock, as Python does), {@link #create(SharedLock)},
 * {@link #create(SharedReentrantLock)}, or the lock's {@code newCondition()}.
 *
 * <pre>{@code
 * cond.lock().lock();
 * try {
 *     cond.waitFor(() -> queueNotEmpty(), 1, TimeUnit.SECONDS);
 * } finally {
 *     cond.lock().unlock();
 * }
 * }</pre>
 *
 * <h2>Contract</h2>
 * As {@link Condition}: every method requires the calling thread to hold the lock (the recorded
 * owner) and throws {@link IllegalMonitorStateException} otherwise; {@code await} releases the
 * lock fully (all holds of a reentrant lock), waits, and re-acquires it before returning or
 * throwing — also when interrupted or timed out. Spurious wake-ups happen: wait in a loop, or use
 * {@link #waitFor}. A signal wakes a thread that was waiting when it was sent, never one that
 * started waiting afterwards. Timeouts are never early; interruption is noticed within 5 ms; the
 * {@code await} variants that throw {@link InterruptedException} do so after re-acquiring the
 * lock, with the status cleared. Virtual threads park in slices of at most 250 µs.
 *
 * <h2>When another process dies</h2>
 * {@link #signal()} and {@link #signalAll()} never wait for an acknowledgement: a dead waiter
 * cannot block them, nor take a signal from live waiters (it may at worst cause a spurious
 * wake-up of a later waiter). If the process holding the lock dies while others wait,
 * re-acquiring the lock takes it over as the lock's class comment describes: {@code await} returns normally and the lock's
 * {@code isConsistent()} is {@code false}; if the lock is not recoverable, {@code await} throws
 * {@link LockNotRecoverableException} without holding the lock.
 *
 * <h2>Sharing and lifetime</h2>
 * A task that captures the condition carries it, and its lock, to the child. {@link #close()}
 * unmaps this process's view of the condition (and of its lock only if {@link #create()} made
 * it); afterwards every method throws {@link IllegalStateException}. Thread-safe.
 */
public final class SharedCondition implements Condition, AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 2L;

    /**
     * The region: its memory, header and closed state; the serial form (an inherited handle
     * when a task captures the condition, see {@code SyncRegion}).
     */
    private final SyncRegion region;
    /** The lock: always a SharedLock or SharedReentrantLock, both Serializable. */
    @SuppressWarnings("serial")
    private final Lock lock;
    /** Whether {@link #close()} closes the lock too. */
    private final boolean ownsLock;
    private final transient MemorySegment s;
    private final transient WaitWord wakeWord;

    private SharedCondition(SyncRegion region, Lock lock, boolean ownsLock) {
        this.region = region;
        this.lock = lock;
        this.ownsLock = ownsLock;
        this.s = region.segment();
        this.wakeWord = WaitWord.of(s, ConditionLayout.WAKE_SEQ_OFFSET);
    }

    /**
     * Creates a condition with a new {@link SharedReentrantLock} (Python's default), which
     * {@link #close()} closes too.
     *
     * @return the condition; the caller closes it
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedCondition create() throws IOException {
        SharedReentrantLock l = SharedReentrantLock.create();
        try {
            return of(l, true);
        } catch (IOException | RuntimeException e) {
            l.close();
            throw e;
        }
    }

    /**
     * Creates a condition under {@code name}, bound to {@code lock}, for unrelated processes to
     * {@link #open(String, SharedLock)} with the same lock (opened by its own name). The name
     * stays until {@link #unlink()} or until this process dies without unlinking it.
     *
     * @param name the name, as for {@link SharedMemory#create(String, long)}
     * @param lock the lock every user of the condition holds around await and signal
     * @return the condition
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedCondition create(String name, SharedLock lock) throws IOException {
        Objects.requireNonNull(lock, "lock");
        return SyncRegion.create(SyncRegion.Kind.CONDITION, name, ConditionLayout.SIZE, null,
                r -> new SharedCondition(r, lock, false));
    }

    /**
     * Opens a condition that another process created with {@link #create(String, SharedLock)}.
     *
     * @param name the name
     * @param lock the same lock as the creator's, opened by its own name
     * @return a handle on the same condition
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds something too small or never initialized
     * @throws IllegalStateException if the name holds another kind of region or layout version
     */
    public static SharedCondition open(String name, SharedLock lock) throws IOException {
        Objects.requireNonNull(lock, "lock");
        return SyncRegion.open(SyncRegion.Kind.CONDITION, name,
                r -> new SharedCondition(r, lock, false));
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
     * Creates a condition bound to {@code lock}.
     *
     * @param lock the lock it is used with; {@link #close()} does not close it
     * @return the condition; the caller closes it
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedCondition create(SharedLock lock) throws IOException {
        return of(Objects.requireNonNull(lock, "lock"), false);
    }

    /**
     * Creates a condition bound to {@code lock}.
     *
     * @param lock the lock it is used with; {@link #close()} does not close it
     * @return the condition; the caller closes it
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedCondition create(SharedReentrantLock lock) throws IOException {
        return of(Objects.requireNonNull(lock, "lock"), false);
    }

    private static SharedCondition of(Lock lock, boolean ownsLock) throws IOException {
        return SyncRegion.anonymous(SyncRegion.Kind.CONDITION, ConditionLayout.SIZE, null,
                r -> new SharedCondition(r, lock, ownsLock));
    }

    /** {@return the lock this condition is bound to} */
    public Lock lock() {
        return lock;
    }

    /**
     * Waits until signalled or interrupted (see the class comment).
     *
     * @throws InterruptedException if interrupted before or while waiting (lock re-acquired)
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public void await() throws InterruptedException {
        await0(-1, true);
    }

    /**
     * Waits until signalled; interruption is remembered and re-asserted on return.
     *
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public void awaitUninterruptibly() {
        try {
            await0(-1, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Waits until signalled, interrupted, or {@code nanosTimeout} elapsed.
     *
     * @return an estimate of the nanoseconds left; zero or less if the time elapsed
     * @throws InterruptedException if interrupted (lock re-acquired)
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        long start = System.nanoTime();
        await0(Math.max(0, nanosTimeout), true);
        return nanosTimeout - (System.nanoTime() - start);
    }

    /**
     * Waits until signalled, interrupted, or {@code time} elapsed.
     *
     * @return {@code false} if the time elapsed without a signal
     * @throws InterruptedException if interrupted (lock re-acquired)
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        return await0(Math.max(0, unit.toNanos(time)), true);
    }

    /**
     * Waits until signalled, interrupted, or the deadline passed (wall clock).
     *
     * @return {@code false} if the deadline passed without a signal
     * @throws InterruptedException if interrupted (lock re-acquired)
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        long ms = deadline.getTime() - System.currentTimeMillis();
        return await0(TimeUnit.MILLISECONDS.toNanos(Math.max(0, ms)), true);
    }

    /**
     * Waits until {@code predicate} is true (Python's {@code wait_for}), calling it with the lock
     * held, first before any wait.
     *
     * @param predicate the state waited for
     * @throws InterruptedException if interrupted (lock re-acquired)
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    public void waitFor(BooleanSupplier predicate) throws InterruptedException {
        while (!predicate.getAsBoolean()) {
            await();
        }
    }

    /**
     * Waits until {@code predicate} is true or {@code time} elapsed (Python's
     * {@code wait_for(predicate, timeout)}), calling it with the lock held.
     *
     * @param predicate the state waited for
     * @param time the longest wait
     * @param unit the unit of {@code time}
     * @return the last value of the predicate
     * @throws InterruptedException if interrupted (lock re-acquired)
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    public boolean waitFor(BooleanSupplier predicate, long time, TimeUnit unit)
            throws InterruptedException {
        Waiting.Deadline d = new Waiting.Deadline(Math.max(0, unit.toNanos(time)));
        boolean result = predicate.getAsBoolean();
        while (!result && !d.expired()) {
            await0(d.remaining(), true);
            result = predicate.getAsBoolean();
        }
        return result;
    }

    /**
     * Wakes one waiting thread, in any process, if any waits. Never blocks.
     *
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public void signal() {
        requireHeld();
        int w = Words.intVolatile(s, ConditionLayout.WAITERS_OFFSET);
        if (w > 0) {
            Words.setIntVolatile(s, ConditionLayout.LIMIT_OFFSET,
                    Words.intVolatile(s, ConditionLayout.NEXT_TICKET_OFFSET));
            if (w > Words.intVolatile(s, ConditionLayout.TOKENS_OFFSET)) {
                Words.getAndAddInt(s, ConditionLayout.TOKENS_OFFSET, 1);
            }
            Words.getAndAddInt(s, ConditionLayout.WAKE_SEQ_OFFSET, 1);
            Waiting.wake(wakeWord, 1);
        }
    }

    /**
     * Wakes all waiting threads, in every process. Never blocks.
     *
     * @throws IllegalMonitorStateException if the current thread does not hold the lock
     */
    @Override
    public void signalAll() {
        requireHeld();
        int w = Words.intVolatile(s, ConditionLayout.WAITERS_OFFSET);
        if (w > 0) {
            Words.setIntVolatile(s, ConditionLayout.LIMIT_OFFSET,
                    Words.intVolatile(s, ConditionLayout.NEXT_TICKET_OFFSET));
            Words.setIntVolatile(s, ConditionLayout.TOKENS_OFFSET, w);
            Words.getAndAddInt(s, ConditionLayout.WAKE_SEQ_OFFSET, 1);
            Waiting.wake(wakeWord, Integer.MAX_VALUE);
        }
    }

    /**
     * Unmaps this process's view of the condition; idempotent. The lock stays open, unless this
     * condition made it ({@link #create()}), in which case it is closed too. Afterwards every
     * method of this object throws {@link IllegalStateException}; so does a thread of this
     * process still waiting in {@code await}, at its next access to the condition's memory
     * (within 5 ms), without the lock.
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the condition's memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    @Override
    public void close() {
        region.close();
        if (ownsLock) {
            ((SharedReentrantLock) lock).close();
        }
    }

    /** @return whether signalled (a token was claimed) rather than timed out or interrupted */
    private boolean await0(long timeoutNanos, boolean interruptible) throws InterruptedException {
        requireHeld();
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        int ticket = Words.getAndAddInt(s, ConditionLayout.NEXT_TICKET_OFFSET, 1);
        Words.getAndAddInt(s, ConditionLayout.WAITERS_OFFSET, 1);
        int seq = Words.intVolatile(s, ConditionLayout.WAKE_SEQ_OFFSET);
        int holds;
        try {
            holds = release();
        } catch (RuntimeException | Error e) {
            leave();
            throw e;
        }
        boolean signalled = false;
        boolean interrupted = false;
        SyncWaitEvent event = SyncWaitEvent.started();
        boolean loopEnded = false; // false in the finally below: the wait ended by an exception
        try {
            Waiting.Deadline d = new Waiting.Deadline(timeoutNanos);
            for (;;) {
                if (ticket - Words.intVolatile(s, ConditionLayout.LIMIT_OFFSET) < 0) {
                    int t = Words.intVolatile(s, ConditionLayout.TOKENS_OFFSET);
                    if (t > 0) {
                        if (Words.casInt(s, ConditionLayout.TOKENS_OFFSET, t, t - 1)) {
                            signalled = true;
                            break;
                        }
                        continue;
                    }
                }
                if (d.expired() || (interrupted && interruptible)) {
                    break;
                }
                Waiting.sleep(wakeWord, seq, d.remaining());
                interrupted |= Thread.interrupted();
                seq = Words.intVolatile(s, ConditionLayout.WAKE_SEQ_OFFSET);
            }
            if (!signalled && Words.intVolatile(s, ConditionLayout.TOKENS_OFFSET) > 0) {
                Waiting.wake(wakeWord, Integer.MAX_VALUE); // the signal's wake-up may have been ours
            }
            loopEnded = true;
        } finally {
            // also for a wait ended by close() or another failure (the event's contract)
            region.waitEnded(event, "await", loopEnded && !signalled && !(interrupted && interruptible));
            try {
                reacquire(holds); // may throw LockNotRecoverableException: then the lock is not held
            } finally {
                leave();
            }
        }
        if (interrupted) {
            if (interruptible && !signalled) {
                throw new InterruptedException();
            }
            Thread.currentThread().interrupt();
        }
        return signalled;
    }

    /** Stops counting the caller as a waiter and drops tokens that nobody can claim. */
    private void leave() {
        int w = Words.getAndAddInt(s, ConditionLayout.WAITERS_OFFSET, -1) - 1;
        for (int t; (t = Words.intVolatile(s, ConditionLayout.TOKENS_OFFSET)) > w; ) {
            if (Words.casInt(s, ConditionLayout.TOKENS_OFFSET, t, Math.max(w, 0))) {
                break;
            }
        }
    }

    private void requireHeld() {
        region.checkOpen();
        boolean held = switch (lock) {
            case SharedLock l -> l.isHeldByCurrentThread();
            case SharedReentrantLock l -> l.isHeldByCurrentThread();
            default -> throw new AssertionError(lock);
        };
        if (!held) {
            throw new IllegalMonitorStateException("the current thread does not hold the lock of"
                    + " this SharedCondition");
        }
    }

    private int release() {
        return switch (lock) {
            case SharedLock l -> l.releaseForWait();
            case SharedReentrantLock l -> l.releaseForWait();
            default -> throw new AssertionError(lock);
        };
    }

    private void reacquire(int holds) {
        switch (lock) {
            case SharedLock l -> l.reacquireAfterWait(holds);
            case SharedReentrantLock l -> l.reacquireAfterWait(holds);
            default -> throw new AssertionError(lock);
        }
    }

    /**
     * Builds the condition on the region attached in the receiving process, with its lock.
     *
     * @return this object's view in the receiving process
     * @throws ObjectStreamException if it cannot be built
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        return region.resolve(r -> new SharedCondition(r, lock, ownsLock));
    }

    @Override
    public String toString() {
        return region.describe(() -> lock + ", waiters="
                + Words.intVolatile(s, ConditionLayout.WAITERS_OFFSET));
    }
}
