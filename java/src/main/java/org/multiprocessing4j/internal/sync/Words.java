package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Atomic access to naturally aligned 4- and 8-byte words of a shared mapping. The access mode is
 * part of each method's name, so that a reader of the algorithms never has to guess the ordering.
 *
 * <h2>What the Java memory model does not promise, and what we rely on</h2>
 * The JMM describes threads of one JVM; it says nothing about another process writing the same
 * physical page. We rely on this instead: a {@link VarHandle} access in volatile, acquire/release
 * or compare-and-set mode on a naturally aligned word of a {@code MAP_SHARED} mapping compiles to
 * the same hardware instructions as on the heap ({@code lock cmpxchg}, {@code xchg}/{@code mfence}
 * on x86-64; {@code ldar}/{@code stlr}/{@code casal} or LL/SC on ARMv8), and the hardware orders
 * them by physical address, whichever virtual address and process issues them (x86-TSO, ARMv8
 * "other-multi-copy atomic"). So the usual arguments (release store / acquire load pairs, Dekker
 * pairs of volatile store then volatile load) hold between processes as they hold between threads.
 * A futex system call is a full barrier on both sides. Plain accesses are used only for words
 * that a single writer owns and that nobody else reads for correctness.
 */
public final class Words {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private Words() {
    }

    /** {@return the int at {@code off}, volatile read} */
    public static int intVolatile(MemorySegment s, long off) {
        return (int) INT.getVolatile(s, off);
    }

    /** {@return the int at {@code off}, acquire read} */
    public static int intAcquire(MemorySegment s, long off) {
        return (int) INT.getAcquire(s, off);
    }

    /** {@return the int at {@code off}, plain read} */
    public static int intPlain(MemorySegment s, long off) {
        return (int) INT.get(s, off);
    }

    /** Stores {@code v} at {@code off}, plain. */
    public static void setIntPlain(MemorySegment s, long off, int v) {
        INT.set(s, off, v);
    }

    /** Stores {@code v} at {@code off}, release. */
    public static void setIntRelease(MemorySegment s, long off, int v) {
        INT.setRelease(s, off, v);
    }

    /** Stores {@code v} at {@code off}, volatile. */
    public static void setIntVolatile(MemorySegment s, long off, int v) {
        INT.setVolatile(s, off, v);
    }

    /** {@return whether the int at {@code off} was {@code e} and is now {@code v}} Volatile CAS. */
    public static boolean casInt(MemorySegment s, long off, int e, int v) {
        return INT.compareAndSet(s, off, e, v);
    }

    /** {@return the previous int at {@code off}} Volatile atomic add. */
    public static int getAndAddInt(MemorySegment s, long off, int delta) {
        return (int) INT.getAndAdd(s, off, delta);
    }

    /** {@return the previous int at {@code off}} Volatile atomic exchange. */
    public static int getAndSetInt(MemorySegment s, long off, int v) {
        return (int) INT.getAndSet(s, off, v);
    }

    /** {@return the long at {@code off}, volatile read} */
    public static long longVolatile(MemorySegment s, long off) {
        return (long) LONG.getVolatile(s, off);
    }

    /** {@return the long at {@code off}, opaque read (atomic, no ordering)} */
    public static long longOpaque(MemorySegment s, long off) {
        return (long) LONG.getOpaque(s, off);
    }

    /** Stores {@code v} at {@code off}, opaque (atomic, no ordering). */
    public static void setLongOpaque(MemorySegment s, long off, long v) {
        LONG.setOpaque(s, off, v);
    }

    /** Stores {@code v} at {@code off}, volatile. */
    public static void setLongVolatile(MemorySegment s, long off, long v) {
        LONG.setVolatile(s, off, v);
    }

    /** {@return whether the long at {@code off} was {@code e} and is now {@code v}} Volatile CAS. */
    public static boolean casLong(MemorySegment s, long off, long e, long v) {
        return LONG.compareAndSet(s, off, e, v);
    }
}
