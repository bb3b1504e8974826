package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemorySegment;

/**
 * A process-shared mutex in a {@link MutexLayout} block that survives the death of its owner:
 * the algorithm behind {@code SharedLock}, {@code SharedReentrantLock} and the barrier's internal
 * lock. Thread-safe; one instance per mapping (several instances over the same memory are fine).
 */
public final class RobustMutex {
    /** Outcome of an acquisition. */
    public enum Result {
        /** Acquired from a released lock. */
        ACQUIRED,
        /** Acquired from an owner that is proven dead; the protected state may be inconsistent. */
        OWNER_DIED,
        /** The timeout elapsed (or, for a non-blocking attempt, the lock is held). */
        TIMED_OUT,
        /** Not acquired: an earlier owner died and the lock was released without repair. */
        NOT_RECOVERABLE
    }

    private final MemorySegment s;
    private final long owner;
    private final long ownerThread;
    private final long holds;
    private final long ownerDied;
    private final long waiters;
    private final long wakeSeq;
    private final MemorySegment wakeWord;
    private volatile long nextTryLivenessCheck = System.nanoTime();

    /** Views the block at {@code base} of {@code s} (zero-filled memory is a released mutex). */
    public RobustMutex(MemorySegment s, long base) {
        this.s = s;
        this.owner = base + MutexLayout.OWNER;
        this.ownerThread = base + MutexLayout.OWNER_THREAD;
        this.holds = base + MutexLayout.HOLDS;
        this.ownerDied = base + MutexLayout.OWNER_DIED;
        this.waiters = base + MutexLayout.WAITERS;
        this.wakeSeq = base + MutexLayout.WAKE_SEQ;
        this.wakeWord = s.asSlice(wakeSeq, 4);
    }

    /*
     * Algorithm. owner: 0 free, a ProcessToken, or NOT_RECOVERABLE. Acquire = CAS 0 -> token,
     * then (plain/opaque, owner-only) ownerThread and holds. Contended: spin re-trying the CAS,
     * then register in waiters and sleep on wakeSeq in slices; every LIVENESS_INTERVAL check
     * whether the owner's process is alive, and on proof of death CAS owner dead -> self and set
     * ownerDied. Release: if ownerDied is set the state was never repaired: store
     * NOT_RECOVERABLE and wake everyone; else clear ownerThread, CAS token -> 0, and bump wakeSeq
     * and wake one sleeper only if waiters > 0. See MutexLayout for the ordering argument.
     */

    /**
     * Tries once, without waiting. If the lock is held, and at most once per liveness interval
     * per instance, checks whether its owner is dead and takes over if so.
     */
    public Result tryAcquire() {
        long me = ProcessToken.self();
        long o = Words.longVolatile(s, owner);
        if (o == 0) {
            if (Words.casLong(s, owner, 0, me)) {
                return acquired(Result.ACQUIRED);
            }
            o = Words.longVolatile(s, owner);
        }
        if (o == MutexLayout.NOT_RECOVERABLE) {
            return Result.NOT_RECOVERABLE;
        }
        long now = System.nanoTime();
        if (o != 0 && now - nextTryLivenessCheck >= 0) {
            nextTryLivenessCheck = now + Waiting.LIVENESS_INTERVAL_NANOS;
            if (!ProcessToken.isAlive(o) && takeOver(o, me)) {
                return acquired(Result.OWNER_DIED);
            }
        }
        return Result.TIMED_OUT;
    }

    /**
     * Acquires, waiting at most {@code timeoutNanos} (negative: forever). Never returns
     * {@link Result#TIMED_OUT} before the timeout has elapsed. When not interruptible, an
     * interrupt is remembered and re-asserted on return.
     *
     * @throws InterruptedException if {@code interruptible} and the thread is interrupted before
     *     or while waiting (the lock is then not acquired)
     */
    public Result acquire(long timeoutNanos, boolean interruptible) throws InterruptedException {
        if (interruptible) {
            Waiting.checkInterrupt();
        }
        long me = ProcessToken.self();
        if (Words.casLong(s, owner, 0, me)) {
            return acquired(Result.ACQUIRED);
        }
        for (int i = 0; i < Waiting.SPINS; i++) {
            Thread.onSpinWait();
            long o = Words.longVolatile(s, owner);
            if (o == 0 && Words.casLong(s, owner, 0, me)) {
                return acquired(Result.ACQUIRED);
            }
            if (o == MutexLayout.NOT_RECOVERABLE) {
                return Result.NOT_RECOVERABLE;
            }
        }
        return sleepUntilAcquired(me, new Waiting.Deadline(timeoutNanos), interruptible);
    }

    private Result sleepUntilAcquired(long me, Waiting.Deadline d, boolean interruptible)
            throws InterruptedException {
        d.livenessCheckDue(); // the first check comes one interval after the wait begins
        boolean interrupted = false;
        Words.getAndAddInt(s, waiters, 1);
        try {
            for (;;) {
                int seq = Words.intVolatile(s, wakeSeq);
                long o = Words.longVolatile(s, owner);
                if (o == 0) {
                    if (Words.casLong(s, owner, 0, me)) {
                        return acquired(Result.ACQUIRED);
                    }
                    continue;
                }
                if (o == MutexLayout.NOT_RECOVERABLE) {
                    return Result.NOT_RECOVERABLE;
                }
                if (d.livenessCheckDue() && !ProcessToken.isAlive(o)) {
                    if (takeOver(o, me)) {
                        return acquired(Result.OWNER_DIED);
                    }
                    continue;
                }
                if (d.expired()) {
                    return Result.TIMED_OUT;
                }
                Waiting.sleep(wakeWord, seq, d.remaining());
                if (Thread.interrupted()) {
                    if (interruptible) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
            }
        } finally {
            Words.getAndAddInt(s, waiters, -1);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean takeOver(long dead, long me) {
        if (Words.casLong(s, owner, dead, me)) {
            Words.setIntVolatile(s, ownerDied, 1);
            return true;
        }
        return false;
    }

    private Result acquired(Result r) {
        Words.setLongOpaque(s, ownerThread, Thread.currentThread().threadId());
        Words.setIntPlain(s, holds, 1);
        return r;
    }

    /**
     * Releases a mutex whose owner word is {@code expectedOwner}. If the owner died and the state
     * was not marked consistent, the mutex becomes not recoverable instead.
     *
     * @return {@code false} if the owner word was not {@code expectedOwner} (nothing changed)
     */
    public boolean release(long expectedOwner) {
        if (Words.longVolatile(s, owner) != expectedOwner) {
            return false;
        }
        if (Words.intVolatile(s, ownerDied) != 0) {
            Words.setLongOpaque(s, ownerThread, 0);
            if (!Words.casLong(s, owner, expectedOwner, MutexLayout.NOT_RECOVERABLE)) {
                return false;
            }
            Words.getAndAddInt(s, wakeSeq, 1);
            Waiting.wake(wakeWord, Integer.MAX_VALUE);
            return true;
        }
        Words.setLongOpaque(s, ownerThread, 0);
        if (!Words.casLong(s, owner, expectedOwner, 0)) {
            return false;
        }
        if (Words.intVolatile(s, waiters) > 0) {
            Words.getAndAddInt(s, wakeSeq, 1);
            Waiting.wake(wakeWord, 1);
        }
        return true;
    }

    /** {@return the owner word: 0, a {@link ProcessToken}, or {@link MutexLayout#NOT_RECOVERABLE}} */
    public long owner() {
        return Words.longVolatile(s, owner);
    }

    /** {@return whether the calling thread of this process holds the mutex} */
    public boolean heldByCurrentThread() {
        return Words.longVolatile(s, owner) == ProcessToken.self()
                && Words.longOpaque(s, ownerThread) == Thread.currentThread().threadId();
    }

    /** {@return the hold count; meaningful to the owner only} */
    public int holds() {
        return Words.intPlain(s, holds);
    }

    /** Sets the hold count; owner only. */
    public void setHolds(int n) {
        Words.setIntPlain(s, holds, n);
    }

    /** {@return whether an owner died and the state was not yet marked consistent} */
    public boolean ownerDied() {
        return Words.intVolatile(s, ownerDied) != 0
                || Words.longVolatile(s, owner) == MutexLayout.NOT_RECOVERABLE;
    }

    /** Clears the owner-died flag; owner only. */
    public void markConsistent() {
        Words.setIntVolatile(s, ownerDied, 0);
    }
}
