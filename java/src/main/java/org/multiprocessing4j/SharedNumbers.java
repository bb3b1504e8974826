package org.multiprocessing4j;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import org.multiprocessing4j.internal.NumbersLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * What the shared values and arrays have in common: a region of anonymous {@link SharedMemory}
 * laid out by {@link NumbersLayout}, that travels to a child when a {@link Task} captures the
 * object (the region's descriptor is inherited; nothing is copied).
 *
 * <p>Across processes the Java memory model promises nothing (it speaks of threads of one JVM).
 * What the element methods rely on instead: each element is a naturally aligned 4- or 8-byte word
 * of a {@code MAP_SHARED} mapping, and a {@link java.lang.invoke.VarHandle} access mode on it
 * compiles to the same instruction as on the heap (a locked instruction for CAS and
 * get-and-add, ordinary loads/stores plus the fences the mode needs otherwise), which the hardware
 * orders the same way whichever process issued it. So "volatile", "acquire" and "release" mean
 * across processes what they mean across threads.
 */
abstract sealed class SharedNumbers implements AutoCloseable, Serializable
        permits SharedInt, SharedLong, SharedDouble, SharedIntArray, SharedLongArray, SharedDoubleArray {
    @Serial
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // travels to children as an inherited descriptor, see TaskStreams
    private final SharedMemory memory;
    /** Python's get_lock(): null for a raw value. */
    private final SharedReentrantLock lock;
    private final int kind;
    private final long length;
    /** The elements; rebuilt after deserialization. */
    transient MemorySegment data;

    SharedNumbers(int kind, long length, int width, boolean withLock) throws IOException {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        this.kind = kind;
        this.length = length;
        this.lock = withLock ? SharedReentrantLock.create() : null;
        try {
            this.memory = SharedMemory.create(NumbersLayout.regionSize(length, width));
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
        NumbersLayout.initialize(memory.segment(), kind, length, ProcessToken.self());
        this.data = memory.segment().asSlice(NumbersLayout.DATA_OFFSET);
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        NumbersLayout.check(memory.segment(), kind, length);
        data = memory.segment().asSlice(NumbersLayout.DATA_OFFSET);
    }

    /** {@return the number of elements (1 for a value)} */
    long elements() {
        return length;
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
        if (lock == null) {
            throw new IllegalStateException(getClass().getSimpleName()
                    + " was created without a lock; use a create method with withLock = true");
        }
        return lock;
    }

    /**
     * Unmaps this process's view (and that of its lock); the memory lives on while another
     * process maps it. Idempotent; any later access throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        memory.close();
        if (lock != null) {
            lock.close();
        }
    }
}
