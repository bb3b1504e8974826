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
 * A lock shared between processes (Python's {@code multiprocessing.Lock}), in shared memory, that
 * survives the death of the process holding it.
 *
 * <pre>{@code
 * try (SharedLock lock = SharedLock.create()) {
 *     ChildProcess p = new ChildProcess(() -> { lock.lock(); try { work(); } finally { lock.unlock(); } });
 *     p.start();
 *     lock.lock();
 *     try {
 *         if (!lock.isConsistent()) {   // the previous holder died while holding it
 *             repair();
 *             lock.markConsistent();
 *         }
 *         work();
 *     } finally {
 *         lock.unlock();
 *     }
 * }
 * }</pre>
 *
 * <h2>Sharing</h2>
 * A task that captures the lock carries it to the child process: the lock's memory travels as an
 * inherited descriptor, never as a copy. Every thread of every process that has the lock competes
 * for the same lock.
 *
 * <h2>Ownership</h2>
 * As in Python, the lock is not reentrant (a thread that locks it twice waits for itself
 * forever, or until its timeout), and it may be released by any thread of any process, not only
 * by the one that acquired it. The process that acquired it (pid and start time) and its thread
 * ({@link Thread#threadId()}, unique per JVM, virtual threads included) are recorded as the
 * owner; that record decides {@link #isHeldByCurrentThread()}, who may use a
 * {@link SharedCondition} of this lock, and whose death frees the lock. Use
 * {@link SharedReentrantLock} for a lock that only its owner thread may release.
 *
 * <h2>Blocking, timeouts, interruption</h2>
 * An uncontended {@code lock()}/{@code unlock()} is one compare-and-set each, no system call.
 * A contended acquisition spins briefly, then sleeps on a wait word (a virtual thread parks
 * instead, in slices of at most 250 µs, so as not to pin its carrier). Timeouts are never early.
 * {@link #lockInterruptibly()} and {@link #tryLock(long, TimeUnit)} throw
 * {@link InterruptedException} as {@link java.util.concurrent.locks.ReentrantLock} does; a
 * sleeping thread notices interruption within 5 ms. {@link #lock()} ignores interruption and
 * re-asserts the status on return. Barging is allowed: the lock is not fair.
 *
 * <h2>When the owner's process dies (robust mutex)</h2>
 * A waiting thread checks, every 5 ms while it waits, whether the owner process is still alive;
 * when it has proof of the owner's death it takes the lock over. The proof is kept by the
 * kernel, not read from the pid: every process that has the lock open holds an open-file lock
 * on the lock's memory, which the kernel drops when the process ends, however it ends. So a live
 * owner is never taken for dead, even in another PID namespace that shares named memory
 * (containers of one pod, {@code docker --ipc=container:…}, {@code unshare -p}), and a new
 * process that reuses a dead owner's pid is never taken for it. The acquisition then succeeds
 * normally — the Lock contract holds: when {@code lock()} returns, the caller holds the lock —
 * but {@link #isConsistent()} returns
 * {@code false}: the dead owner may have left the protected data half-updated. The new owner
 * either repairs it and calls {@link #markConsistent()} before unlocking, or unlocks without
 * doing so: then the lock becomes permanently <em>not recoverable</em> and every later
 * acquisition, in every process, throws {@link LockNotRecoverableException} (a POSIX robust
 * mutex's semantics, see the {@linkplain org.multiprocessing4j##os-mapping OS mapping}).
 * Code that does not know about this contract therefore fails loudly rather than working on
 * corrupt data. A non-blocking {@link #tryLock()} also takes over from a dead owner, checking
 * at most once per 5 ms per lock object. The death of a thread whose process lives on is not
 * detected (as with {@code ReentrantLock}).
 *
 * <h2>Memory consistency</h2>
 * Actions in any process before {@code unlock()} happen-before actions after a subsequent
 * successful acquisition in any process, for memory that both processes share (the shared
 * memory this library maps). The Java memory model itself says nothing about other processes;
 * this holds because the lock word is accessed with volatile compare-and-set on a naturally
 * aligned word of a shared mapping, which the hardware orders like any other atomic (see the
 * class comment of {@code internal.sync.Words}).
 *
 * <h2>Lifetime</h2>
 * {@link #close()} unmaps this process's view; the lock lives on in other processes. Using a
 * closed lock throws {@link IllegalStateException}. All methods are thread-safe.
 */
public final class SharedLock implements Lock, AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 2L;

    /**
     * The region: its memory, header, liveness mark, robust mutex and closed state; the serial
     * form (an inherited handle when a task captures the lock, see {@code SyncRegion}).
     */
    private final SyncRegion region;

    private SharedLock(SyncRegion region) {
        this.region = region;
    }

    /**
     * Creates an unlocked lock in new anonymous shared memory.
     *
     * @return the lock
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedLock create() throws IOException {
        return SyncRegion.anonymous(SyncRegion.Kind.LOCK, LockLayout.SIZE, null, SharedLock::new);
    }

    /**
     * Creates a lock under {@code name}, for unrelated processes to {@link #open(String)}.
     * The name stays until {@link #unlink()} (or until this process dies without unlinking it:
     * its creator's tracker removes it then).
     *
     * @param name the name, as for {@link SharedMemory#create(String, long)}
     * @return the new primitive
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedLock create(String name) throws IOException {
        return SyncRegion.create(SyncRegion.Kind.LOCK, name, LockLayout.SIZE, null,
                SharedLock::new);
    }

    /**
     * Opens a lock that another process created with {@code create(name, …)}.
     *
     * @param name the name
     * @return a handle on the same primitive
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds something too small or never initialized
     * @throws IllegalStateException if the name holds another kind of region or layout version
     */
    public static SharedLock open(String name) throws IOException {
        return SyncRegion.open(SyncRegion.Kind.LOCK, name, SharedLock::new);
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
     * Acquires the lock, waiting as long as it takes; ignores interruption (the interrupt status
     * is kept). Takes over from a dead owner (see the class comment: check {@link #isConsistent()}).
     *
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public void lock() {
        RobustMutex m = region.mutex();
        if (!m.tryAcquireFree()) {
            lockContended(m);
        }
    }

    /** {@link #lock()} when the lock was not free: out of line, so that lock() is inlined. */
    private void lockContended(RobustMutex m) {
        try {
            region.acquired(m.acquire(-1, false));
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible acquisition was interrupted", e);
        }
    }

    /**
     * Acquires the lock unless the thread is interrupted first or while waiting.
     *
     * @throws InterruptedException if interrupted (the lock is not acquired; status cleared)
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        region.acquired(region.mutex().acquire(-1, true));
    }

    /**
     * Acquires the lock if it is free now, or if its owner's process is proven dead (checked at
     * most once per 5 ms per lock object); never waits.
     *
     * @return whether the lock was acquired
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public boolean tryLock() {
        return region.acquired(region.mutex().tryAcquire());
    }

    /**
     * Acquires the lock, waiting at most {@code time}; never gives up early. Before giving up it
     * checks at least once whether the owner's process is dead (so even {@code tryLock(0, unit)}
     * takes over from a dead owner).
     *
     * @return whether the lock was acquired ({@code false}: the time elapsed)
     * @throws InterruptedException if interrupted before or while waiting (not acquired)
     * @throws LockNotRecoverableException if the lock is not recoverable
     * @throws IllegalStateException if closed
     */
    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        return region.acquired(region.mutex().acquire(Math.max(0, unit.toNanos(time)), true));
    }

    /**
     * Releases the lock, whichever thread or process acquired it (Python semantics), waking one
     * waiter if any sleeps. If the lock was taken over from a dead owner and not marked
     * consistent, it becomes not recoverable instead (and all waiters wake up to throw
     * {@link LockNotRecoverableException}). If another process is just taking the lock over from
     * a dead owner, waits for that (a few memory writes) to finish and then releases the new
     * owner's hold, which makes the lock not recoverable. Releasing the hold of a dead owner that
     * nobody took over yet counts as that owner's own release (the caller vouches for the state).
     *
     * @throws IllegalMonitorStateException if the lock is not locked
     * @throws IllegalStateException if closed
     */
    @Override
    public void unlock() {
        if (!region.mutex().releaseAny()) {
            throw notLocked();
        }
    }

    private static IllegalMonitorStateException notLocked() {
        return new IllegalMonitorStateException("SharedLock is not locked");
    }

    /**
     * Creates a condition bound to this lock, in its own new shared memory. Its {@code await}
     * and {@code signal} methods require the calling thread to be the recorded owner.
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
     * {@return whether the state the lock protects is consistent} {@code false} from the moment
     * a thread took the lock over from a dead owner until the new owner calls
     * {@link #markConsistent()}, and for good once the lock is not recoverable.
     *
     * @throws IllegalStateException if closed
     */
    public boolean isConsistent() {
        return region.isConsistent();
    }

    /**
     * Declares the protected state repaired after a take-over from a dead owner (POSIX
     * {@code pthread_mutex_consistent}); a no-op when already consistent.
     *
     * @throws IllegalMonitorStateException if the current thread is not the recorded owner
     * @throws IllegalStateException if closed
     */
    public void markConsistent() {
        region.markConsistent();
    }

    /** {@return whether any thread of any process holds the lock} @throws IllegalStateException if closed */
    public boolean isLocked() {
        return region.isLocked();
    }

    /** {@return whether the current thread is the recorded owner} @throws IllegalStateException if closed */
    public boolean isHeldByCurrentThread() {
        return region.mutex().heldByCurrentThread();
    }

    /**
     * Unmaps this process's view of the lock; idempotent. Afterwards every method of this object
     * throws {@link IllegalStateException}. A lock held by this process stays held while this
     * process has another object open on the same lock (one received in another task, say);
     * once its last one is closed, the other processes treat this process as a dead owner: the
     * next acquirer takes the lock over and {@link #isConsistent()} is {@code false} for it, as
     * if this process had died holding it. A thread of this process still waiting
     * for the lock fails with {@link IllegalStateException} at its next access to the lock's
     * memory (within 5 ms). A take-over from a dead owner, or an {@link #unlock()} of another
     * process's hold, that a thread of this object has begun is finished first (a few memory
     * writes), so that closing never leaves the lock in a state that only this process could
     * resolve; none begins once close has started.
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the lock's memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    @Override
    public void close() {
        region.close();
    }

    // ---------------------------------------------------------------- package-private, for SharedCondition

    /** Releases for a condition wait; @return the hold count to restore (always 1). */
    int releaseForWait() {
        RobustMutex m = region.mutex();
        if (!m.heldByCurrentThread()) {
            throw new IllegalMonitorStateException("the current thread does not hold the SharedLock");
        }
        if (!m.release(ProcessToken.self())) {
            throw new IllegalMonitorStateException("the SharedLock was released by another thread");
        }
        return 1;
    }

    /** Re-acquires after a condition wait, uninterruptibly. */
    void reacquireAfterWait(int holds) {
        lock();
    }

    /**
     * Builds the lock on the region attached in the receiving process.
     *
     * @return this object's view in the receiving process
     * @throws ObjectStreamException if the lock cannot be built
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        return region.resolve(SharedLock::new);
    }

    @Override
    public String toString() {
        return region.describe(region::lockState);
    }
}
