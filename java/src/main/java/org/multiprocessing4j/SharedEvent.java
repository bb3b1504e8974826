package org.multiprocessing4j;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.internal.sync.EventLayout;
import org.multiprocessing4j.internal.sync.RegionHeader;
import org.multiprocessing4j.internal.sync.Waiting;
import org.multiprocessing4j.internal.sync.Words;

/**
 * A flag shared between processes that threads can wait for (Python's
 * {@code multiprocessing.Event}): {@link #set()} wakes every waiter in every process,
 * {@link #clear()} resets it.
 *
 * <h2>Blocking, timeouts, interruption</h2>
 * {@link #isSet()}, {@link #set()} and {@link #clear()} never block; {@code set()} makes a system
 * call only when some thread sleeps in {@code await}. {@link #await()} returns at once if the flag
 * is set, else spins briefly, then sleeps on the flag's futex word (a virtual thread parks in
 * slices of at most 250 µs). Timeouts are never early. Interruption before or while waiting
 * throws {@link InterruptedException} (noticed within 5 ms).
 *
 * <h2>When another process dies</h2>
 * Nothing is owned: a dead setter simply never sets, a dead waiter simply stops waiting.
 *
 * <h2>Memory consistency, sharing, lifetime</h2>
 * Actions before {@code set()} happen-before actions after an {@code await} or {@code isSet()}
 * that saw the flag set, in any process. A task that captures the event carries it to the
 * child. {@link #close()} unmaps this process's view; afterwards every method throws
 * {@link IllegalStateException}. Thread-safe.
 */
public final class SharedEvent implements AutoCloseable, Serializable {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // travels as an inherited descriptor (TaskStreams)
    private final SharedMemory memory;
    private final transient MemorySegment s;
    private final transient MemorySegment flagWord;
    private transient volatile boolean closed;

    private SharedEvent(SharedMemory memory, boolean create) {
        this.memory = memory;
        this.s = memory.segment();
        if (create) {
            RegionHeader.publish(s, EventLayout.MAGIC, EventLayout.VERSION);
        } else {
            RegionHeader.check(s, EventLayout.MAGIC, EventLayout.VERSION, "SharedEvent");
        }
        this.flagWord = s.asSlice(EventLayout.FLAG, 4);
    }

    /**
     * Creates an event, initially clear.
     *
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedEvent create() throws IOException {
        SharedMemory m = SharedMemory.create(EventLayout.SIZE);
        try {
            return new SharedEvent(m, true);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
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
        return NamedRegion.create(name, EventLayout.SIZE, m -> new SharedEvent(m, true));
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
        return NamedRegion.open(name, EventLayout.SIZE, "SharedEvent", m -> new SharedEvent(m, false));
    }

    /**
     * Removes the name (the primitive lives on for every process that has it open).
     *
     * @throws IllegalStateException if it was created without a name
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        memory.unlink();
    }

    /** {@return whether the flag is set} @throws IllegalStateException if closed */
    public boolean isSet() {
        return Words.intVolatile(seg(), EventLayout.FLAG) != 0;
    }

    /** Sets the flag and wakes all waiters in all processes. @throws IllegalStateException if closed */
    public void set() {
        if (Words.getAndSetInt(seg(), EventLayout.FLAG, 1) == 0
                && Words.intVolatile(s, EventLayout.WAITERS) > 0) {
            Waiting.wake(flagWord, Integer.MAX_VALUE);
        }
    }

    /** Clears the flag. @throws IllegalStateException if closed */
    public void clear() {
        Words.setIntVolatile(seg(), EventLayout.FLAG, 0);
    }

    /**
     * Waits until the flag is set.
     *
     * @throws InterruptedException if interrupted before or while waiting
     * @throws IllegalStateException if closed
     */
    public void await() throws InterruptedException {
        await0(-1);
    }

    /**
     * Waits until the flag is set or {@code time} elapsed (Python's {@code wait(timeout)});
     * never gives up early.
     *
     * @return whether the flag was set (as Python: the flag's value on return)
     * @throws InterruptedException if interrupted before or while waiting
     * @throws IllegalStateException if closed
     */
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        return await0(Math.max(0, unit.toNanos(time)));
    }

    /**
     * Unmaps this process's view; idempotent.
     *
     * @throws IllegalStateException if another thread of this process is blocked in it
     */
    @Override
    public void close() {
        memory.close();
        closed = true;
    }

    private boolean await0(long timeoutNanos) throws InterruptedException {
        Waiting.checkInterrupt();
        if (isSet()) {
            return true;
        }
        for (int i = 0; i < Waiting.SPINS; i++) {
            Thread.onSpinWait();
            if (Words.intVolatile(s, EventLayout.FLAG) != 0) {
                return true;
            }
        }
        Waiting.Deadline d = new Waiting.Deadline(timeoutNanos);
        Words.getAndAddInt(s, EventLayout.WAITERS, 1);
        try {
            for (;;) {
                if (Words.intVolatile(s, EventLayout.FLAG) != 0) {
                    return true;
                }
                if (d.expired()) {
                    return false;
                }
                Waiting.sleep(flagWord, 0, d.remaining());
                Waiting.checkInterrupt();
            }
        } finally {
            Words.getAndAddInt(s, EventLayout.WAITERS, -1);
        }
    }

    private MemorySegment seg() {
        if (closed) {
            throw new IllegalStateException("SharedEvent is closed");
        }
        return s;
    }

    private Object readResolve() throws ObjectStreamException {
        try {
            return new SharedEvent(memory, false);
        } catch (RuntimeException e) {
            InvalidObjectException x = new InvalidObjectException(e.getMessage());
            x.initCause(e);
            throw x;
        }
    }

    @Override
    public String toString() {
        return closed ? "SharedEvent[closed]" : "SharedEvent[" + (isSet() ? "set" : "clear") + "]";
    }
}
