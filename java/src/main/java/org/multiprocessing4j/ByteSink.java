package org.multiprocessing4j;

import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A growable, reusable byte buffer in native memory that messages are encoded into before they
 * are sent (see {@link Codec#encode}).
 *
 * <p>Bytes are appended at the end ({@link #size()}); multi-byte values are big-endian. A frame
 * header can be reserved with {@link #skip(int)} and patched later with {@link #writeIntAt} /
 * {@link #writeLongAt}; a failed encode is rolled back with {@link #truncate(long)}. The bytes
 * written so far are {@link #segment()}, {@code [0, size())}.
 *
 * <p><b>Memory and lifetime.</b> The sink owns its buffer: one native segment allocated from a
 * {@linkplain Arena#ofShared() shared arena} that the sink alone owns. When a write needs more
 * room the sink allocates a buffer of at least double the capacity from a new shared arena,
 * copies the written bytes and closes the old arena, freeing the old buffer at once. Hence a
 * segment returned by {@link #segment()} stays valid until the next write that grows the sink,
 * or until {@link #close()}; accessing it afterwards throws {@link IllegalStateException}
 * (never a crash). {@link #reset()} and {@link #truncate(long)} keep the buffer, so such a
 * segment stays accessible but later writes overwrite its bytes. {@link #close()} frees the
 * native memory immediately; a sink that is never closed is freed by a {@link Cleaner} once it
 * is unreachable, and that is logged as a leak at {@code WARNING} on the
 * {@code org.multiprocessing4j.ByteSink} {@link System.Logger}.
 *
 * <p><b>Capacity.</b> The sink never grows beyond its maximum capacity (by default
 * {@link #DEFAULT_MAX_CAPACITY}); a write that would need more throws {@link CodecException}
 * and leaves the sink unchanged.
 *
 * <p><b>Thread safety.</b> Not thread-safe: use a sink from one thread at a time (handing it to
 * another thread with a happens-before edge, such as a {@code BlockingQueue}, is fine). Even if
 * misused concurrently, memory stays safe: a racing access to a freed buffer throws
 * {@link IllegalStateException}.
 *
 * <p>Every method except {@link #close()} throws {@link IllegalStateException} once the sink is
 * closed.
 */
public final class ByteSink implements AutoCloseable {

    /**
     * The default maximum capacity, 4 GiB: room for the largest Java array, a codec tag and a
     * frame header.
     */
    public static final long DEFAULT_MAX_CAPACITY = 1L << 32;

    /*
     * Invariants: 0 <= size <= capacity <= maxCapacity; segment == null iff closed; while open,
     * segment.byteSize() == capacity and segment belongs to allocation.arena, the only open
     * arena of this sink. The Cleaner action references the Allocation, never the sink.
     */

    private static final ValueLayout.OfShort SHORT_BE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long MIN_GROWN_CAPACITY = 64;
    private static final long ALIGNMENT = 16;

    private final long maxCapacity;
    private final Allocation allocation;
    private final Cleaner.Cleanable cleanable;
    private MemorySegment segment;
    private long capacity;
    private long size;
    private OutputStream stream;

    /**
     * Creates a sink with the given initial capacity and {@link #DEFAULT_MAX_CAPACITY}.
     *
     * @param initialCapacity bytes to allocate now; {@code >= 0}
     * @throws IllegalArgumentException if {@code initialCapacity < 0}
     */
    public ByteSink(int initialCapacity) {
        this(initialCapacity, DEFAULT_MAX_CAPACITY);
    }

    /**
     * Creates a sink with the given initial and maximum capacity.
     *
     * @param initialCapacity bytes to allocate now; {@code >= 0}
     * @param maxCapacity the most bytes the sink may ever hold; {@code >= initialCapacity}
     * @throws IllegalArgumentException if {@code initialCapacity < 0} or
     *     {@code maxCapacity < initialCapacity}
     */
    public ByteSink(int initialCapacity, long maxCapacity) {
        if (initialCapacity < 0 || maxCapacity < initialCapacity) {
            throw new IllegalArgumentException("need 0 <= initialCapacity <= maxCapacity, got "
                    + initialCapacity + " and " + maxCapacity);
        }
        this.maxCapacity = maxCapacity;
        Arena arena = Arena.ofShared();
        try {
            this.segment = arena.allocate(initialCapacity, ALIGNMENT);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.capacity = initialCapacity;
        this.allocation = new Allocation(arena, initialCapacity);
        this.cleanable = CleanerHolder.CLEANER.register(this, allocation);
    }

    /**
     * Returns the number of bytes written.
     *
     * @return the size, {@code 0 <= size() <= capacity()}
     * @throws IllegalStateException if the sink is closed
     */
    public long size() {
        ensureOpen();
        return size;
    }

    /**
     * Returns the number of bytes the current buffer holds before the sink has to grow.
     *
     * @return the capacity
     * @throws IllegalStateException if the sink is closed
     */
    public long capacity() {
        ensureOpen();
        return capacity;
    }

    /**
     * Returns the most bytes this sink may ever hold.
     *
     * @return the maximum capacity given at construction
     */
    public long maxCapacity() {
        return maxCapacity;
    }

    /**
     * Discards the written bytes ({@code size()} becomes 0) and keeps the buffer for reuse.
     *
     * @throws IllegalStateException if the sink is closed
     */
    public void reset() {
        ensureOpen();
        size = 0;
    }

    /**
     * Discards the bytes from {@code newSize} on, for example to roll back a failed encode to the
     * size recorded before it.
     *
     * @param newSize the new size, {@code 0 <= newSize <= size()}
     * @throws IndexOutOfBoundsException if {@code newSize} is out of that range
     * @throws IllegalStateException if the sink is closed
     */
    public void truncate(long newSize) {
        ensureOpen();
        Objects.checkIndex(newSize, size + 1);
        size = newSize;
    }

    /**
     * Appends the low 8 bits of {@code value}.
     *
     * @param value the byte to append
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public void writeByte(int value) throws CodecException {
        long at = reserve(1);
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) value);
    }

    /**
     * Appends the low 16 bits of {@code value}, big-endian.
     *
     * @param value the short to append
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public void writeShort(int value) throws CodecException {
        long at = reserve(2);
        segment.set(SHORT_BE, at, (short) value);
    }

    /**
     * Appends {@code value}, big-endian.
     *
     * @param value the int to append
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public void writeInt(int value) throws CodecException {
        long at = reserve(4);
        segment.set(INT_BE, at, value);
    }

    /**
     * Appends {@code value}, big-endian.
     *
     * @param value the long to append
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public void writeLong(long value) throws CodecException {
        long at = reserve(8);
        segment.set(LONG_BE, at, value);
    }

    /**
     * Overwrites the 4 bytes at {@code position} with {@code value}, big-endian (for patching a
     * header reserved with {@link #skip(int)}). The size does not change.
     *
     * @param position where the int starts, {@code 0 <= position <= size() - 4}
     * @param value the int to write
     * @throws IndexOutOfBoundsException if the 4 bytes are not all within {@code [0, size())}
     * @throws IllegalStateException if the sink is closed
     */
    public void writeIntAt(long position, int value) {
        ensureOpen();
        Objects.checkFromIndexSize(position, 4, size);
        segment.set(INT_BE, position, value);
    }

    /**
     * Overwrites the 8 bytes at {@code position} with {@code value}, big-endian (for patching a
     * header reserved with {@link #skip(int)}). The size does not change.
     *
     * @param position where the long starts, {@code 0 <= position <= size() - 8}
     * @param value the long to write
     * @throws IndexOutOfBoundsException if the 8 bytes are not all within {@code [0, size())}
     * @throws IllegalStateException if the sink is closed
     */
    public void writeLongAt(long position, long value) {
        ensureOpen();
        Objects.checkFromIndexSize(position, 8, size);
        segment.set(LONG_BE, position, value);
    }

    /**
     * Appends {@code length} bytes of {@code bytes} starting at {@code offset}.
     *
     * @param bytes the source array
     * @param offset index of the first byte to append
     * @param length number of bytes to append
     * @throws IndexOutOfBoundsException if the range is not within {@code bytes}
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public void write(byte[] bytes, int offset, int length) throws CodecException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        long at = reserve(length);
        MemorySegment.copy(bytes, offset, segment, ValueLayout.JAVA_BYTE, at, length);
    }

    /**
     * Appends all bytes of {@code bytes}.
     *
     * @param bytes the bytes to append
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public void write(byte[] bytes) throws CodecException {
        write(bytes, 0, bytes.length);
    }

    /**
     * Appends all bytes of {@code source}, which may be a heap or native segment, including a
     * view of this sink's own {@link #segment()}.
     *
     * @param source the bytes to append
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed, or if {@code source} is not
     *     accessible (its arena is closed); the sink is then unchanged
     * @throws WrongThreadException if {@code source} is confined to another thread; the sink is
     *     then unchanged
     */
    public void write(MemorySegment source) throws CodecException {
        ensureOpen();
        long length = source.byteSize();
        long at = size;
        Arena retired = null;
        if (length > capacity - at) {
            retired = grow(at, length);
        }
        try {
            MemorySegment.copy(source, 0, segment, at, length);
        } finally {
            if (retired != null) {
                retired.close();
            }
        }
        size = at + length;
    }

    /**
     * Reserves {@code n} zero bytes at the end, typically for a header patched later with
     * {@link #writeIntAt} or {@link #writeLongAt}.
     *
     * @param n number of bytes to reserve, {@code >= 0}
     * @return the position of the first reserved byte (the size before the call)
     * @throws IllegalArgumentException if {@code n < 0}
     * @throws CodecException if the sink would exceed its maximum capacity
     * @throws IllegalStateException if the sink is closed
     */
    public long skip(int n) throws CodecException {
        if (n < 0) {
            throw new IllegalArgumentException("n < 0: " + n);
        }
        long at = reserve(n);
        segment.asSlice(at, n).fill((byte) 0);
        return at;
    }

    /**
     * Returns the written bytes, {@code [0, size())}, as a view of the sink's buffer (no copy).
     * See the class comment for how long the view stays valid.
     *
     * @return a segment of {@link #size()} bytes
     * @throws IllegalStateException if the sink is closed
     */
    public MemorySegment segment() {
        ensureOpen();
        return segment.asSlice(0, size);
    }

    /**
     * Returns an {@link OutputStream} that appends to this sink with no intermediate copy (for
     * example under an {@link java.io.ObjectOutputStream}). Its {@code write} methods throw
     * {@link CodecException} when the sink would exceed its maximum capacity and
     * {@link IllegalStateException} once the sink is closed; its {@code flush()} and
     * {@code close()} do nothing (closing the stream does not close the sink). The same stream
     * object is returned on every call; it is no more thread-safe than the sink.
     *
     * @return a stream writing into this sink
     * @throws IllegalStateException if the sink is closed
     */
    public OutputStream asOutputStream() {
        ensureOpen();
        OutputStream s = stream;
        if (s == null) {
            s = new SinkOutputStream();
            stream = s;
        }
        return s;
    }

    /**
     * Frees the native memory. Idempotent: later calls do nothing. Afterwards every other method
     * throws {@link IllegalStateException}, and segments returned by {@link #segment()} are no
     * longer accessible.
     */
    @Override
    public void close() {
        if (segment == null) {
            return;
        }
        segment = null;
        size = 0;
        capacity = 0;
        allocation.closedByOwner = true;
        cleanable.clean();
    }

    @Override
    public String toString() {
        return segment == null
                ? "ByteSink[closed]"
                : "ByteSink[size=" + size + ", capacity=" + capacity + ", max=" + maxCapacity + "]";
    }

    private void ensureOpen() {
        if (segment == null) {
            throw new IllegalStateException("ByteSink is closed");
        }
    }

    /** Makes room for n more bytes, advances size by n and returns where they start. */
    private long reserve(long n) throws CodecException {
        ensureOpen();
        long at = size;
        if (n > capacity - at) {
            grow(at, n).close();
        }
        size = at + n;
        return at;
    }

    /**
     * Replaces the buffer with a larger one holding the first {@code used} bytes and returns
     * the old buffer's arena, which the caller must close.
     */
    private Arena grow(long used, long extra) throws CodecException {
        if (extra > maxCapacity - used) {
            throw new CodecException("ByteSink cannot grow to " + (used + extra)
                    + " bytes: its maximum capacity is " + maxCapacity
                    + " bytes (set with new ByteSink(initialCapacity, maxCapacity))");
        }
        long needed = used + extra;
        long doubled = capacity > maxCapacity / 2 ? maxCapacity : Math.max(MIN_GROWN_CAPACITY, capacity * 2);
        long newCapacity = Math.max(needed, Math.min(doubled, maxCapacity));
        Arena arena = Arena.ofShared();
        MemorySegment bigger;
        try {
            bigger = arena.allocate(newCapacity, ALIGNMENT);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        MemorySegment.copy(segment, 0, bigger, 0, used);
        Arena retired = allocation.arena;
        allocation.arena = arena;
        allocation.capacity = newCapacity;
        segment = bigger;
        capacity = newCapacity;
        return retired;
    }

    /** The sink's current arena, shared with the Cleaner action (which must not see the sink). */
    private static final class Allocation implements Runnable {
        Arena arena;
        long capacity;
        boolean closedByOwner;

        Allocation(Arena arena, long capacity) {
            this.arena = arena;
            this.capacity = capacity;
        }

        @Override
        public void run() {
            if (!closedByOwner) {
                org.multiprocessing4j.internal.LeakReports.report(ByteSink.class,
                        "ByteSink of " + capacity + " bytes was not closed; freed by the Cleaner");
            }
            arena.close();
        }
    }

    private static final class CleanerHolder {
        static final Cleaner CLEANER = Cleaner.create();
    }

    private final class SinkOutputStream extends OutputStream {
        @Override
        public void write(int b) throws CodecException {
            writeByte(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws CodecException {
            ByteSink.this.write(b, off, len);
        }
    }
}
