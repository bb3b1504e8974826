package org.multiprocessing4j.internal;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of the region behind a shared value or array ({@code SharedInt}, {@code SharedLongArray},
 * …): the common {@link RegionHeader} with the kind and length as its configuration, then the
 * elements. Nobody sleeps on these words (the optional lock is a region of its own), so the
 * region has no wait-channel area.
 *
 * <pre>
 * off   size      field     written by  access
 * 0x00  0x40      header    creator     see RegionHeader (magic "MP4N"; no wait area)
 * 0x40  4         kind      creator     plain, before magic (1 int, 2 long, 3 double)
 * 0x48  8         length    creator     plain, before magic (elements)
 * 0x80  length*w  elements  anyone      per element: volatile, acquire/release or CAS (w = 4 or 8)
 * </pre>
 *
 * <p>Ordering: the creator writes the header and the initial elements before any other process
 * can see the region — it reaches a child only through {@code posix_spawn} and a socket write,
 * system calls that order all earlier stores — so plain accesses suffice for the header (the magic
 * is stored with release semantics all the same, as in every region). Elements are accessed only
 * with the VarHandle access modes each public method names; the data starts on its own 128-byte
 * line, so that the header (read-only after creation) never shares a line with contended
 * elements.
 *
 * <p>Version 2: the common {@link RegionHeader}; kind and length moved from 0x08/0x10 to
 * 0x40/0x48, the elements from 0x40 to 0x80.
 */
public final class NumbersLayout {
    /** The fixed part of the region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(RegionHeader.CONFIG_OFFSET).withName("header"),
            ValueLayout.JAVA_INT.withName("kind"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("length"),
            MemoryLayout.paddingLayout(0x30));

    /** "MP4N". */
    public static final int MAGIC = 0x4D50344E;
    /** Bumped whenever an offset or meaning changes. */
    public static final int VERSION = 2;
    /** Offset of the element kind. */
    public static final long KIND_OFFSET = offset(LAYOUT, "kind");
    /** Offset of the element count. */
    public static final long LENGTH_OFFSET = offset(LAYOUT, "length");
    /** Offset of element 0. */
    public static final long DATA_OFFSET = LAYOUT.byteSize();
    /** Kind of {@code int} elements. */
    public static final int KIND_INT = 1;
    /** Kind of {@code long} elements. */
    public static final int KIND_LONG = 2;
    /** Kind of {@code double} elements. */
    public static final int KIND_DOUBLE = 3;

    private NumbersLayout() {
    }

    /** {@return the region size for {@code length} elements of {@code width} bytes} */
    public static long regionSize(long length, int width) {
        return DATA_OFFSET + Math.multiplyExact(length, width);
    }

    /**
     * Writes the header of a new region, its magic last; the elements must be initialized
     * already (zero).
     */
    public static void initialize(MemorySegment region, int kind, long length, long creator) {
        region.set(ValueLayout.JAVA_INT, KIND_OFFSET, kind);
        region.set(ValueLayout.JAVA_LONG, LENGTH_OFFSET, length);
        RegionHeader.publish(region, MAGIC, VERSION, regionSize(length, width(kind)), false, creator);
    }

    /**
     * Checks the header of a region received from another process.
     *
     * @throws IllegalStateException naming what differs
     */
    public static void check(MemorySegment region, int kind, long length) {
        long size = RegionHeader.check(region, MAGIC, VERSION, "shared value");
        int k = region.get(ValueLayout.JAVA_INT, KIND_OFFSET);
        long n = region.get(ValueLayout.JAVA_LONG, LENGTH_OFFSET);
        if (k != kind || n != length || size != regionSize(length, width(kind))) {
            throw new IllegalStateException("shared value region holds kind " + k + " x " + n
                    + " in " + size + " bytes, expected kind " + kind + " x " + length);
        }
    }

    /** {@return the bytes of one element of {@code kind}} */
    public static int width(int kind) {
        return kind == KIND_INT ? 4 : 8;
    }
}
