package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.DoubleUnaryOperator;
import org.multiprocessing4j.internal.NumbersLayout;
import org.multiprocessing4j.internal.SharedNumbers;

/**
 * A double in shared memory, updated atomically from any thread of any process that holds it
 * (Python's {@code Value('d')} / {@code RawValue}). Pass it to a child by capturing it in a
 * {@link Task}.
 *
 * <p>Memory ordering, stated per method, has the meaning of the same {@code VarHandle} access mode
 * between threads (each element is a naturally aligned word of a shared mapping, which the hardware
 * orders the same way whichever process accesses it). Compare-and-set compares the bit patterns (so
 * {@code NaN} matches itself, {@code 0.0} does not match {@code -0.0}). No method blocks or makes a
 * system call.
 *
 * <p>Thread-safe. {@link #close()} unmaps this process's view; later calls throw
 * {@link IllegalStateException}.
 */
public final class SharedDouble implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final VarHandle V = ValueLayout.JAVA_DOUBLE.varHandle();

    /**
     * The region and its lock; serialized as the inherited handle of the region, so that a child
     * that receives this object maps the same memory.
     */
    private final SharedNumbers numbers;
    /** The elements ({@link SharedNumbers#data()}); rebuilt after deserialization. */
    private transient MemorySegment data;

    private SharedDouble(double initial, boolean withLock) throws IOException {
        numbers = new SharedNumbers(NumbersLayout.KIND_DOUBLE, 1, 8, withLock);
        data = numbers.data();
        V.setVolatile(data, 0L, initial);
    }

    /**
     * Creates a shared double holding {@code initial}.
     *
     * @param initial the initial value
     * @return the value
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedDouble create(double initial) throws IOException {
        return new SharedDouble(initial, false);
    }

    /**
     * Creates a shared double holding {@code initial}, with a shared lock for compound updates
     * when {@code withLock} (Python's {@code Value('d', initial, lock=True)}).
     *
     * @param initial the initial value
     * @param withLock whether {@link #getLock()} has a lock
     * @return the value
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedDouble create(double initial, boolean withLock) throws IOException {
        return new SharedDouble(initial, withLock);
    }

    /** {@return the value (volatile read)} */
    public double get() {
        return (double) V.getVolatile(data, 0L);
    }

    /**
     * Sets the value (volatile write).
     *
     * @param value the new value
     */
    public void set(double value) {
        V.setVolatile(data, 0L, value);
    }

    /**
     * Sets the value to {@code update} if its bits equal those of {@code expected} (volatile
     * semantics).
     *
     * @param expected the expected value
     * @param update the new value
     * @return whether it was set
     */
    public boolean compareAndSet(double expected, double update) {
        return V.compareAndSet(data, 0L, expected, update);
    }

    /**
     * Adds {@code delta} atomically with a compare-and-set loop (volatile semantics).
     *
     * @param delta what to add
     * @return the new value
     */
    public double addAndGet(double delta) {
        return updateAndGet(v -> v + delta);
    }

    /**
     * Applies {@code function} atomically with a compare-and-set loop (volatile semantics); it may
     * run several times under contention, so it must be free of side effects.
     *
     * @param function computes the new value from the current one
     * @return the new value
     */
    public double updateAndGet(DoubleUnaryOperator function) {
        for (;;) {
            double current = get();
            double next = function.applyAsDouble(current);
            if (compareAndSet(current, next)) {
                return next;
            }
        }
    }

    @Override
    public String toString() {
        return "SharedDouble[" + get() + "]";
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
