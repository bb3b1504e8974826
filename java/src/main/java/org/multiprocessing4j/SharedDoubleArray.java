package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.multiprocessing4j.internal.NumbersLayout;
import org.multiprocessing4j.internal.SharedNumbers;

/**
 * A fixed-length array of doubles in shared memory whose elements are updated atomically from any
 * thread of any process that holds it (Python's {@code Array('d', …)} / {@code RawArray},
 * and an atomic double array across processes). Pass it to a child by capturing
 * it in a {@link Task}.
 *
 * <p>Each method states its memory ordering, which has the meaning of the same {@code VarHandle}
 * access mode between threads (each element is a naturally aligned word of a shared mapping, which
 * the hardware orders the same way whichever process accesses it). No method blocks or makes a
 * system call. Operations on different elements are independent; updates spanning several elements
 * need a lock. A process that dies mid-way leaves every element either updated or not.
 *
 * <p>Thread-safe. {@link #close()} unmaps this process's view; later calls throw
 * {@link IllegalStateException}.
 */
public final class SharedDoubleArray implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final VarHandle E = ValueLayout.JAVA_DOUBLE.arrayElementVarHandle();

    /**
     * The region and its lock; serialized as the inherited handle of the region, so that a child
     * that receives this object maps the same memory.
     */
    private final SharedNumbers numbers;
    /** The elements ({@link SharedNumbers#data()}); rebuilt after deserialization. */
    private transient MemorySegment data;

    private SharedDoubleArray(int length, boolean withLock) throws IOException {
        numbers = new SharedNumbers(NumbersLayout.KIND_DOUBLE, length, 8, withLock);
        data = numbers.data();
    }

    /**
     * Creates an array of {@code length} zeros.
     *
     * @param length number of elements, at least 0
     * @return the array
     * @throws IllegalArgumentException if {@code length} is negative
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedDoubleArray create(int length) throws IOException {
        return new SharedDoubleArray(length, false);
    }

    /**
     * Creates an array holding a copy of {@code values}.
     *
     * @param values the initial elements
     * @return the array
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedDoubleArray of(double... values) throws IOException {
        SharedDoubleArray a = new SharedDoubleArray(values.length, false);
        for (int i = 0; i < values.length; i++) {
            E.set(a.data, 0L, (long) i, values[i]);
        }
        VarHandle.releaseFence();
        return a;
    }

    /**
     * Creates an array of {@code length} zeros with a shared lock for compound updates (Python's
     * {@code Array(typecode, length, lock=True)}).
     *
     * @param length number of elements, at least 0
     * @return the array
     * @throws IOException if the shared memory cannot be created
     */
    public static SharedDoubleArray createWithLock(int length) throws IOException {
        return new SharedDoubleArray(length, true);
    }

    /** {@return the number of elements} */
    public int length() {
        return (int) numbers.elements();
    }

    private long index(int i) {
        return Objects.checkIndex(i, numbers.elements());
    }

    /**
     * {@return element {@code i} (volatile read)}
     *
     * @param i the index
     * @throws IndexOutOfBoundsException if {@code i} is outside the array
     */
    public double get(int i) {
        return (double) E.getVolatile(data, 0L, index(i));
    }

    /**
     * Sets element {@code i} (volatile write).
     *
     * @param i the index
     * @param value the new value
     * @throws IndexOutOfBoundsException if {@code i} is outside the array
     */
    public void set(int i, double value) {
        E.setVolatile(data, 0L, index(i), value);
    }

    /**
     * Sets element {@code i} to {@code update} if it is {@code expected}, comparing bit patterns (volatile semantics).
     *
     * @param i the index
     * @param expected the expected value
     * @param update the new value
     * @return whether it was set
     * @throws IndexOutOfBoundsException if {@code i} is outside the array
     */
    public boolean compareAndSet(int i, double expected, double update) {
        return E.compareAndSet(data, 0L, index(i), expected, update);
    }

    /**
     * Adds {@code delta} to element {@code i} atomically with a compare-and-set loop (volatile
     * semantics).
     *
     * @param i the index
     * @param delta what to add
     * @return the new value
     * @throws IndexOutOfBoundsException if {@code i} is outside the array
     */
    public double addAndGet(int i, double delta) {
        long at = index(i);
        for (;;) {
            double current = (double) E.getVolatile(data, 0L, at);
            double next = current + delta;
            if (E.compareAndSet(data, 0L, at, current, next)) {
                return next;
            }
        }
    }

    /**
     * {@return a copy of all elements, each read with volatile semantics (the copy as a whole is
     * not a snapshot: other processes may update elements meanwhile)}
     */
    public double[] toArray() {
        double[] out = new double[length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }

    @Override
    public String toString() {
        return "SharedDoubleArray" + java.util.Arrays.toString(toArray());
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
