package org.multiprocessing4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layout of the region behind a shared value or array ({@code SharedInt}, {@code SharedLongArray},
 * …): a small header, then the elements.
 *
 * <pre>
 * off   size      field     written by  access
 * 0x00  4         magic     creator     plain, before the region is shared
 * 0x04  4         version   creator     plain, before the region is shared
 * 0x08  4         kind      creator     plain, before the region is shared (1 int, 2 long, 3 double)
 * 0x10  8         length    creator     plain, before the region is shared (elements)
 * 0x40  length*w  elements  anyone      per element: volatile, acquire/release or CAS (w = 4 or 8)
 * </pre>
 *
 * <p>Ordering: the creator writes the header and the initial elements before any other process
 * can see the region — it reaches a child only through {@code posix_spawn} and a socket write,
 * system calls that order all earlier stores — so plain accesses suffice for the header. Elements
 * are accessed only with the VarHandle access modes each public method names; the data starts on
 * its own 64-byte line, so that the header (read-only after creation) never shares a line with
 * contended elements.
 */
public final class NumbersLayout {
    /** "MP4N". */
    public static final int MAGIC = 0x4D50344E;
    /** Bumped whenever an offset or meaning changes. */
    public static final int VERSION = 1;
    public static final long MAGIC_OFFSET = 0x00;
    public static final long VERSION_OFFSET = 0x04;
    public static final long KIND_OFFSET = 0x08;
    public static final long LENGTH_OFFSET = 0x10;
    public static final long DATA_OFFSET = 0x40;
    public static final int KIND_INT = 1;
    public static final int KIND_LONG = 2;
    public static final int KIND_DOUBLE = 3;

    private NumbersLayout() {
    }

    /** {@return the region size for {@code length} elements of {@code width} bytes} */
    public static long regionSize(long length, int width) {
        return DATA_OFFSET + Math.multiplyExact(length, width);
    }

    /** Writes the header of a new region. */
    public static void initialize(MemorySegment region, int kind, long length) {
        region.set(ValueLayout.JAVA_INT, MAGIC_OFFSET, MAGIC);
        region.set(ValueLayout.JAVA_INT, VERSION_OFFSET, VERSION);
        region.set(ValueLayout.JAVA_INT, KIND_OFFSET, kind);
        region.set(ValueLayout.JAVA_LONG, LENGTH_OFFSET, length);
    }

    /**
     * Checks the header of a region received from another process.
     *
     * @throws IllegalStateException naming what differs
     */
    public static void check(MemorySegment region, int kind, long length) {
        int magic = region.get(ValueLayout.JAVA_INT, MAGIC_OFFSET);
        int version = region.get(ValueLayout.JAVA_INT, VERSION_OFFSET);
        if (magic != MAGIC || version != VERSION) {
            throw new IllegalStateException("shared value region has magic 0x"
                    + Integer.toHexString(magic) + " version " + version + "; this library uses 0x"
                    + Integer.toHexString(MAGIC) + " version " + VERSION);
        }
        int k = region.get(ValueLayout.JAVA_INT, KIND_OFFSET);
        long n = region.get(ValueLayout.JAVA_LONG, LENGTH_OFFSET);
        if (k != kind || n != length) {
            throw new IllegalStateException("shared value region holds kind " + k + " x " + n
                    + ", expected kind " + kind + " x " + length);
        }
    }
}
