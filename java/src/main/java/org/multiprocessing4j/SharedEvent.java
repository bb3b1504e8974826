package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.internal.sync.EventLayout;
import org.multiprocessing4j.internal.jfr.SyncWaitEvent;
import org.multiprocessing4j.internal.sync.SyncRegion;
import org.multiprocessing4j.internal.sync.WaitWord;
import org.multiprocessing4j.internal.sync.Waiting;
import org.multiprocessing4j.internal.sync.Words;

/**
 * A flag shared between processes that threads can wait for (Python's
 * {@code multiprocessing.Event}): {@link #set()} wakes every waiter in every process,
 * {@link #clear()} resets it. As in Python, a waiter returns once the flag was set after it
 * started waiting, even if the flag was cleared again before the waiter could look at it.
 *
 * <h2>Blocking, timeouts, interruption</h2>
 * {@link #isSet()}, {@link #set()} and {@link #clear()} never block; {@code set()} makes a system
 * call only when some thread sleeps in {@code await}. {@link #await()} returns at once if the flag
 * is set, else spins briefly, then sleeps on the flag word (a virtual thread parks in
 * slices of at most 250 µs). Timeouts are never early. Interruption before or while waiting
 * throws {@link InterruptedException} (noticed within 5 ms).
 *
 * <h2>When another process dies</h2>
 * Nothing is owned: a dead setter simply never sets, a dead waiter simply stops waiting.
 *
 * <h2>Memory consistency, sharing, lifetime</h2>
 * Actions before {@code set()} happen-before actions after an {@code await} that returned
 * because of it, or an {@code isSet()} that saw the flag set, in any process. A task that
 * captures the event carries it to the child. {@link #close()} unmaps this process's view;
 * afterwards every method throws {@link IllegalStateException}. Thread-safe.
 */
public final class SharedEvent implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 2L;

    /**
     * The region: its memory, header and closed state; the serial form (an inherited handle
     * when a task captures the event, see {@code SyncRegion}).
     */
    private final SyncRegion region;
    private final transient MemorySegment s;
    private final transient WaitWord flagWord;

    private SharedEvent(SyncRegion region) {
        this.region = region;
        this.s = region.segment();
        this.flagWord = WaitWord.of(s, EventLayout.STATE_OFFSET);
    }

    /**
     * Creates an event, initially clear.
     *
     * @return the event; the caller closes it
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedEvent create() throws IOException {
        return SyncRegion.anonymous(SyncRegion.Kind.EVENT, EventLayout.SIZE, null,
                SharedEvent::new);
    }

    /**
     * Creates an event under {@code name}, for unrelated processes to {@link #open(String)}.
     * The name stays until {@link #unlink()} (or until this process dies without unlinking it:
     * its creator's tracker removes it then).
     *
     * @param name the name, as for {@link SharedMemory#create(String, long)}
     * @return the new primitive
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedEvent create(String name) throws IOException {
        return SyncRegion.create(SyncRegion.Kind.EVENT, name, EventLayout.SIZE, null,
                SharedEvent::new);
    }

    /**
     * Opens an event that another process created with {@code create(name, …)}.
     *
     * @param name the name
     * @return a handle on the same primitive
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the name holds something too small or never initialized
     * @throws IllegalStateException if the name holds another kind of region or layout version
     */
    public static SharedEvent open(String name) throws IOException {
        return SyncRegion.open(SyncRegion.Kind.EVENT, name, SharedEvent::new);
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

    /** {@return whether the flag is set} @throws IllegalStateException if closed */
    public boolean isSet() {
        return (Words.intVolatile(seg(), EventLayout.STATE_OFFSET) & EventLayout.FLAG_BIT) != 0;
    }

    /**
     * Sets the flag and wakes all waiters in all processes; a no-op if it is set already.
     *
     * @throws IllegalStateException if closed
     */
    public void set() {
        seg();
        for (;;) {
            int v = Words.intVolatile(s, EventLayout.STATE_OFFSET);
            if ((v & EventLayout.FLAG_BIT) != 0) {
                return;
            }
            if (Words.casInt(s, EventLayout.STATE_OFFSET, v,
                    (v + EventLayout.GENERATION_STEP) | EventLayout.FLAG_BIT)) {
                break;
            }
        }
        if (Words.intVolatile(s, EventLayout.WAITERS_OFFSET) > 0) {
            Waiting.wake(flagWord, Integer.MAX_VALUE);
        }
    }

    /**
     * Clears the flag. Threads that were waiting when a {@link #set()} happened return even if
     * the flag is cleared before they run.
     *
     * @throws IllegalStateException if closed
     */
    public void clear() {
        seg();
        for (;;) {
            int v = Words.intVolatile(s, EventLayout.STATE_OFFSET);
            if ((v & EventLayout.FLAG_BIT) == 0
                    || Words.casInt(s, EventLayout.STATE_OFFSET, v, v & ~EventLayout.FLAG_BIT)) {
                return;
            }
        }
    }

    /**
     * Waits until the flag is set, or was set (and maybe cleared again) since this call began.
     *
     * @throws InterruptedException if interrupted before or while waiting
     * @throws IllegalStateException if closed
     */
    public void await() throws InterruptedException {
        await0(-1);
    }

    /**
     * Waits until the flag is set, or was set since this call began, or {@code time} elapsed
     * (Python's {@code wait(timeout)}); never gives up early.
     *
     * @param time the longest wait
     * @param unit the unit of {@code time}
     * @return {@code true} if the flag was set before or during the wait (as Python: even if it
     *     was cleared again since), {@code false} if the time elapsed first
     * @throws InterruptedException if interrupted before or while waiting
     * @throws IllegalStateException if closed
     */
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        return await0(Math.max(0, unit.toNanos(time)));
    }

    /**
     * Unmaps this process's view; idempotent. Afterwards every method of this object throws
     * {@link IllegalStateException}; so does a thread of this process still waiting in
     * {@code await}, at its next access to the event's memory (within 5 ms).
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the event's memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    @Override
    public void close() {
        region.close();
    }

    private boolean await0(long timeoutNanos) throws InterruptedException {
        Waiting.checkInterrupt();
        int start = Words.intVolatile(seg(), EventLayout.STATE_OFFSET);
        if (setSince(start, start)) {
            return true;
        }
        Waiting.Spin spin = new Waiting.Spin(timeoutNanos);
        while (spin.next()) {
            if (setSince(start, Words.intVolatile(s, EventLayout.STATE_OFFSET))) {
                return true;
            }
        }
        Waiting.Deadline d = new Waiting.Deadline(timeoutNanos);
        SyncWaitEvent event = SyncWaitEvent.started();
        boolean timedOut = false;
        Words.getAndAddInt(s, EventLayout.WAITERS_OFFSET, 1);
        try {
            for (;;) {
                int v = Words.intVolatile(s, EventLayout.STATE_OFFSET);
                if (setSince(start, v)) {
                    return true;
                }
                if (d.expired()) {
                    timedOut = true;
                    return false;
                }
                Waiting.sleep(flagWord, v, d.remaining());
                Waiting.checkInterrupt();
            }
        } finally {
            Words.getAndAddInt(s, EventLayout.WAITERS_OFFSET, -1);
            region.waitEnded(event, "await", timedOut);
        }
    }

    /** Whether state {@code now} has the flag set or a generation other than {@code start}'s. */
    private static boolean setSince(int start, int now) {
        return (now & EventLayout.FLAG_BIT) != 0
                || (now & ~EventLayout.FLAG_BIT) != (start & ~EventLayout.FLAG_BIT);
    }

    private MemorySegment seg() {
        return region.segment();
    }

    /**
     * Builds the event on the region attached in the receiving process.
     *
     * @return this object's view in the receiving process
     * @throws ObjectStreamException if it cannot be built
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        return region.resolve(SharedEvent::new);
    }

    @Override
    public String toString() {
        return region.describe(() -> isSet() ? "set" : "clear");
    }
}
