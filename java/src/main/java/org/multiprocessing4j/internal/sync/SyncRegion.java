package org.multiprocessing4j.internal.sync;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.multiprocessing4j.LockNotRecoverableException;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.internal.jfr.SyncWaitEvent;

/**
 * The life cycle that the six synchronization primitives ({@code SharedLock},
 * {@code SharedReentrantLock}, {@code SharedSemaphore}, {@code SharedEvent},
 * {@code SharedCondition}, {@code SharedBarrier}) share, held by each of them in a final field:
 * the {@link SharedMemory} of its region; creating it (anonymous or by name: configuration
 * words, then the {@link RegionHeader} published with the magic last) or attaching to it
 * (the header checked against the {@link Kind}); the liveness mark and the
 * {@link RobustMutex} of the kinds whose region holds one; "closed means closed" (every
 * access through {@link #segment()} or {@link #mutex()} after {@link #close()} throws
 * {@link IllegalStateException}; closing twice does nothing more); the name's
 * {@link #unlink()}; the {@code toString} shape; and the serial form.
 *
 * <h2>Serial form</h2>
 * A primitive that a task captures travels to the child as this object: the kind (an enum
 * constant) and the {@link SharedMemory}, which {@code TaskStreams} turns into an inherited
 * handle. {@link #readResolve()} attaches in the receiving process (header checked, mark placed,
 * mutex built); the primitive's own {@code readResolve} then builds the primitive on the
 * attached region ({@link #resolve(Function)}). Version 1 of this form replaced version 1 of the
 * primitives' own forms (a {@code memory} field in each), which is why each primitive's
 * {@code serialVersionUID} is 2: a stream of the old form fails with
 * {@link java.io.InvalidClassException} instead of attaching half a primitive.
 *
 * <h2>Hot paths</h2>
 * A primitive's operations reach the region through one final field: {@link #segment()} and
 * {@link #mutex()} are a volatile read of the closed flag and a final field each, on a final
 * class (no interface call), so the word accesses that follow stay direct.
 *
 * <p>Thread-safe. Not API.
 */
public final class SyncRegion implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The six kinds: the name for messages, the header's magic and version, the sizes. */
    public enum Kind {
        /** {@code SharedLock}. */
        LOCK("SharedLock", LockLayout.MAGIC_LOCK, LockLayout.VERSION, LockLayout.SIZE,
                LockLayout.MUTEX_OFFSET),
        /** {@code SharedReentrantLock}. */
        REENTRANT_LOCK("SharedReentrantLock", LockLayout.MAGIC_REENTRANT, LockLayout.VERSION,
                LockLayout.SIZE, LockLayout.MUTEX_OFFSET),
        /** {@code SharedSemaphore}. */
        SEMAPHORE("SharedSemaphore", SemaphoreLayout.MAGIC, SemaphoreLayout.VERSION,
                SemaphoreLayout.SIZE, NO_MUTEX),
        /** {@code SharedEvent}. */
        EVENT("SharedEvent", EventLayout.MAGIC, EventLayout.VERSION, EventLayout.SIZE, NO_MUTEX),
        /** {@code SharedCondition}. */
        CONDITION("SharedCondition", ConditionLayout.MAGIC, ConditionLayout.VERSION,
                ConditionLayout.SIZE, NO_MUTEX),
        /** {@code SharedBarrier}: its size depends on its parties (at least one). */
        BARRIER("SharedBarrier", BarrierLayout.MAGIC, BarrierLayout.VERSION, VARIABLE,
                BarrierLayout.MUTEX_OFFSET);

        private final String what;
        private final int magic;
        private final int version;
        /** The layout size, or {@link #VARIABLE}. */
        private final long size;
        /** Where the robust mutex starts, or {@link #NO_MUTEX}. */
        private final long mutexOffset;

        Kind(String what, int magic, int version, long size, long mutexOffset) {
            this.what = what;
            this.magic = magic;
            this.version = version;
            this.size = size;
            this.mutexOffset = mutexOffset;
        }

        /** {@return the smallest region a name of this kind may hold} */
        long minSize() {
            return size == VARIABLE ? BarrierLayout.size(1) : size;
        }
    }

    private static final long VARIABLE = -1;
    private static final long NO_MUTEX = -1;

    /** The region; travels as an inherited handle (TaskStreams). */
    @SuppressWarnings("serial")
    private final SharedMemory memory;
    private final Kind kind;
    private final transient MemorySegment segment;
    /** The layout size the header records. */
    private final transient long size;
    /** This process's liveness mark, for the kinds with a mutex; else null. */
    private final transient LivenessMark mark;
    /** The robust mutex, for the kinds with one; else null. */
    private final transient RobustMutex mutex;
    private transient volatile boolean closed;

    /**
     * Creates the region's header ({@code size > 0}, after {@code init} wrote the configuration)
     * or checks it ({@code size == 0}); then places the mark and builds the mutex if the kind has
     * one.
     */
    private SyncRegion(SharedMemory memory, Kind kind, long size, Consumer<MemorySegment> init) {
        this.memory = memory;
        this.kind = kind;
        this.segment = memory.segment();
        if (size > 0) {
            if (init != null) {
                init.accept(segment);
            }
            RegionHeader.publish(segment, kind.magic, kind.version, size, true,
                    ProcessToken.self());
            this.size = size;
        } else if (kind.size == VARIABLE) {
            this.size = RegionHeader.check(segment, kind.magic, kind.version, kind.what);
        } else {
            RegionHeader.check(segment, kind.magic, kind.version, kind.what, kind.size);
            this.size = kind.size;
        }
        if (kind.mutexOffset == NO_MUTEX) {
            this.mark = null;
            this.mutex = null;
        } else {
            this.mark = Regions.mark(memory, this);
            this.mutex = new RobustMutex(segment, kind.mutexOffset, mark::isAlive, kind.what,
                    memory.name().orElse(null));
        }
    }

    // ---------------------------------------------------------------- creating and opening

    /**
     * Creates an anonymous region and the primitive on it; on failure nothing is left behind.
     *
     * @param size the layout size ({@code Kind}'s, or the barrier's for its parties)
     * @param init writes the configuration words before the header is published, or null
     * @param make builds the primitive on the region
     * @throws IOException if the memory cannot be created
     */
    public static <T> T anonymous(Kind kind, long size, Consumer<MemorySegment> init,
            Function<SyncRegion, T> make) throws IOException {
        return Regions.anonymous(size, m -> build(new SyncRegion(m, kind, size, init), make));
    }

    /**
     * Creates the region under {@code name} and the primitive on it; on failure nothing is left
     * behind (not even the name).
     *
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the memory cannot be created
     */
    public static <T> T create(Kind kind, String name, long size, Consumer<MemorySegment> init,
            Function<SyncRegion, T> make) throws IOException {
        return Regions.create(name, size, m -> build(new SyncRegion(m, kind, size, init), make));
    }

    /**
     * Opens the region another process created under {@code name} and builds the primitive on it,
     * waiting up to a second for a creator that is still initializing it.
     *
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException if the region is too small, or was never initialized
     * @throws IllegalStateException if it holds another kind of region or layout version
     */
    public static <T> T open(Kind kind, String name, Function<SyncRegion, T> make)
            throws IOException {
        return Regions.open(name, kind.minSize(), kind.what,
                m -> build(new SyncRegion(m, kind, 0, null), make));
    }

    /** Builds the primitive; if that fails, releases the mark (the caller closes the memory). */
    private static <T> T build(SyncRegion region, Function<SyncRegion, T> make) {
        try {
            return make.apply(region);
        } catch (RuntimeException | Error e) {
            if (region.mark != null) {
                region.mark.close();
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- serial form

    /**
     * Attaches in the receiving process.
     *
     * @return the attached region
     * @throws ObjectStreamException if the region does not hold this kind (the memory is closed)
     */
    @Serial
    private Object readResolve() throws ObjectStreamException {
        try {
            return new SyncRegion(memory, kind, 0, null);
        } catch (RuntimeException e) {
            memory.close();
            throw invalid(e);
        }
    }

    /**
     * Builds the primitive on this region just read from a stream: the primitive's own
     * {@code readResolve}.
     *
     * @param make builds the primitive
     * @return the primitive
     * @throws ObjectStreamException if it cannot be built (this region is closed then)
     */
    public Object resolve(Function<SyncRegion, ?> make) throws ObjectStreamException {
        try {
            return make.apply(this);
        } catch (RuntimeException e) {
            close();
            throw invalid(e);
        }
    }

    private static InvalidObjectException invalid(RuntimeException e) {
        InvalidObjectException x = new InvalidObjectException(e.getMessage());
        x.initCause(e);
        return x;
    }

    // ---------------------------------------------------------------- access, life cycle

    /**
     * {@return the mapped region} The hot paths call this once per operation.
     *
     * @throws IllegalStateException if closed
     */
    public MemorySegment segment() {
        if (closed) {
            throw closedException();
        }
        return segment;
    }

    /**
     * {@return the robust mutex} The locks' hot paths call this once per operation.
     *
     * @throws IllegalStateException if closed
     */
    public RobustMutex mutex() {
        if (closed) {
            throw closedException();
        }
        return mutex;
    }

    private IllegalStateException closedException() {
        return new IllegalStateException(kind.what + " is closed");
    }

    /** {@return the layout size the header records} */
    public long size() {
        return size;
    }

    /**
     * {@return whether the process named by {@code token} may be alive} See
     * {@link LivenessMark#isAlive(long)}; only for the kinds with a mutex.
     */
    public boolean isAlive(long token) {
        return mark.isAlive(token);
    }

    /**
     * Checks that the primitive is open.
     *
     * @throws IllegalStateException if closed
     */
    public void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Removes the name (the primitive lives on for every process that has it open).
     *
     * @throws IllegalStateException if the region was created without a name
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        memory.unlink();
    }

    /**
     * Unmaps this process's view; idempotent. A mutex's take-over in flight is finished first,
     * so that closing never leaves an owner word half done ({@code me|TAKING}, which only this
     * live process could finish); the liveness mark goes last, after the last access to the
     * memory (from then on this process holds nothing here).
     *
     * @throws IllegalStateException if another thread of this process is inside a system call on
     *     the memory at this moment (a wait-channel sleep or wake-up); nothing is closed then
     */
    public void close() {
        if (mutex == null) {
            memory.close();
        } else {
            mutex.close(); // waits for a take-over in flight
            try {
                memory.close();
            } catch (RuntimeException e) {
                mutex.reopen();
                throw e;
            }
        }
        closed = true;
        if (mark != null) {
            mark.close();
        }
    }

    /**
     * {@return the primitive's {@code toString}}: {@code Kind[closed]}, or {@code Kind[state]}
     *
     * @param state the open primitive's state, asked only while open
     */
    public String describe(Supplier<String> state) {
        return kind.what + "[" + (closed ? "closed" : state.get()) + "]";
    }

    /**
     * Ends the wait event {@code event} of {@code operation} on this primitive, begun with
     * {@link SyncWaitEvent#started()}: nothing if it is {@code null} (no recording), else it is
     * committed if it lasted the threshold. The one place the primitives without a mutex name
     * themselves to the event (the locks' waits are the mutex's: {@link RobustMutex#acquire}).
     *
     * @param timedOut whether the wait ended because its timeout elapsed
     */
    public void waitEnded(SyncWaitEvent event, String operation, boolean timedOut) {
        if (event != null) {
            SyncWaitEvent.finish(event, kind.what, memory.name().orElse(null), operation, timedOut);
        }
    }

    // ---------------------------------------------------------------- the two locks' shared logic

    /**
     * {@return whether a lock acquisition succeeded} {@code true} for a plain or a take-over
     * acquisition, {@code false} for a timeout.
     *
     * @throws LockNotRecoverableException if the lock is not recoverable
     */
    public boolean acquired(RobustMutex.Result r) {
        return switch (r) {
            case ACQUIRED, OWNER_DIED -> true;
            case TIMED_OUT -> false;
            case NOT_RECOVERABLE -> throw new LockNotRecoverableException(kind.what + " is not"
                    + " recoverable: an owner died and the lock was released without"
                    + " markConsistent()");
        };
    }

    /**
     * {@return whether any thread of any process holds the lock}
     *
     * @throws IllegalStateException if closed
     */
    public boolean isLocked() {
        long o = mutex().owner();
        return o != 0 && o != MutexLayout.NOT_RECOVERABLE;
    }

    /**
     * {@return whether the lock's protected state is consistent}
     *
     * @throws IllegalStateException if closed
     */
    public boolean isConsistent() {
        return !mutex().ownerDied();
    }

    /**
     * Declares the lock's protected state repaired after a take-over from a dead owner.
     *
     * @throws IllegalMonitorStateException if the current thread is not the recorded owner
     * @throws IllegalStateException if closed
     */
    public void markConsistent() {
        RobustMutex m = mutex();
        if (!m.heldByCurrentThread()) {
            throw new IllegalMonitorStateException("markConsistent() by a thread that does not"
                    + " hold the " + kind.what);
        }
        m.markConsistent();
    }

    /** {@return the lock's state for {@code toString}: unlocked, locked by whom, …} */
    public String lockState() {
        long o = mutex.owner();
        if (o == 0 || o == MutexLayout.NOT_RECOVERABLE) {
            return o == 0 ? "unlocked" : "not recoverable";
        }
        return "locked by pid " + ProcessToken.pid(o) + (mutex.ownerDied() ? ", inconsistent" : "");
    }
}
