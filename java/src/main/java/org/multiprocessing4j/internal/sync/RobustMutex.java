package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;
import org.multiprocessing4j.internal.Logs;
import org.multiprocessing4j.internal.jfr.LockOwnerDiedEvent;
import org.multiprocessing4j.internal.jfr.SyncWaitEvent;

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

    private static final long TAKING = MutexLayout.TAKING;
    private static final long NOT_RECOVERABLE = MutexLayout.NOT_RECOVERABLE;

    private final MemorySegment s;
    private final long owner;
    private final long ownerThread;
    private final long holds;
    private final long ownerDied;
    private final long waiters;
    private final long wakeSeq;
    private final WaitWord wakeWord;
    private final LongPredicate alive;
    /** For the take-over event: the holder's kind and name (null if anonymous). */
    private final String kind;
    private final String name;
    /**
     * Two-step transitions (take-overs, foreign releases) of this instance in flight, in bits
     * 0..30; bit 31 once {@link #close()} began. See "Closing" in the algorithm comment.
     */
    private final AtomicInteger transitions = new AtomicInteger();
    private volatile long nextTryLivenessCheck = System.nanoTime();
    /** Test hook: runs in a take-over between the CAS of the owner word and its publication. */
    volatile Runnable takeOverProbe;

    /**
     * Views the block at {@code base} of {@code s} (zero-filled memory is a released mutex).
     *
     * @param alive whether the process a token names may be alive ({@code false} only on proof
     *     of death; normally {@link LivenessMark#isAlive} of the region's mark, which the caller
     *     holds for as long as it uses this mutex)
     */
    public RobustMutex(MemorySegment s, long base, LongPredicate alive) {
        this(s, base, alive, "lock", null);
    }

    /**
     * As {@link #RobustMutex(MemorySegment, long, LongPredicate)}, naming the object that holds
     * the mutex for the take-over event ({@code LockOwnerDiedEvent}).
     *
     * @param kind what holds the mutex, as {@code SyncRegion.Kind} says it
     * @param name the region's name, or null if anonymous
     */
    public RobustMutex(MemorySegment s, long base, LongPredicate alive, String kind, String name) {
        this.kind = kind;
        this.name = name;
        this.s = s;
        this.alive = alive;
        this.owner = base + MutexLayout.OWNER_OFFSET;
        this.ownerThread = base + MutexLayout.OWNER_THREAD_OFFSET;
        this.holds = base + MutexLayout.HOLDS_OFFSET;
        this.ownerDied = base + MutexLayout.OWNER_DIED_OFFSET;
        this.waiters = base + MutexLayout.WAITERS_OFFSET;
        this.wakeSeq = base + MutexLayout.WAKE_SEQ_OFFSET;
        this.wakeWord = WaitWord.of(s, wakeSeq);
    }

    /*
     * Algorithm. owner: 0 free, a ProcessToken, token|TAKING (a two-step transition in progress),
     * or NOT_RECOVERABLE. Acquire = CAS 0 -> token, then (opaque/plain, owner-only) ownerThread
     * and holds (the fast path below leaves holds to SharedReentrantLock). Contended: spin re-trying the CAS, then register in waiters and sleep on wakeSeq
     * in slices; every LIVENESS_INTERVAL (and once more before giving up on a timeout, so that
     * even tryLock(0) notices a dead owner) check whether the holder's process is alive, and on
     * proof of death take over in two steps: CAS owner dead -> me|TAKING, write ownerDied = 1,
     * ownerThread, holds, then volatile-store owner = me. Release of one's own process's hold:
     * CAS ownerThread observed -> 0, then CAS owner me -> 0 (or -> NOT_RECOVERABLE if ownerDied is
     * set: the state was never repaired, and everyone is woken); bump wakeSeq and wake one sleeper
     * only if waiters > 0. The record is cleared with an opaque store, not a CAS: see "Fast paths". Release on behalf of another process (SharedLock's any-thread unlock):
     * the same two steps as a take-over, ending in a volatile store of 0 / NOT_RECOVERABLE. A
     * waiter that leaves without the mutex (timeout, interrupt) passes a wake-up on if the mutex
     * is free and others sleep, since the wake-up it consumed may have been meant for them. See
     * MutexLayout for the ordering argument.
     *
     * Closing. While a two-step transition is half done the owner word is me|TAKING, which no
     * other thread of this process can finish (to them this process is alive, so they wait) and
     * no other process may finish while this one has a liveness mark on the region. If the
     * mapping were unmapped under the transition (close() of the object in another thread), its
     * remaining stores would fail and the word would stay me|TAKING for good: every acquirer
     * and releaser of every process would wait forever. So each transition registers in
     * `transitions` before its CAS to TAKING and leaves after its publication, and close() sets
     * bit 31 and waits until no transition is in flight before the caller unmaps; one that
     * registers after bit 31 is set does not start (its CAS is never made). Both sides use one
     * atomic word, so either the transition sees the bit or close sees the transition. Only the
     * TAKING transitions are guarded: a plain acquire or an own release cut short by an unmap
     * leaves a word that names this process without TAKING, which another object of this
     * process can release, and which the other processes take over once this process has no
     * liveness mark left on the region.
     *
     * Fast paths. An uncontended lock() + unlock() is tryAcquireFree (CAS owner 0 -> me; opaque
     * store of ownerThread) and releaseOwn (volatile read of owner == me; opaque store
     * ownerThread = 0; volatile read of ownerDied; CAS owner me -> 0; volatile read of waiters):
     * two atomic read-modify-writes, as ReentrantLock's CAS and volatile store. Each is a small
     * method whose slow path (spin, sleep, take-over, another process's hold, wake-up) is a
     * separate method, so that C2 inlines the fast path into the caller whatever order it
     * compiles things in: with the slow path inside, whether releaseAny was inlined depended on
     * whether C2 had already compiled it on its own ("already compiled into a big method"), and
     * the uncontended cost swung with it from run to run. Nothing of the crash-safety argument
     * is on the fast path: liveness is checked only by waiters, the TAKING transitions are not
     * involved, and a process that dies anywhere in it leaves an owner word that names it (or 0)
     * and that the next waiter takes over or acquires.
     *
     * Ordering of the fast paths. Acquire: the CAS is volatile, so the holder's later accesses
     * to the protected memory cannot move before it. Release: the opaque store of ownerThread
     * and everything written under the lock precede the releasing CAS, which is volatile (on
     * ARMv8 a release in itself; on x86 a locked instruction), so the next acquirer, whose CAS
     * reads the released word, sees them; the Dekker pair with a sleeper (releaser: CAS owner,
     * then read waiters; waiter: getAndAdd waiters, then read wakeSeq and owner) is made of
     * sequentially consistent accesses on both sides, as before. ownerDied needs no stronger
     * read: it is written only by a take-over (whose publication of owner the holder's acquiring
     * CAS read) and by markConsistent of the holder itself.
     *
     * Why the release clears the record with a store where it used to compare-and-set it: a CAS
     * from the value observed protected the record of a third thread only in one interleaving of
     * a caller's double unlock (two unlocks of one hold, which SharedLock allows from any
     * thread of any process, racing each other: one of them then throws
     * IllegalMonitorStateException); a single thread that locks and unlocks, or threads whose
     * unlock is ordered after the lock it undoes, never meet another writer of the record while
     * the owner word names their process (plain acquirers write it only after their CAS from 0,
     * take-overs only when this process is dead, foreign releases only through the TAKING word
     * that makes this release's CAS fail). The CAS cost a locked instruction per unlock.
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
        if (o == NOT_RECOVERABLE) {
            return Result.NOT_RECOVERABLE;
        }
        long now = System.nanoTime();
        if (o != 0 && now - nextTryLivenessCheck >= 0) {
            nextTryLivenessCheck = now + Waiting.LIVENESS_INTERVAL_NANOS;
            if (!alive.test(MutexLayout.holder(o)) && takeOver(o, me)) {
                return Result.OWNER_DIED;
            }
        }
        return Result.TIMED_OUT;
    }

    /**
     * The uncontended acquisition: one compare-and-set of the owner word from free to this
     * process, then the thread record; the hold count is left as it is (a {@code SharedLock} has
     * none; {@code SharedReentrantLock} sets it to 1 itself). Never waits, never checks liveness,
     * never throws; the locks' {@code lock()} calls it first and falls back to {@link #acquire}
     * when it fails. Kept this small so that it is inlined into the caller (see "Fast paths" in
     * the algorithm comment).
     *
     * @return whether the mutex was free and is now held by the calling thread
     */
    public boolean tryAcquireFree() {
        if (Words.casLong(s, owner, 0, ProcessToken.self())) {
            Words.setLongOpaque(s, ownerThread, Thread.currentThread().threadId());
            return true;
        }
        return false;
    }

    /**
     * Acquires, waiting at most {@code timeoutNanos} (negative: forever). Never returns
     * {@link Result#TIMED_OUT} before the timeout has elapsed, nor without having checked at
     * least once whether the holder is alive. When not interruptible, an interrupt is remembered
     * and re-asserted on return.
     *
     * @throws InterruptedException if {@code interruptible} and the thread is interrupted before
     *     or while waiting (the lock is then not acquired)
     */
    public Result acquire(long timeoutNanos, boolean interruptible) throws InterruptedException {
        if (interruptible) {
            Waiting.checkInterrupt();
        }
        if (Words.casLong(s, owner, 0, ProcessToken.self())) {
            return acquired(Result.ACQUIRED);
        }
        return acquireContended(timeoutNanos, interruptible);
    }

    /** {@link #acquire}'s spin and sleep, out of line so that the fast path stays small. */
    private Result acquireContended(long timeoutNanos, boolean interruptible)
            throws InterruptedException {
        long me = ProcessToken.self();
        Waiting.Spin spin = new Waiting.Spin(timeoutNanos);
        while (spin.next()) {
            long o = Words.longVolatile(s, owner);
            if (o == 0 && Words.casLong(s, owner, 0, me)) {
                return acquired(Result.ACQUIRED);
            }
            if (o == NOT_RECOVERABLE) {
                return Result.NOT_RECOVERABLE;
            }
        }
        SyncWaitEvent event = SyncWaitEvent.started();
        Result r = null;
        try {
            return r = sleepUntilAcquired(me, new Waiting.Deadline(timeoutNanos), interruptible);
        } finally {
            SyncWaitEvent.finish(event, kind, name, "lock", r == Result.TIMED_OUT);
        }
    }

    private Result sleepUntilAcquired(long me, Waiting.Deadline d, boolean interruptible)
            throws InterruptedException {
        d.livenessCheckDue(); // the first periodic check comes one interval after the wait begins
        boolean checked = false;
        boolean interrupted = false;
        boolean got = false;
        Words.getAndAddInt(s, waiters, 1);
        try {
            for (;;) {
                int seq = Words.intVolatile(s, wakeSeq);
                long o = Words.longVolatile(s, owner);
                if (o == 0) {
                    if (Words.casLong(s, owner, 0, me)) {
                        got = true;
                        return acquired(Result.ACQUIRED);
                    }
                    continue;
                }
                if (o == NOT_RECOVERABLE) {
                    return Result.NOT_RECOVERABLE;
                }
                boolean expired = d.expired();
                if (d.livenessCheckDue() || (expired && !checked)) {
                    checked = true;
                    if (!alive.test(MutexLayout.holder(o))) {
                        if (takeOver(o, me)) {
                            got = true;
                            return Result.OWNER_DIED;
                        }
                        continue;
                    }
                }
                if (expired) {
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
            int others = Words.getAndAddInt(s, waiters, -1) - 1;
            if (!got && others > 0 && Words.longVolatile(s, owner) == 0) {
                wakeOne(); // the wake-up we consumed may have been meant for another sleeper
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Two-step take-over from a dead holder whose owner word is {@code dead}; see MutexLayout.
     * {@code false} if the word changed meanwhile, or if this instance is closing.
     */
    private boolean takeOver(long dead, long me) {
        if (!enterTransition()) {
            return false;
        }
        try {
            if (!Words.casLong(s, owner, dead, me | TAKING)) {
                return false;
            }
            Runnable probe = takeOverProbe;
            if (probe != null) {
                probe.run();
            }
            Words.setIntVolatile(s, ownerDied, 1);
            Words.setLongOpaque(s, ownerThread, Thread.currentThread().threadId());
            Words.setIntPlain(s, holds, 1);
            Words.setLongVolatile(s, owner, me); // publication: ownerDied, record visible
            if (LockOwnerDiedEvent.PROBE.isEnabled()) {
                LockOwnerDiedEvent event = new LockOwnerDiedEvent();
                event.kind = kind;
                event.name = name;
                event.deadPid = ProcessToken.pid(dead);
                event.commit();
            }
        } finally {
            exitTransition();
        }
        // after the transition: a slow log handler must not hold up close(); and a handler that
        // throws must not turn a take-over that happened into one the caller is told failed
        try {
            Logs.of(kind).log(System.Logger.Level.WARNING, () -> kind + (name != null ? " " + name : "")
                    + ": its holder, process " + ProcessToken.pid(dead) + ", died; taken over by thread "
                    + Thread.currentThread().getName() + " of process " + ProcessToken.pid(me)
                    + ", which sees it inconsistent until markConsistent()");
        } catch (RuntimeException logFailed) {
            // the lock is held either way
        }
        return true;
    }

    private boolean enterTransition() {
        if (transitions.getAndIncrement() < 0) { // bit 31: closing
            transitions.getAndDecrement();
            return false;
        }
        return true;
    }

    private void exitTransition() {
        transitions.getAndDecrement();
    }

    /**
     * Prepares for the unmapping of the mutex's memory: from now on this instance starts no
     * take-over and no release on behalf of another process, and this call returns only once
     * those in flight (a few stores each) have finished, so that no owner word is left half done
     * ({@code TAKING}) by this live process. Idempotent; thread-safe. Waits without bound only
     * for the stores of transitions already begun.
     */
    public void close() {
        for (;;) {
            int t = transitions.get();
            if (t < 0 || transitions.compareAndSet(t, t | Integer.MIN_VALUE)) {
                break;
            }
        }
        Waiting.Spin spin = new Waiting.Spin(-1);
        while ((transitions.get() & Integer.MAX_VALUE) != 0) {
            Waiting.pause(spin);
        }
    }

    /**
     * Undoes {@link #close()} when the memory could not be unmapped after all (the caller keeps
     * the object open): transitions may start again.
     */
    public void reopen() {
        for (;;) {
            int t = transitions.get();
            if (t >= 0 || transitions.compareAndSet(t, t & Integer.MAX_VALUE)) {
                return;
            }
        }
    }

    private Result acquired(Result r) {
        Words.setLongOpaque(s, ownerThread, Thread.currentThread().threadId());
        Words.setIntPlain(s, holds, 1);
        return r;
    }

    /**
     * Releases a mutex whose owner word is {@code expectedOwner} (this process's token, or, for
     * a release on behalf of another process, that process's token). If the owner died and the
     * state was not marked consistent, the mutex becomes not recoverable instead.
     *
     * @return {@code false} if the owner word was not {@code expectedOwner} or changed meanwhile,
     *     or if this instance is closing and the release is on behalf of another process
     *     (nothing changed then)
     */
    public boolean release(long expectedOwner) {
        long me = ProcessToken.self();
        if (expectedOwner == me) {
            return releaseOwn();
        }
        if (expectedOwner == 0 || expectedOwner == NOT_RECOVERABLE) {
            return false;
        }
        return releaseForeign(expectedOwner, me);
    }

    /**
     * Releases a hold of this process (whichever of its threads acquired it): clears the thread
     * record, then one compare-and-set of the owner word from this process to free (or to not
     * recoverable if the owner died and the state was not marked consistent); wakes a sleeper
     * only if one is registered. The locks' {@code unlock()} calls it directly; kept this small
     * so that it is inlined (see "Fast paths" in the algorithm comment).
     *
     * @return {@code false} if the owner word does not name this process, or changed meanwhile
     *     (a release on this process's behalf by another process; nothing of the owner word
     *     changed then)
     */
    public boolean releaseOwn() {
        return Words.longVolatile(s, owner) == ProcessToken.self() && releaseHeld();
    }

    /**
     * {@link #releaseOwn()} for a caller that has just seen the owner word name this process
     * ({@link #heldByCurrentThread()}), so that it is not read again.
     *
     * @return {@code false} if the owner word no longer names this process (nothing of it
     *     changed then)
     */
    public boolean releaseHeld() {
        long me = ProcessToken.self();
        Words.setLongOpaque(s, ownerThread, 0);
        boolean died = Words.intVolatile(s, ownerDied) != 0;
        if (!Words.casLong(s, owner, me, died ? NOT_RECOVERABLE : 0)) {
            return false;
        }
        if (died || Words.intVolatile(s, waiters) > 0) {
            wakeAfterRelease(died);
        }
        return true;
    }

    /** The two-step release of another process's hold (see MutexLayout). */
    private boolean releaseForeign(long expectedOwner, long me) {
        if (!enterTransition()) {
            return false;
        }
        boolean died;
        try {
            if (!Words.casLong(s, owner, expectedOwner, me | TAKING)) {
                return false;
            }
            // A TAKING word of a dead process: it was either taking over or releasing; cannot tell.
            died = Words.intVolatile(s, ownerDied) != 0 || (expectedOwner & TAKING) != 0;
            Words.setLongOpaque(s, ownerThread, 0);
            Words.setIntPlain(s, holds, 0);
            Words.setLongVolatile(s, owner, died ? NOT_RECOVERABLE : 0);
        } finally {
            exitTransition();
        }
        wakeAfterRelease(died);
        return true;
    }

    /**
     * Releases the mutex whoever holds it ({@code SharedLock}'s Python semantics). Waits for a
     * take-over or foreign release in progress (a few stores) to finish, unless the process doing
     * it died.
     *
     * @return {@code false} if the mutex is not held (free or not recoverable)
     */
    public boolean releaseAny() {
        return releaseOwn() || releaseAnyOther();
    }

    /** {@link #releaseAny}'s general case, out of line: another process's hold, or a race. */
    private boolean releaseAnyOther() {
        Waiting.Deadline d = null;
        Waiting.Spin spin = new Waiting.Spin(-1);
        boolean spinning = true;
        for (;;) {
            long o = Words.longVolatile(s, owner);
            if (o == 0 || o == NOT_RECOVERABLE) {
                return false;
            }
            if ((o & TAKING) != 0) {
                if (spinning && (spinning = spin.next())) {
                    continue;
                }
                if (d == null) {
                    d = new Waiting.Deadline(-1);
                    d.livenessCheckDue(); // first check one interval from now
                }
                if (!d.livenessCheckDue() || alive.test(MutexLayout.holder(o))) {
                    LockSupport.parkNanos(Waiting.VIRTUAL_PARK_NANOS);
                    continue;
                }
            }
            if (release(o)) {
                return true;
            }
        }
    }

    private void wakeAfterRelease(boolean died) {
        if (died) {
            Words.getAndAddInt(s, wakeSeq, 1);
            Waiting.wake(wakeWord, Integer.MAX_VALUE);
        } else if (Words.intVolatile(s, waiters) > 0) {
            wakeOne();
        }
    }

    private void wakeOne() {
        Words.getAndAddInt(s, wakeSeq, 1);
        Waiting.wake(wakeWord, 1);
    }

    /**
     * {@return the owner word: 0, a {@link ProcessToken} (possibly with
     * {@link MutexLayout#TAKING}), or {@link MutexLayout#NOT_RECOVERABLE}}
     */
    public long owner() {
        return Words.longVolatile(s, owner);
    }

    /** {@return whether the calling thread of this process holds the mutex} */
    public boolean heldByCurrentThread() {
        return Words.longVolatile(s, owner) == ProcessToken.self()
                && Words.longOpaque(s, ownerThread) == Thread.currentThread().threadId();
    }

    /**
     * {@return whether the mutex is held by a process that is proven dead} A system call: call
     * it at most once per liveness interval.
     */
    public boolean holderProvenDead() {
        long o = Words.longVolatile(s, owner);
        return o != 0 && o != NOT_RECOVERABLE && !alive.test(MutexLayout.holder(o));
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
                || Words.longVolatile(s, owner) == NOT_RECOVERABLE;
    }

    /** Clears the owner-died flag; owner only. */
    public void markConsistent() {
        Words.setIntVolatile(s, ownerDied, 0);
    }
}
