package org.multiprocessing4j.internal;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.WaitChannel;

/**
 * The first 128 bytes of every shared region this library lays out (locks, semaphores, events,
 * conditions, barriers, queues, shared values): one protocol for saying what a region is, who
 * made it and where its wait channel lives. CPython's {@code ShareableList} layout has no header
 * (it must stay byte-compatible with Python).
 *
 * <pre>
 * off   size  field              written by  access
 * 0x00  4     magic              creator     release store, LAST: doubles as "ready"
 * 0x04  4     version            creator     plain, before magic: the kind's layout version
 * 0x08  8     layoutSize         creator     plain, before magic: bytes the layout covers,
 *                                            wait-channel area included (at most the mapping)
 * 0x10  8     backend            creator     plain, before magic: Platform.backendId(), ASCII,
 *                                            zero-padded
 * 0x18  8     creator            creator     plain, before magic: ProcessToken of the creator
 * 0x20  8     waitAreaOffset     creator     plain, before magic: 64-aligned; 0 = no wait channel
 * 0x28  8     waitAreaSize       creator     plain, before magic: Platform.waitChannelBytes()
 * 0x30  16    (reserved, zero)
 * 0x40  64    configuration      creator     plain, before magic: the kind's own (CONFIG_OFFSET)
 * 0x80        the kind's words   see the kind's layout class
 * </pre>
 *
 * <p>Ordering: the creator writes the header fields, its configuration and its initial words,
 * initializes the wait channel, then stores the magic with release semantics; a process that
 * reads the magic with acquire semantics (or receives the region from its creator over a system
 * call, which orders all earlier stores) sees all of it, and reads those fields plainly. Nothing
 * in the header changes afterwards.
 *
 * <p>The wait-channel area: a region whose words someone sleeps on reserves
 * {@link Platform#waitChannelBytes()} bytes after its own layout, at the next 64-byte boundary
 * ({@link #waitAreaOffset(long)}); 0 bytes on Linux. The creator's backend initializes it; a
 * process of another backend cannot use it, which is why {@link #check} refuses such a region.
 */
public final class RegionHeader {
    private static final Platform OS = Platform.current();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** The header, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_INT.withName("version"),
            ValueLayout.JAVA_LONG.withName("layoutSize"),
            MemoryLayout.sequenceLayout(8, ValueLayout.JAVA_BYTE).withName("backend"),
            ValueLayout.JAVA_LONG.withName("creator"),
            ValueLayout.JAVA_LONG.withName("waitAreaOffset"),
            ValueLayout.JAVA_LONG.withName("waitAreaSize"),
            MemoryLayout.paddingLayout(0x10),
            MemoryLayout.paddingLayout(0x40).withName("configuration"));

    /** Offset of the magic. */
    public static final long MAGIC_OFFSET = offset(LAYOUT, "magic");
    /** Offset of the layout version. */
    public static final long VERSION_OFFSET = offset(LAYOUT, "version");
    /** Offset of the layout size. */
    public static final long LAYOUT_SIZE_OFFSET = offset(LAYOUT, "layoutSize");
    /** Offset of the creating backend's id. */
    public static final long BACKEND_OFFSET = offset(LAYOUT, "backend");
    /** Offset of the creating process's token. */
    public static final long CREATOR_OFFSET = offset(LAYOUT, "creator");
    /** Offset of the wait-channel area's offset. */
    public static final long WAIT_AREA_OFFSET_OFFSET = offset(LAYOUT, "waitAreaOffset");
    /** Offset of the wait-channel area's size. */
    public static final long WAIT_AREA_SIZE_OFFSET = offset(LAYOUT, "waitAreaSize");
    /** Offset of the 64 bytes of the kind's own configuration. */
    public static final long CONFIG_OFFSET = 0x40;
    /** Size of the header with the configuration: where a kind's words may start. */
    public static final long SIZE = LAYOUT.byteSize();
    /** Bytes of the backend id. */
    private static final int BACKEND_BYTES = 8;

    private RegionHeader() {
    }

    /** {@return where the wait-channel area of a layout whose own bytes end at {@code end} starts} */
    public static long waitAreaOffset(long end) {
        return (end + 63) & ~63L;
    }

    /**
     * {@return the size of a region whose own layout ends at {@code end} and whose words someone
     * sleeps on: the layout, then this backend's wait-channel area}
     */
    public static long sizeWithWaitArea(long end) {
        return waitAreaOffset(end) + OS.waitChannelBytes();
    }

    /**
     * Writes the header of a region this process creates, initializes its wait channel, then
     * stores the magic with release semantics: call after the kind's configuration and initial
     * words, before the region is shared. The region must be zeroed and at least
     * {@code layoutSize} bytes.
     *
     * @param layoutSize the bytes the layout covers: {@link #sizeWithWaitArea(long)} of the
     *     layout's end if {@code waits}, else the layout's end
     * @param waits whether the region has a wait-channel area (at {@link #waitAreaOffset} of
     *     {@code layoutSize - Platform.waitChannelBytes()})
     * @param creator the creating process's token
     * @throws UncheckedIOException if the backend cannot initialize the wait channel
     */
    public static void publish(MemorySegment s, int magic, int version, long layoutSize,
            boolean waits, long creator) {
        if (s.byteSize() < layoutSize || layoutSize < SIZE) {
            throw new IllegalArgumentException("a region of " + s.byteSize() + " bytes cannot hold"
                    + " a layout of " + layoutSize + " bytes");
        }
        long waitBytes = waits ? OS.waitChannelBytes() : 0;
        long waitAt = waits ? layoutSize - waitBytes : 0;
        s.set(ValueLayout.JAVA_INT, VERSION_OFFSET, version);
        s.set(ValueLayout.JAVA_LONG, LAYOUT_SIZE_OFFSET, layoutSize);
        byte[] id = OS.backendId().getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(id, 0, s, ValueLayout.JAVA_BYTE, BACKEND_OFFSET,
                Math.min(id.length, BACKEND_BYTES));
        s.set(ValueLayout.JAVA_LONG, CREATOR_OFFSET, creator);
        s.set(ValueLayout.JAVA_LONG, WAIT_AREA_OFFSET_OFFSET, waitAt);
        s.set(ValueLayout.JAVA_LONG, WAIT_AREA_SIZE_OFFSET, waitBytes);
        if (waits) {
            try {
                OS.initWaitChannel(s, waitAt);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot initialize the wait channel of a shared"
                        + " region: " + e.getMessage(), e);
            }
        }
        INT.setRelease(s, MAGIC_OFFSET, magic);
    }

    /** {@return the magic, read with acquire semantics (0 while the creator is not done)} */
    public static int magicAcquire(MemorySegment s) {
        return (int) INT.getAcquire(s, MAGIC_OFFSET);
    }

    /**
     * Checks that {@code s} holds a published region of the expected kind and version, made by
     * this process's backend, whose layout fits the mapping.
     *
     * @param what the kind, for messages ("SharedLock")
     * @return the layout size the header records (the kind checks it against its configuration)
     * @throws IllegalStateException naming both values on a mismatch
     */
    public static long check(MemorySegment s, int magic, int version, String what) {
        if (s.byteSize() < SIZE) {
            throw new IllegalStateException(what + ": shared memory of " + s.byteSize()
                    + " bytes is too small for a " + what + " region");
        }
        int m = magicAcquire(s);
        if (m != magic) {
            throw new IllegalStateException(what + ": shared memory does not hold a " + what
                    + " (magic 0x" + Integer.toHexString(m) + ", expected 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int v = s.get(ValueLayout.JAVA_INT, VERSION_OFFSET);
        if (v != version) {
            throw new IllegalStateException(what + ": shared memory holds layout version " + v
                    + " but this library reads layout version " + version);
        }
        String backend = backend(s);
        if (!backend.equals(OS.backendId())) {
            throw new IllegalStateException(what + ": shared memory was created by the '" + backend
                    + "' platform backend, but this process runs the '" + OS.backendId()
                    + "' backend (choose the same -Dmp4j.platform in every process)");
        }
        long size = s.get(ValueLayout.JAVA_LONG, LAYOUT_SIZE_OFFSET);
        if (size < SIZE || size > s.byteSize()) {
            throw new IllegalStateException(what + ": the header records a layout of " + size
                    + " bytes in shared memory of " + s.byteSize() + " bytes");
        }
        long waitAt = s.get(ValueLayout.JAVA_LONG, WAIT_AREA_OFFSET_OFFSET);
        long waitBytes = s.get(ValueLayout.JAVA_LONG, WAIT_AREA_SIZE_OFFSET);
        if (waitAt != 0 && (waitAt < SIZE || waitAt % 64 != 0 || waitBytes != OS.waitChannelBytes()
                || waitAt + waitBytes != size)) {
            throw new IllegalStateException(what + ": the header records a wait-channel area of "
                    + waitBytes + " bytes at " + waitAt + " in a layout of " + size + " bytes");
        }
        return size;
    }

    /**
     * As {@link #check(MemorySegment, int, int, String)} for a kind whose layout size is fixed.
     *
     * @throws IllegalStateException also if the header records another layout size
     */
    public static void check(MemorySegment s, int magic, int version, String what, long layoutSize) {
        long size = check(s, magic, version, what);
        if (size != layoutSize) {
            throw new IllegalStateException(what + ": the header records a layout of " + size
                    + " bytes, but this library lays out " + layoutSize + " bytes");
        }
    }

    /** {@return the id of the backend that created the region} */
    public static String backend(MemorySegment s) {
        byte[] id = new byte[BACKEND_BYTES];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, BACKEND_OFFSET, id, 0, BACKEND_BYTES);
        int n = 0;
        while (n < BACKEND_BYTES && id[n] != 0) {
            n++;
        }
        return new String(id, 0, n, StandardCharsets.US_ASCII);
    }

    /** {@return the token of the process that created the region} */
    public static long creator(MemorySegment s) {
        return s.get(ValueLayout.JAVA_LONG, CREATOR_OFFSET);
    }

    /**
     * {@return the wait channel of a published (or checked) region that has a wait-channel area}
     *
     * @throws IllegalStateException if the region has none
     */
    public static WaitChannel waitChannel(MemorySegment s) {
        long waitAt = s.get(ValueLayout.JAVA_LONG, WAIT_AREA_OFFSET_OFFSET);
        if (waitAt == 0) {
            throw new IllegalStateException("this shared region has no wait channel");
        }
        return OS.waitChannel(s, waitAt);
    }
}
