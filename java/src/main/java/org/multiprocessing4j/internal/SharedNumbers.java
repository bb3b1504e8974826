package org.multiprocessing4j.internal;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.SharedReentrantLock;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * What the shared values and arrays ({@code SharedInt}, {@code SharedLong}, {@code SharedDouble}
 * and their arrays) have in common, held by each of them: a region of anonymous
 * {@link SharedMemory} laid out by {@link NumbersLayout}, that travels to a child when a task
 * captures the object (the region's descriptor is inherited; nothing is copied), and the optional
 * lock that came with it.
 *
 * <p>Across processes the Java memory model promises nothing (it speaks of threads of one JVM).
 * What the element methods rely on instead: each element is a naturally aligned 4- or 8-byte word
 * of a {@code MAP_SHARED} mapping, and a {@link java.lang.invoke.VarHandle} access mode on it
 * compiles to the same instruction as on the heap (a locked instruction for CAS and
 * get-and-add, ordinary loads/stores plus the fences the mode needs otherwise), which the hardware
 * orders the same way whichever process issued it. So "volatile", "acquire" and "release" mean
 * across processes what they mean across threads.
 */
public final class SharedNumbers implements AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // travels to children as an inherited descriptor, see TaskStreams
    private final SharedMemory memory;
    /** Python's get_lock(): null for a raw value. */
    private final SharedReentrantLock lock;
    private final int kind;
    private final long length;
    /** The elements; rebuilt after deserialization. */
    private transient MemorySegment data;

    /**
     * Creates the region and, when {@code withLock}, its lock.
     *
     * @param kind the element kind ({@link NumbersLayout#KIND_INT}, …)
     * @param length the number of elements (1 for a value)
     * @param width the element's size in bytes
     * @param withLock whether a lock comes with it
     * @throws IllegalArgumentException if {@code length} is negative
     * @throws IOException if the memory or the lock cannot be created (nothing is left behind)
     */
    public SharedNumbers(int kind, long length, int width, boolean withLock) throws IOException {
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

    /** {@return the elements, without the header; unusable once closed} */
    public MemorySegment data() {
        return data;
    }

    /** {@return the number of elements (1 for a value)} */
    public long elements() {
        return length;
    }

    /**
     * {@return the lock that came with the object}
     *
     * @param owner the public object, named in the message when there is no lock
     * @throws IllegalStateException if it was created without a lock
     */
    public SharedReentrantLock lock(Object owner) {
        if (lock == null) {
            throw new IllegalStateException(owner.getClass().getSimpleName()
                    + " was created without a lock; use a create method with withLock = true");
        }
        return lock;
    }

    /** Unmaps this process's view and that of the lock. Idempotent. */
    @Override
    public void close() {
        memory.close();
        if (lock != null) {
            lock.close();
        }
    }
}
