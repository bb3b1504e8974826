package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.LongUnaryOperator;
import org.multiprocessing4j.internal.NumbersLayout;
import org.multiprocessing4j.internal.SharedNumbers;

/**
 * A long in shared memory, updated atomically from any thread of any process that holds it
 * (Python's {@code Value('l')} / {@code RawValue}, and {@code java.util.concurrent.atomic.AtomicLong}
 * across processes). Pass it to a child by capturing it in a {@link Task}.
 *
 * <p>Memory ordering, stated per method, has the meaning of the same {@code VarHandle} access mode
 * between threads (each element is a naturally aligned word of a shared mapping, which the hardware
 * orders the same way whichever process accesses it). No method blocks or makes a system call. If a
 * process dies halfway through a sequence of updates, each single update is either done or not
 * done; compound updates need a lock.
 *
 * <p>Thread-safe. {@link #close()} unmaps this process's view; later calls throw
 * {@link IllegalStateException}.
 */
public final class SharedLong implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final VarHandle V = ValueLayout.JAVA_LONG.varHandle();

    /**
     * The region and its lock; serialized as the inherited handle of the region, so that a child
     * that receives this object maps the same memory.
     */
    private final SharedNumbers numbers;
    /** The elements ({@link SharedNumbers#data()}); rebuilt after deserialization. */
    private transient MemorySegment data;

    private SharedLong(long initial, boolean withLock) throws IOException {
        numbers = new SharedNumbers(NumbersLayout.KIND_LONG, 1, 8, withLock);
        data = numbers.data();
        V.setVolatile(data, 0L, initial);
    }

    /**
     * Creates a shared long holding {@code initial}.
     *
     * @param initial the initial value
     * @return the value
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedLong create(long initial) throws IOException {
        return new SharedLong(initial, false);
    }

    /**
     * Creates a shared long holding {@code initial}, with a shared lock for compound updates
     * when {@code withLock} (Python's {@code Value('l', initial, lock=True)}).
     *
     * @param initial the initial value
     * @param withLock whether {@link #getLock()} has a lock
     * @return the value
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedLong create(long initial, boolean withLock) throws IOException {
        return new SharedLong(initial, withLock);
    }

    /** {@return the value (volatile read)} */
    public long get() {
        return (long) V.getVolatile(data, 0L);
    }

    /**
     * Sets the value (volatile write).
     *
     * @param value the new value
     */
    public void set(long value) {
        V.setVolatile(data, 0L, value);
    }

    /** {@return the value (acquire read)} */
    public long getAcquire() {
        return (long) V.getAcquire(data, 0L);
    }

    /**
     * Sets the value (release write).
     *
     * @param value the new value
     */
    public void setRelease(long value) {
        V.setRelease(data, 0L, value);
    }

    /**
     * Sets the value to {@code update} if it is {@code expected} (volatile semantics).
     *
     * @param expected the expected value
     * @param update the new value
     * @return whether it was set
     */
    public boolean compareAndSet(long expected, long update) {
        return V.compareAndSet(data, 0L, expected, update);
    }

    /**
     * Sets the value and returns the old one (volatile semantics).
     *
     * @param value the new value
     * @return the previous value
     */
    public long getAndSet(long value) {
        return (long) V.getAndSet(data, 0L, value);
    }

    /**
     * Adds {@code delta} atomically (volatile semantics).
     *
     * @param delta what to add
     * @return the previous value
     */
    public long getAndAdd(long delta) {
        return (long) V.getAndAdd(data, 0L, delta);
    }

    /**
     * Adds {@code delta} atomically (volatile semantics).
     *
     * @param delta what to add
     * @return the new value
     */
    public long addAndGet(long delta) {
        return (long) V.getAndAdd(data, 0L, delta) + delta;
    }

    /** {@return the new value after adding one atomically (volatile semantics)} */
    public long incrementAndGet() {
        return addAndGet(1);
    }

    /** {@return the new value after subtracting one atomically (volatile semantics)} */
    public long decrementAndGet() {
        return addAndGet(-1);
    }

    /**
     * Applies {@code function} atomically with a compare-and-set loop (volatile semantics); it may
     * run several times under contention, so it must be free of side effects.
     *
     * @param function computes the new value from the current one
     * @return the new value
     */
    public long updateAndGet(LongUnaryOperator function) {
        for (;;) {
            long current = get();
            long next = function.applyAsLong(current);
            if (compareAndSet(current, next)) {
                return next;
            }
        }
    }

    @Override
    public String toString() {
        return "SharedLong[" + get() + "]";
    }

    /**
     * {@return the shared reentrant lock that came with this object (Python's {@code get_lock()}),
     * for compound updates such as read-modify-write sequences over several elements}
     * Single-element updates are atomic without it. The lock survives a holder's death like any
     * {@link SharedReentrantLock}: the next owner learns it through
     * {@link SharedReentrantLock#isConsistent()}.
     *
     * @throws IllegalStateException if it was created without a lock (Python's {@code RawValue})
     */
    public SharedReentrantLock getLock() {
        return numbers.lock(this);
    }

    /**
     * Unmaps this process's view (and that of its lock); the memory lives on while another
     * process maps it. Idempotent; any later access throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        numbers.close();
    }

    /**
     * Restores the region, then the view of its elements.
     *
     * @param in the stream
     * @throws IOException if the region cannot be mapped
     * @throws ClassNotFoundException never, in practice
     */
    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        data = numbers.data();
    }
}
