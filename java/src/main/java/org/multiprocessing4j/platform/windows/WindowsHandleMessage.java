package org.multiprocessing4j.platform.windows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The record that carries handles over a pipe ({@code sendWithHandles}): Windows has no
 * {@code SCM_RIGHTS}, so the handle values travel in the data and the receiver duplicates them
 * into itself with {@code DuplicateHandle} (the receiver is the target process). Pure: encodes
 * and decodes, no native call; thread-safe (stateless).
 *
 * <pre>
 * off   size  field     meaning
 * 0x00  8     magic     {@link #MAGIC}, little-endian
 * 0x08  4     count     handles that follow, 1 to {@link #MAX_HANDLES}
 * 0x0C  4     pid       the sender's process id
 * 0x10  8*n   values    handle values valid in the sender: transit copies made for this message
 * then              the message's own bytes (at least one)
 * </pre>
 *
 * <p>The protocol: the sender duplicates each handle within itself (a transit copy, not
 * inheritable; the caller keeps its own), writes this record and the data in one write, and
 * forgets the copies. The receiver, seeing the magic at the start of a read, reads the record,
 * opens the sender with {@code PROCESS_DUP_HANDLE} and moves each copy into itself with
 * {@code DuplicateHandle(sender, value, self, …, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE)},
 * which closes the transit copy in the sender. So the sender must be alive until the receiver
 * has read the record (the receive fails otherwise, naming the sender), and a record never read
 * leaves its transit copies in the sender until it exits. A read that does not start at a record
 * boundary (a plain stream whose bytes happen to begin with the magic) would be misread: only
 * ever send handles on a stream whose reader receives with handles.
 */
final class WindowsHandleMessage {
    /** "MP4JHDL1" read as a little-endian long. */
    static final long MAGIC = 0x314C44484A34504DL;
    /** Bytes before the values. */
    static final int HEADER = 16;
    /** The most handles one record carries (as many as Linux's {@code SCM_RIGHTS}). */
    static final int MAX_HANDLES = 253;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WindowsHandleMessage() {
    }

    /** {@return the record's size for {@code count} handles} */
    static int size(int count) {
        return HEADER + 8 * count;
    }

    /**
     * Writes the record for {@code values} sent by {@code pid} at the start of {@code into}.
     *
     * @throws IllegalArgumentException for no handle or more than {@link #MAX_HANDLES}
     * @throws IndexOutOfBoundsException if {@code into} is shorter than {@link #size}
     */
    static void encode(MemorySegment into, int pid, long[] values) {
        if (values.length < 1 || values.length > MAX_HANDLES) {
            throw new IllegalArgumentException("1 to " + MAX_HANDLES + " handles per message, not " + values.length);
        }
        into.set(LONG, 0, MAGIC);
        into.set(INT, 8, values.length);
        into.set(INT, 12, pid);
        for (int i = 0; i < values.length; i++) {
            into.set(LONG, HEADER + 8L * i, values[i]);
        }
    }

    /** {@return whether {@code start} (at least 8 bytes read from the stream) begins a record} */
    static boolean startsRecord(MemorySegment start) {
        return start.byteSize() >= 8 && start.get(LONG, 0) == MAGIC;
    }

    /**
     * {@return the number of handles of the record whose header is {@code header}}
     *
     * @throws java.io.IOException if the count is outside 1 to {@link #MAX_HANDLES} (not a
     *     record of this protocol)
     */
    static int count(MemorySegment header) throws java.io.IOException {
        int n = header.get(INT, 8);
        if (n < 1 || n > MAX_HANDLES) {
            throw new java.io.IOException("a handle record announces " + n + " handles (1 to " + MAX_HANDLES
                    + "): the stream is not at a record boundary");
        }
        return n;
    }

    /** {@return the sender's pid of the record whose header is {@code header}} */
    static int pid(MemorySegment header) {
        return header.get(INT, 12);
    }

    /** {@return handle value {@code i} of the record at {@code record}} */
    static long value(MemorySegment record, int i) {
        return record.get(LONG, HEADER + 8L * i);
    }
}
