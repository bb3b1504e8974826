package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.multiprocessing4j.internal.sync.BarrierLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.internal.sync.RobustMutex;
import org.multiprocessing4j.internal.jfr.SyncWaitEvent;
import org.multiprocessing4j.internal.sync.SyncRegion;
import org.multiprocessing4j.internal.sync.WaitWord;
import org.multiprocessing4j.internal.sync.Waiting;
import org.multiprocessing4j.internal.sync.Words;

/**
 * A cyclic barrier shared between processes (Python's {@code multiprocessing.Barrier}, with
 * {@link java.util.concurrent.CyclicBarrier}'s Java shape): {@code parties} threads, in any
 * processes, wait in {@link #await()} until all have arrived; then all are released together
 * and the barrier is ready for the next round (generation).
 *
 * <h2>Action, broken state</h2>
 * The optional action runs once per generation in the last arriving thread, before the others
 * are released. The barrier <em>breaks</em> — every thread waiting in the generation gets
 * {@link BrokenBarrierException}, and so does every later {@code await} until {@link #reset()}
 * — when a waiter times out ({@link TimeoutException} for that one) or is interrupted
 * ({@link InterruptedException} for that one), when the action throws (that exception for the
 * last thread), on {@link #abort()}, or when another process dies (below).
 *
 * <h2>When another process dies</h2>
 * Each waiting party's process is recorded in shared memory. Waiters check, every 5 ms, whether
 * the processes of the other waiting parties are alive (by a lock the kernel keeps on the
 * barrier's memory for every process that has it open, never by pid: see {@link SharedLock}; a
 * process that closed its last view of the barrier counts as dead); on proof that one died they
 * break the barrier, so nobody waits for a party that can never leave. A party that dies before it
 * arrives cannot be told from a slow one: waiters then wait for it (use a timeout). If a process
 * dies while holding the barrier's short internal lock — for instance the last party, while it
 * runs the action — waiters notice it the same way, and the next thread to take that lock breaks
 * the barrier.
 *
 * <h2>The action and this barrier</h2>
 * The action runs while the barrier's internal lock is held: calling {@link #await()},
 * {@link #abort()} or {@link #reset()} on the same barrier from the action throws
 * {@link IllegalStateException} (which, like any exception of the action, breaks the barrier)
 * instead of deadlocking.
 *
 * <h2>Blocking, timeouts, sharing, lifetime</h2>
 * Waiting spins briefly, then sleeps on a wait word (virtual threads park in slices of at most
 * 250 µs); timeouts are never early; interruption is noticed within 5 ms. Actions before
 * {@code await} in any party happen-before actions after it returns in every party. A task that
 * captures the barrier carries it, with its action, to the child. {@link #close()} unmaps this
 * process's view; afterwards every method throws {@link IllegalStateException}. Thread-safe.
 */
public final class SharedBarrier implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 2L;

    /**
     * The region: its memory, header, liveness mark, internal robust mutex and closed state; the
     * serial form (an inherited handle when a task captures the barrier, see
     * {@code SyncRegion}).
     */
    private final SyncRegion region;
    /** The action run by the last party to arrive, or null. */
    private final Task action;
    private final transient MemorySegment s;
    private final transient WaitWord genWord;
    private final transient RobustMutex mutex;
    private final transient int parties;

    /**
     * Builds the barrier on a created or attached region.
     *
     * @throws IllegalStateException if the header's parties and layout size disagree
     */
    private SharedBarrier(SyncRegion region, Task action) {
        this.region = region;
        this.action = action;
        this.s = region.segment();
        this.parties = Words.intPlain(s, BarrierLayout.PARTIES_OFFSET);
        if (parties < 1 || parties > BarrierLayout.MAX_PARTIES
                || region.size() != BarrierLayout.size(parties)) {
            throw new IllegalStateException("SharedBarrier: the header records " + parties
                    + " parties in a layout of " + region.size() + " bytes");
        }
        this.genWord = WaitWord.of(s, BarrierLayout.GEN_OFFSET);
        this.mutex = region.mutex();
    }

    /** Writes the configuration of a new barrier, before its header is published. */
    private static Consumer<MemorySegment> init(int parties) {
        return s -> Words.setIntPlain(s, BarrierLayout.PARTIES_OFFSET, parties);
    }

    /**
     * Creates a barrier for {@code parties} parties without an action.
     *
     * @param parties how many parties must arrive to trip it
     * @return the barrier; the caller closes it
     * @throws IllegalArgumentException if {@code parties < 1} or above 65536
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedBarrier create(int parties) throws IOException {
        return create(parties, null);
    }

    /**
     * Creates a barrier for {@code parties} parties under {@code name}, for unrelated processes
     * to {@link #open(String)}. A named barrier has no action: an action travels only with a
     * barrier captured by a task. The name stays until {@link #unlink()} or until this process
     * dies without unlinking it.
     *
     * @param name the name, as for {@link SharedMemory#create(String, long)}
     * @param parties how many parties trip it, 1 to 65536
     * @return the barrier
     * @throws IllegalArgumentException if {@code parties} is out of range
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedBarrier create(String name, int parties) throws IOException {
        if (parties < 1 || parties > BarrierLayout.MAX_PARTIES) {
            throw new IllegalArgumentException("parties must be 1.." + BarrierLayout.MAX_PARTIES
                    + ", got " + parties);
        }
        return SyncRegion.create(SyncRegion.Kind.BARRIER, name, BarrierLayout.size(parties),
                init(parties), r -> new SharedBarrier(r, null));
    }

    /**
     * Opens a barrier that another process created with {@link #create(String, int)}.
     *
     * @param name the name
     * @return a handle on the same barrier
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds something too small or never initialized
     * @throws IllegalStateException if the name holds another kind of region or layout version
     */
    public static SharedBarrier open(String name) throws IOException {
        return SyncRegion.open(SyncRegion.Kind.BARRIER, name, r -> new SharedBarrier(r, null));
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
     * Creates a barrier for {@code parties} parties whose {@code action} (may be null) runs in
     * the last thread to arrive, before the others are released. The action is serializable so
     * that it travels with the barrier to child processes.
     *
     * @param parties how many parties must arrive to trip it
     * @param action what the last party to arrive runs, or null
     * @return the barrier; the caller closes it
     * @throws IllegalArgumentException if {@code parties < 1} or above 65536
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedBarrier create(int parties, Task action) throws IOException {
        if (parties < 1 || parties > BarrierLayout.MAX_PARTIES) {
            throw new IllegalArgumentException("parties must be 1.." + BarrierLayout.MAX_PARTIES
                    + ", got " + parties);
        }
        return SyncRegion.anonymous(SyncRegion.Kind.BARRIER, BarrierLayout.size(parties),
                init(parties), r -> new SharedBarrier(r, action));
    }

    /**
     * Waits until all parties have arrived.
     *
     * @return the arrival index: {@code parties() - 1} for the first to arrive, 0 for the last
     * @throws InterruptedException if interrupted before or while waiting (the barrier breaks)
     * @throws BrokenBarrierException if the barrier is or becomes broken while waiting; also if
     *     the action throws a checked exception (then its cause); also (the barrier itself is
     *     then not broken) in the unlikely case that this waiter could not run while 64 or more
     *     further generations ended, so that its own generation's outcome is no longer known
     * @throws IllegalStateException if closed, or if called from this barrier's action
     */
    public int await() throws InterruptedException, BrokenBarrierException {
        try {
            return await0(-1);
        } catch (TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Waits until all parties have arrived or {@code time} elapsed; never gives up early. As with
     * {@link java.util.concurrent.CyclicBarrier}, a generation that ended before the timeout
     * took effect wins: if it tripped, the index is returned; if it broke — also when it is this
     * waiter, taking the internal lock to break the barrier on its timeout, that finds the lock's
     * holder dead and breaks it for that reason — {@link BrokenBarrierException} is thrown.
     *
     * @param time the longest wait
     * @param unit the unit of {@code time}
     * @return the arrival index, as {@link #await()}
     * @throws TimeoutException if the time elapsed (the barrier breaks)
     * @throws InterruptedException if interrupted before or while waiting (the barrier breaks)
     * @throws BrokenBarrierException if the barrier is or becomes broken while waiting
     * @throws IllegalStateException if closed
     */
    public int await(long time, TimeUnit unit)
            throws InterruptedException, BrokenBarrierException, TimeoutException {
        return await0(Math.max(0, unit.toNanos(time)));
    }

    /**
     * Breaks the barrier (Python's {@code abort()}): current waiters and later callers get
     * {@link BrokenBarrierException} until {@link #reset()}. Never waits for other parties.
     *
     * @throws IllegalStateException if closed, or if called from this barrier's action
     */
    public void abort() {
        lockMutex();
        try {
            breakLocked();
        } finally {
            mutex.release(ProcessToken.self());
        }
    }

    /**
     * Returns the barrier to its initial state: current waiters get
     * {@link BrokenBarrierException}, the broken state is cleared.
     *
     * @throws IllegalStateException if closed, or if called from this barrier's action
     */
    public void reset() {
        lockMutex();
        try {
            if (Words.intVolatile(s, BarrierLayout.COUNT_OFFSET) > 0) {
                endGeneration(true);
            }
            Words.setIntVolatile(s, BarrierLayout.BROKEN_OFFSET, 0);
        } finally {
            mutex.release(ProcessToken.self());
        }
    }

    /** {@return whether the barrier is broken} @throws IllegalStateException if closed */
    public boolean isBroken() {
        return Words.intVolatile(seg(), BarrierLayout.BROKEN_OFFSET) != 0;
    }

    /** {@return the number of parties} */
    public int parties() {
        return parties;
    }

    /** {@return how many parties wait now} @throws IllegalStateException if closed */
    public int numberWaiting() {
        return Words.intVolatile(seg(), BarrierLayout.COUNT_OFFSET);
    }

    /**
     * Unmaps this process's view; idempotent. Afterwards every method of this object throws
     * {@link IllegalStateException}; so does a thread of this process still waiting in
     * {@code await}, at its next access to the barrier's memory (within 5 ms).
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the barrier's memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    @Override
    public void close() {
        region.close();
    }

    /*
     * Algorithm: arrival, trip and break happen under the robust mutex. An arriving party
     * records its ProcessToken in slot[count] and count++; the last one runs the action and ends
     * the generation (history bit clear, gen+1, wake all). Waiters sleep on gen; on a change they
     * read their generation's history bit, then re-read gen: if 64 or more generations ended
     * since theirs, the bit may belong to a later generation and the outcome is unknown. Every
     * 5 ms a waiter checks the tokens in the slots and the holder of the internal mutex (the last
     * party holds it, without a slot, while it runs the action); a dead one breaks the barrier
     * (history bit set, gen+1, broken = 1), the mutex's through the take-over in lockMutex().
     */
    private int await0(long timeoutNanos)
            throws InterruptedException, BrokenBarrierException, TimeoutException {
        SyncWaitEvent event = SyncWaitEvent.started();
        boolean timedOut = false;
        try {
            return awaitTrip(timeoutNanos);
        } catch (TimeoutException e) {
            timedOut = true;
            throw e;
        } finally {
            region.waitEnded(event, "await", timedOut);
        }
    }

    private int awaitTrip(long timeoutNanos)
            throws InterruptedException, BrokenBarrierException, TimeoutException {
        Waiting.Deadline d = new Waiting.Deadline(timeoutNanos);
        int g;
        int index;
        lockMutex();
        try {
            if (Words.intVolatile(s, BarrierLayout.BROKEN_OFFSET) != 0) {
                throw new BrokenBarrierException();
            }
            if (Thread.interrupted()) {
                breakLocked();
                throw new InterruptedException();
            }
            g = Words.intVolatile(s, BarrierLayout.GEN_OFFSET);
            index = Words.intVolatile(s, BarrierLayout.COUNT_OFFSET);
            if (index + 1 == parties) {
                runActionAndTrip();
                return 0;
            }
            Words.setLongVolatile(s, BarrierLayout.slot(index), ProcessToken.self());
            Words.setIntVolatile(s, BarrierLayout.COUNT_OFFSET, index + 1);
        } finally {
            mutex.release(ProcessToken.self());
        }
        int arrival = parties - 1 - index;
        d.livenessCheckDue(); // first check one interval after the wait begins
        Waiting.Spin spin = new Waiting.Spin(timeoutNanos);
        boolean spinning = true;
        for (;;) {
            if (Words.intVolatile(s, BarrierLayout.GEN_OFFSET) != g) {
                return outcome(g, arrival);
            }
            if (spinning && (spinning = spin.next())) {
                continue;
            }
            boolean timedOut = d.expired();
            boolean interrupted = Thread.interrupted();
            if (timedOut || interrupted || (d.livenessCheckDue() && aWaiterDied())) {
                lockMutex();
                try {
                    if (Words.intVolatile(s, BarrierLayout.GEN_OFFSET) == g) {
                        breakLocked();
                        if (interrupted) {
                            throw new InterruptedException();
                        }
                        if (timedOut) {
                            throw new TimeoutException();
                        }
                        throw new BrokenBarrierException();
                    }
                } finally {
                    mutex.release(ProcessToken.self());
                }
                if (interrupted) {
                    Thread.currentThread().interrupt(); // the generation ended meanwhile
                }
                return outcome(g, arrival);
            }
            Waiting.sleep(genWord, g, d.remaining());
        }
    }

    private int outcome(int g, int arrival) throws BrokenBarrierException {
        long history = Words.longVolatile(s, BarrierLayout.HISTORY_OFFSET);
        int genAfter = Words.intVolatile(s, BarrierLayout.GEN_OFFSET);
        return outcome(g, history, genAfter, arrival);
    }

    /**
     * The outcome of generation {@code g} from a {@code history} read before {@code genAfter}.
     * Generation g+64 reuses g's bit and writes it before it increments gen to g+65; so while
     * {@code genAfter - g < 64} the history read earlier still holds g's bit.
     */
    static int outcome(int g, long history, int genAfter, int arrival) throws BrokenBarrierException {
        if (genAfter - g >= 64) {
            throw new BrokenBarrierException("the outcome of this waiter's generation is unknown: "
                    + (genAfter - g) + " generations ended before it could read it");
        }
        if ((history & (1L << (g & 63))) != 0) {
            throw new BrokenBarrierException();
        }
        return arrival;
    }

    /** Whether the process of a waiting party, or of the internal mutex's holder, is dead. */
    private boolean aWaiterDied() {
        if (mutex.holderProvenDead()) {
            return true;
        }
        int n = Math.min(Words.intVolatile(s, BarrierLayout.COUNT_OFFSET), parties);
        for (int i = 0; i < n; i++) {
            long t = Words.longVolatile(s, BarrierLayout.slot(i));
            if (t != 0 && !region.isAlive(t)) {
                return true;
            }
        }
        return false;
    }

    private void runActionAndTrip() throws BrokenBarrierException {
        if (action != null) {
            try {
                action.run();
            } catch (RuntimeException | Error e) {
                breakLocked();
                throw e;
            } catch (Exception e) {
                breakLocked();
                BrokenBarrierException b = new BrokenBarrierException("the barrier action failed: " + e);
                b.initCause(e);
                throw b;
            }
        }
        endGeneration(false);
    }

    /** Under the mutex: ends the current generation as broken and marks the barrier broken. */
    private void breakLocked() {
        if (Words.intVolatile(s, BarrierLayout.BROKEN_OFFSET) == 0
                || Words.intVolatile(s, BarrierLayout.COUNT_OFFSET) > 0) {
            endGeneration(true);
        }
        Words.setIntVolatile(s, BarrierLayout.BROKEN_OFFSET, 1);
    }

    /** Under the mutex: records the outcome, clears the slots, bumps gen, wakes all waiters. */
    private void endGeneration(boolean broken) {
        int g = Words.intVolatile(s, BarrierLayout.GEN_OFFSET);
        long bit = 1L << (g & 63);
        long h = Words.longVolatile(s, BarrierLayout.HISTORY_OFFSET);
        Words.setLongVolatile(s, BarrierLayout.HISTORY_OFFSET, broken ? h | bit : h & ~bit);
        int n = Math.min(Words.intVolatile(s, BarrierLayout.COUNT_OFFSET), parties);
        for (int i = 0; i < n; i++) {
            Words.setLongVolatile(s, BarrierLayout.slot(i), 0);
        }
        Words.setIntVolatile(s, BarrierLayout.COUNT_OFFSET, 0);
        Words.setIntVolatile(s, BarrierLayout.GEN_OFFSET, g + 1);
        Waiting.wake(genWord, Integer.MAX_VALUE);
    }

    /**
     * Takes the internal mutex; if its holder died, breaks the barrier (state unknown).
     *
     * @throws IllegalStateException if the current thread holds it already (a call from the
     *     action): the mutex is not reentrant, and the caller would wait for itself forever
     */
    private void lockMutex() {
        seg();
        if (mutex.heldByCurrentThread()) {
            throw new IllegalStateException("SharedBarrier: await(), abort() and reset() cannot be"
                    + " called from the barrier's own action");
        }
        RobustMutex.Result r;
        try {
            r = mutex.acquire(-1, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (r == RobustMutex.Result.OWNER_DIED) {
            breakLocked();
            mutex.markConsistent();
        } else if (r != RobustMutex.Result.ACQUIRED) {
            throw new IllegalStateException("SharedBarrier: internal lock " + r);
        }
    }

    private MemorySegment seg() {
        return region.segment();
    }

    /**
     * Builds the barrier, with its action, on the region attached in the receiving process.
     *
     * @return this object's view in the receiving process
     * @throws ObjectStreamException if it cannot be built
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        return region.resolve(r -> new SharedBarrier(r, action));
    }

    @Override
    public String toString() {
        return region.describe(() -> "parties=" + parties + ", waiting=" + numberWaiting()
                + (isBroken() ? ", broken" : ""));
    }
}
