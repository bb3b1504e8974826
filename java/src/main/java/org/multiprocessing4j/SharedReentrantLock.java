package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.multiprocessing4j.internal.sync.LockLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.internal.sync.RobustMutex;
import org.multiprocessing4j.internal.sync.SyncRegion;

/**
 * A reentrant lock shared between processes (Python's {@code multiprocessing.RLock}), in shared
 * memory, that survives the death of the process holding it.
 *
 * <h2>Ownership</h2>
 * The owner is one thread of one process: the process (pid and start time, so that a reused pid
 * is never mistaken for it) and the thread's {@link Thread#threadId()} (unique per JVM, virtual
 * threads included) are recorded in shared memory. The owner may acquire again; each acquisition
 * increments the hold count and each {@link #unlock()} decrements it; the lock is released when it
 * reaches zero. Only the owner may unlock: any other thread, in any process, gets
 * {@link IllegalMonitorStateException}.
 *
 * <h2>Blocking, timeouts, interruption</h2>
 * As {@link SharedLock}: no system call when uncontended, brief spin then a wait-channel sleep (virtual
 * threads park in slices of at most 250 µs), timeouts never early, {@link #lockInterruptibly()}
 * and {@link #tryLock(long, TimeUnit)} throw {@link InterruptedException} (noticed within 5 ms
 * while asleep), {@link #lock()} ignores interruption. Not fair.
 *
 * <h2>When the owner's process dies</h2>
 * Exactly as {@link SharedLock}: a waiter proves the owner's death (checking every 5 ms while
 * waiting) and takes the lock over with a hold count of 1; {@link #isConsistent()} is then
 * {@code false} until the new owner calls {@link #markConsistent()}; releasing the last hold
 * without doing so makes the lock permanently not recoverable, and every later acquisition throws
 * {@link LockNotRecoverableException}.
 *
 * <h2>Memory consistency, sharing, lifetime</h2>
 * As {@link SharedLock}: unlock happens-before the next acquisition in any process; a task that
 * captures the lock carries it to a child; {@link #close()} unmaps this process's view, after
 * which every method throws {@link IllegalStateException}; a hold of this process then counts as
 * a dead owner's for the other processes once this process has no other object open on the
 * lock. Thread-safe.
 */
public final class SharedReentrantLock implements Lock, AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 2L;

    /**
     * The region: its memory, header, liveness mark, robust mutex and closed state; the serial
     * form (an inherited handle when a task captures the lock, see {@code SyncRegion}).
     */
    private final SyncRegion region;

    private SharedReentrantLock(SyncRegion region) {
        this.region = region;
    }

    /**
     * Creates an unlocked lock in new anonymous shared memory.
     *
     * @return the lock
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedReentrantLock create() throws IOException {
        return SyncRegion.anonymous(SyncRegion.Kind.REENTRANT_LOCK, LockLayout.SIZE, null,
                SharedReentrantLock::new);
    }

    /**
     * Creates a reentrant lock under {@code name}, for unrelated processes to {@link #open(String)}.
     * The name stays until {@link #unlink()} (or until this process dies without unlinking it:
     * its creator's tracker removes it then).
     *
     * @param name the name, as for {@link SharedMemory#create(String, long)}
     * @return the new primitive
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedReentrantLock create(String name) throws IOException {
        return SyncRegion.create(SyncRegion.Kind.REENTRANT_LOCK, name, LockLayout.SIZE, null,
                SharedReentrantLock::new);
    }

    /**
     * Opens a reentrant lock that another process created with {@code create(name, …)}.
     *
     * @param name the name
     * @return a handle on the same primitive
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds something too small or never initialized
     * @throws IllegalStateException if the name holds another kind of region or layout version
     */
    public static SharedReentrantLock open(String name) throws IOException {
        return SyncRegion.open(SyncRegion.Kind.REENTRANT_LOCK, name, SharedReentrantLock::new);
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
     * Acquires the lock (or, for the owner, one more hold), waiting as long as it takes; ignores
     * interruption (the status is kept). Takes over from a dead owner: check
     * {@link #isConsistent()}.
     *
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed, or if the hold count would overflow
     */
    @Override
    public void lock() {
        RobustMutex m = region.mutex();
        if (m.tryAcquireFree()) {
            m.setHolds(1);
        } else if (!reenter(m)) {
            lockContended(m);
        }
    }

    /** {@link #lock()} when another thread holds the lock: out of line, so that lock() inlines. */
    private void lockContended(RobustMutex m) {
        try {
            region.acquired(m.acquire(-1, false));
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible acquisition was interrupted", e);
        }
    }

    /**
     * Acquires the lock unless interrupted first or while waiting.
     *
     * @throws InterruptedException if interrupted (not acquired; status cleared)
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (!reenter()) {
            region.acquired(region.mutex().acquire(-1, true));
        }
    }

    /**
     * Acquires the lock if it is free now, held by the current thread, or held by a process
     * proven dead (checked at most once per 5 ms per lock object); never waits.
     *
     * @return whether the lock was acquired
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public boolean tryLock() {
        return reenter() || region.acquired(region.mutex().tryAcquire());
    }

    /**
     * Acquires the lock, waiting at most {@code time}; never gives up early. Before giving up it
     * checks at least once whether the owner's process is dead (so even {@code tryLock(0, unit)}
     * takes over from a dead owner).
     *
     * @return whether the lock was acquired
     * @throws InterruptedException if interrupted before or while waiting (not acquired)
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return reenter()
                || region.acquired(region.mutex().acquire(Math.max(0, unit.toNanos(time)), true));
    }

    /**
     * Drops one hold; releases the lock (waking one waiter if any sleeps) when the count reaches
     * zero. Releasing the last hold after a take-over from a dead owner without
     * {@link #markConsistent()} makes the lock not recoverable.
     *
     * @throws IllegalMonitorStateException if the current thread is not the owner, or stopped
     *     being the owner during the call (only another process that took this live process's
     *     hold over, or wrote the lock's memory, does that); the owner word is left as that
     *     process made it, but the thread record may already have been cleared, so a process that
     *     wrongly took a live hold over may find it cannot re-enter or unlock
     * @throws IllegalStateException if closed
     */
    @Override
    public void unlock() {
        RobustMutex m = region.mutex();
        if (!m.heldByCurrentThread()) {
            throw notHeld();
        }
        int h = m.holds();
        if (h > 1) {
            m.setHolds(h - 1);
        } else if (!m.releaseHeld()) {
            // The owner word stopped naming this process after the check above: the hold was
            // taken away (a take-over of this live process's hold, or a foreign write). The owner
            // word was not released, and ReentrantLock would not return normally either.
            throw new IllegalMonitorStateException("the lock no longer belongs to this process:"
                    + " its hold was taken over before this unlock could release it ("
                    + this + ")");
        }
    }

    private IllegalMonitorStateException notHeld() {
        return new IllegalMonitorStateException("the current thread does not hold the"
                + " SharedReentrantLock (" + this + ")");
    }

    /**
     * Creates a condition bound to this lock, in its own new shared memory.
     *
     * @throws UncheckedIOException if the shared memory cannot be created
     * @throws IllegalStateException if closed
     */
    @Override
    public SharedCondition newCondition() {
        region.checkOpen();
        try {
            return SharedCondition.create(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@return whether the protected state is consistent} {@code false} after a take-over from a
     * dead owner until {@link #markConsistent()}, and for good once not recoverable.
     *
     * @throws IllegalStateException if closed
     */
    public boolean isConsistent() {
        return region.isConsistent();
    }

    /**
     * Declares the protected state repaired after a take-over from a dead owner; no-op when
     * already consistent.
     *
     * @throws IllegalMonitorStateException if the current thread is not the owner
     * @throws IllegalStateException if closed
     */
    public void markConsistent() {
        region.markConsistent();
    }

    /** {@return the current thread's hold count, 0 if it is not the owner} @throws IllegalStateException if closed */
    public int getHoldCount() {
        RobustMutex m = region.mutex();
        return m.heldByCurrentThread() ? m.holds() : 0;
    }

    /** {@return whether the current thread is the owner} @throws IllegalStateException if closed */
    public boolean isHeldByCurrentThread() {
        return region.mutex().heldByCurrentThread();
    }

    /** {@return whether any thread of any process holds the lock} @throws IllegalStateException if closed */
    public boolean isLocked() {
        return region.isLocked();
    }

    /**
     * Unmaps this process's view of the lock; idempotent. Afterwards every method of this object
     * throws {@link IllegalStateException}. A lock held by this process stays held (other
     * processes recover it only when this process dies). A thread of this process still waiting
     * for the lock fails with {@link IllegalStateException} at its next access to the lock's
     * memory (within 5 ms).
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the lock's memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    @Override
    public void close() {
        region.close();
    }

    // ---------------------------------------------------------------- package-private

    private boolean reenter() {
        return reenter(region.mutex());
    }

    /** Counts one more hold if the current thread holds the lock. */
    private boolean reenter(RobustMutex m) {
        if (!m.heldByCurrentThread()) {
            return false;
        }
        int h = m.holds();
        if (h == Integer.MAX_VALUE) {
            throw new IllegalStateException("maximum lock count exceeded");
        }
        m.setHolds(h + 1);
        return true;
    }

    /** Releases all holds for a condition wait; @return the hold count to restore. */
    int releaseForWait() {
        RobustMutex m = region.mutex();
        if (!m.heldByCurrentThread()) {
            throw new IllegalMonitorStateException("the current thread does not hold the"
                    + " SharedReentrantLock");
        }
        int h = m.holds();
        if (!m.release(ProcessToken.self())) {
            // as in unlock(): the hold was taken away under this thread; a wait that went on
            // would later "restore" holds it never gave up
            throw new IllegalMonitorStateException("the lock no longer belongs to this process:"
                    + " its hold was taken over before the condition wait could release it ("
                    + this + ")");
        }
        return h;
    }

    /** Re-acquires after a condition wait, uninterruptibly, and restores the hold count. */
    void reacquireAfterWait(int holds) {
        try {
            region.acquired(region.mutex().acquire(-1, false));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        region.mutex().setHolds(holds);
    }

    /**
     * Builds the lock on the region attached in the receiving process.
     *
     * @return this object's view in the receiving process
     * @throws ObjectStreamException if the lock cannot be built
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        return region.resolve(SharedReentrantLock::new);
    }

    @Override
    public String toString() {
        return region.describe(region::lockState);
    }
}
