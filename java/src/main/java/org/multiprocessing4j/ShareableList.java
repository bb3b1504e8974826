package org.multiprocessing4j;

import static org.multiprocessing4j.internal.shm.ShareableListLayout.ALIGNMENT;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.CODE_BYTES;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.CODE_NONE;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.CODE_STR;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.CODE_VALUE;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.FORMAT_BOOL;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.FORMAT_FLOAT;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.FORMAT_INT;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.FORMAT_NONE;
import static org.multiprocessing4j.internal.shm.ShareableListLayout.FORMAT_SIZE;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import org.multiprocessing4j.internal.shm.ShareableListLayout;

/**
 * A fixed-length list of simple values in one named {@link SharedMemory} block, with CPython's
 * exact layout ({@code multiprocessing.shared_memory.ShareableList}, see
 * {@code ShareableListLayout}): a Java and a Python process share one by name, in either
 * direction, on the same machine.
 *
 * <h2>Items</h2>
 * <table>
 * <caption>What an item is on each side</caption>
 * <tr><th>Python</th><th>{@link #get} returns</th><th>{@link #set} accepts</th></tr>
 * <tr><td>{@code int} (64-bit)</td><td>{@link Long}</td><td>{@code Long}, {@code Integer},
 *     {@code Short}, {@code Byte}</td></tr>
 * <tr><td>{@code float}</td><td>{@link Double}</td><td>{@code Double}, {@code Float}</td></tr>
 * <tr><td>{@code bool}</td><td>{@link Boolean}</td><td>{@code Boolean}</td></tr>
 * <tr><td>{@code str}</td><td>{@link String}</td><td>{@code String} (stored as UTF-8)</td></tr>
 * <tr><td>{@code bytes}</td><td>{@code byte[]} (a copy)</td><td>{@code byte[]}</td></tr>
 * <tr><td>{@code None}</td><td>{@code null}</td><td>{@code null}</td></tr>
 * </table>
 * Python's rules hold: the length never changes ({@code add}/{@code remove} throw
 * {@link UnsupportedOperationException}); an item may change type; a str or bytes value must fit
 * the slot its item got at creation ({@code 8 * (len / 8 + 1)} bytes for a str or bytes of
 * {@code len} encoded bytes, 8 bytes for anything else); trailing NUL characters/bytes of a str or
 * bytes value are lost. Indexes follow {@link List}: {@code 0 <= i < size()}, no negative
 * indexes. {@link #indexOf}, {@link #contains} and {@link #count} compare {@code byte[]} by
 * content and integral/floating Java numbers as the {@code Long}/{@code Double} they are stored
 * as; unlike Python, {@code 1L}, {@code 1.0} and {@code true} are different values.
 *
 * <h2>Concurrency</h2>
 * Reading and writing an item are several plain memory accesses (its format, its code, its
 * value), so an item set concurrently — by any thread or process, Python included — may be read
 * torn. Guard items that change concurrently with a shared lock, as in Python. No method blocks.
 * {@link #close()} and {@link #unlink()} are those of the underlying block ({@link #shm()}).
 *
 * <h2>Lifetime, other processes dying</h2>
 * As for any named {@link SharedMemory}: the creator unlinks; if the creating JVM dies first, its
 * tracker removes the name; a process that attached never removes it. A process that dies while
 * attached changes nothing for the others. Captured by a {@link Task}, a list travels to the
 * child as its block's descriptor and is usable there even after its name was unlinked.
 */
public final class ShareableList extends AbstractList<Object>
        implements RandomAccess, AutoCloseable, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The block; travels to a child as an inherited descriptor (see TaskStreams). */
    @SuppressWarnings("serial")
    private final SharedMemory shm;
    private transient int n;
    private transient long[] slots; // n + 1 slot offsets, relative to the data area
    private transient long dataOffset;
    private transient long formatsOffset;
    private transient long codesOffset;

    private ShareableList(SharedMemory shm) throws IOException {
        this.shm = shm;
        readHeader();
    }

    /**
     * Creates a list holding {@code values} in a new named block with a generated name (Python's
     * {@code ShareableList(values)}).
     *
     * @param values the items; see the class comment for the accepted types
     * @return the list; {@link #name()} is what other processes attach to
     * @throws IllegalArgumentException if an item has an unsupported type
     * @throws IOException if the block cannot be created
     */
    public static ShareableList create(List<?> values) throws IOException {
        Encoded e = Encoded.of(values);
        return fill(SharedMemory.createNamed(e.totalSize()), e);
    }

    /**
     * Creates a list holding {@code values} in a new block named {@code name} (Python's
     * {@code ShareableList(values, name=name)}).
     *
     * @param name see {@link SharedMemory#create(String, long)}
     * @param values the items; see the class comment for the accepted types
     * @return the list
     * @throws IllegalArgumentException if the name is invalid or an item has an unsupported type
     * @throws java.nio.file.FileAlreadyExistsException if the name exists
     * @throws IOException if the block cannot be created
     */
    public static ShareableList create(String name, List<?> values) throws IOException {
        Encoded e = Encoded.of(values);
        return fill(SharedMemory.create(name, e.totalSize()), e);
    }

    /**
     * Attaches to an existing list by name (Python's {@code ShareableList(name=name)}), created by
     * Java or Python. Attaching never makes this process responsible for the name.
     *
     * @param name the block's name, with or without a leading {@code /}
     * @return the list
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws java.nio.file.AccessDeniedException see {@link SharedMemory#attach(String)}
     * @throws IOException if the block is not laid out as a ShareableList
     */
    public static ShareableList attach(String name) throws IOException {
        SharedMemory shm = SharedMemory.attach(name);
        try {
            return new ShareableList(shm);
        } catch (IOException | RuntimeException e) {
            shm.close();
            throw e;
        }
    }

    private static ShareableList fill(SharedMemory shm, Encoded e) throws IOException {
        try {
            MemorySegment m = shm.segment();
            int n = e.formats.length;
            m.set(ValueLayout.JAVA_LONG, ShareableListLayout.COUNT_OFFSET, n);
            for (int i = 0; i <= n; i++) {
                m.set(ValueLayout.JAVA_LONG, ShareableListLayout.SLOT_OFFSETS_OFFSET + 8L * i,
                        e.slots[i]);
            }
            long data = ShareableListLayout.dataOffset(n);
            long k = e.slots[n];
            for (int i = 0; i < n; i++) {
                writeFormat(m, ShareableListLayout.formatsOffset(n, k) + (long) FORMAT_SIZE * i,
                        e.formats[i]);
                m.set(ValueLayout.JAVA_BYTE, ShareableListLayout.codesOffset(n, k) + i, e.codes[i]);
                writeValue(m, data + e.slots[i], e.formats[i], e.values[i]);
            }
            return new ShareableList(shm);
        } catch (IOException | RuntimeException ex) {
            try {
                shm.unlink();
            } catch (IOException | RuntimeException suppressed) {
                ex.addSuppressed(suppressed);
            }
            shm.close();
            throw ex;
        }
    }

    private void readHeader() throws IOException {
        MemorySegment m = shm.segment();
        long size = shm.size();
        if (size < 16) {
            throw notAList(shm.size() + " bytes are too few");
        }
        long count = m.get(ValueLayout.JAVA_LONG, ShareableListLayout.COUNT_OFFSET);
        String bad = ShareableListLayout.check(count, null, size);
        if (bad != null) {
            throw notAList(bad);
        }
        long[] s = new long[(int) count + 1];
        for (int i = 0; i <= count; i++) {
            s[i] = m.get(ValueLayout.JAVA_LONG, ShareableListLayout.SLOT_OFFSETS_OFFSET + 8L * i);
        }
        bad = ShareableListLayout.check(count, s, size);
        if (bad != null) {
            throw notAList(bad);
        }
        this.n = (int) count;
        this.slots = s;
        this.dataOffset = ShareableListLayout.dataOffset(count);
        this.formatsOffset = ShareableListLayout.formatsOffset(count, s[n]);
        this.codesOffset = ShareableListLayout.codesOffset(count, s[n]);
    }

    private IOException notAList(String why) {
        return new IOException("shared memory " + shm.name().orElse("(anonymous)")
                + " is not a ShareableList: " + why);
    }

    /**
     * Rebuilds the cached header in the child, from the inherited block.
     *
     * @param in the stream
     * @throws IOException if the stream is unreadable or the block is not a ShareableList
     * @throws ClassNotFoundException never for the fields of this class
     */
    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        readHeader();
    }

    // ------------------------------------------------------------------ List

    /** {@return the number of items, fixed at creation} */
    @Override
    public int size() {
        return n;
    }

    /**
     * {@return item {@code index}, read now from shared memory} See the class comment for the
     * types.
     *
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     * @throws IllegalStateException if the list is closed, or the item's format is not one of
     *     Python's
     */
    @Override
    public Object get(int index) {
        Objects.checkIndex(index, n);
        MemorySegment m = shm.segment();
        String format = format(m, index);
        byte code = m.get(ValueLayout.JAVA_BYTE, codesOffset + index);
        long at = dataOffset + slots[index];
        Object raw = switch (format) {
            case FORMAT_INT -> m.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
            case FORMAT_FLOAT -> m.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at);
            case FORMAT_BOOL -> m.get(ValueLayout.JAVA_BYTE, at + 7) != 0;
            case FORMAT_NONE -> m.get(ValueLayout.JAVA_BYTE, at + 6) != 0;
            default -> {
                long len = stringLength(format, index);
                byte[] b = m.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE);
                yield code == CODE_STR || code == CODE_BYTES ? stripNuls(b) : b;
            }
        };
        return switch (code) {
            case CODE_VALUE -> raw;
            case CODE_STR -> new String(asBytes(raw, index), StandardCharsets.UTF_8);
            case CODE_BYTES -> asBytes(raw, index);
            case CODE_NONE -> null;
            default -> throw new IllegalStateException("item " + index
                    + " has back-transform code " + code + ", not one of Python's (0..3)");
        };
    }

    /**
     * Replaces item {@code index} (Python's {@code sl[index] = value}): writes its format, its
     * type code, then its value.
     *
     * @return the previous item
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     * @throws IllegalArgumentException if {@code value} has an unsupported type, or is a str or
     *     bytes longer than the item's slot (Python's ValueError "exceeds available storage")
     * @throws IllegalStateException if the list is closed
     */
    @Override
    public Object set(int index, Object value) {
        Objects.checkIndex(index, n);
        Object v = normalize(value);
        MemorySegment m = shm.segment();
        long allocated = slots[index + 1] - slots[index];
        String format;
        byte code;
        if (v instanceof byte[] b) {
            if (b.length > allocated) {
                throw new IllegalArgumentException("item " + index + ": " + b.length
                        + " bytes exceed the slot's " + allocated + " bytes (Python: bytes/str item"
                        + " exceeds available storage)");
            }
            long current = currentStringLength(m, index);
            format = current >= b.length ? format(m, index)
                    : ShareableListLayout.stringFormat(allocated);
            code = value instanceof String ? CODE_STR : CODE_BYTES;
        } else {
            format = formatOf(v);
            code = v == null ? CODE_NONE : CODE_VALUE;
        }
        Object previous;
        try {
            previous = get(index);
        } catch (IllegalStateException unreadable) {
            previous = null; // a torn or foreign item: overwrite it all the same
        }
        writeFormat(m, formatsOffset + (long) FORMAT_SIZE * index, format);
        m.set(ValueLayout.JAVA_BYTE, codesOffset + index, code);
        writeValue(m, dataOffset + slots[index], format, v);
        return previous;
    }

    /** {@inheritDoc} Compares {@code byte[]} by content; see the class comment. */
    @Override
    public int indexOf(Object o) {
        Object probe = comparable(o);
        for (int i = 0; i < n; i++) {
            if (same(probe, get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** {@inheritDoc} Compares {@code byte[]} by content; see the class comment. */
    @Override
    public int lastIndexOf(Object o) {
        Object probe = comparable(o);
        for (int i = n - 1; i >= 0; i--) {
            if (same(probe, get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** {@inheritDoc} Compares {@code byte[]} by content; see the class comment. */
    @Override
    public boolean contains(Object o) {
        return indexOf(o) >= 0;
    }

    /**
     * Counts the items equal to {@code value} (Python's {@code count}), comparing as
     * {@link #indexOf} does.
     *
     * @param value the value to look for; {@code null} counts None items
     * @return how many items equal it
     * @throws IllegalStateException if the list is closed
     */
    public int count(Object value) {
        Object probe = comparable(value);
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (same(probe, get(i))) {
                c++;
            }
        }
        return c;
    }

    /**
     * {@return the struct formats of all items, concatenated} (Python's {@code format}, for
     * example {@code "qd8sxxxxxxx?"})
     *
     * @throws IllegalStateException if the list is closed
     */
    public String format() {
        MemorySegment m = shm.segment();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(format(m, i));
        }
        return sb.toString();
    }

    /** {@return the block's name without its leading {@code /}} */
    public String name() {
        return shm.name().orElseThrow();
    }

    /** {@return the block holding the list (Python's {@code .shm})} */
    public SharedMemory shm() {
        return shm;
    }

    /** Unmaps this process's view; see {@link SharedMemory#close()}. Idempotent. */
    @Override
    public void close() {
        shm.close();
    }

    /**
     * Removes the name; see {@link SharedMemory#unlink()}.
     *
     * @throws java.nio.file.NoSuchFileException if the name was already removed
     * @throws IOException on any other error
     */
    public void unlink() throws IOException {
        shm.unlink();
    }

    @Override
    public String toString() {
        if (shm.isClosed()) {
            return "ShareableList[closed, name=" + name() + "]";
        }
        StringBuilder sb = new StringBuilder("ShareableList[");
        for (int i = 0; i < n; i++) {
            Object v = get(i);
            sb.append(i == 0 ? "" : ", ").append(v instanceof byte[] b ? "b" + Arrays.toString(b)
                    : v instanceof String s ? "'" + s + "'" : String.valueOf(v));
        }
        return sb.append("], name=").append(name()).toString();
    }

    // ------------------------------------------------------------------ encoding

    /** The items of a new list, encoded. */
    private record Encoded(String[] formats, byte[] codes, Object[] values, long[] slots) {
        static Encoded of(List<?> values) {
            int n = values.size();
            String[] formats = new String[n];
            byte[] codes = new byte[n];
            Object[] vs = new Object[n];
            long[] slots = new long[n + 1];
            for (int i = 0; i < n; i++) {
                Object original = values.get(i);
                Object v = normalize(original);
                vs[i] = v;
                long slot;
                if (v instanceof byte[] b) {
                    slot = ShareableListLayout.stringSlotSize(b.length);
                    formats[i] = ShareableListLayout.stringFormat(slot);
                    codes[i] = original instanceof String ? CODE_STR : CODE_BYTES;
                } else {
                    slot = ALIGNMENT;
                    formats[i] = formatOf(v);
                    codes[i] = v == null ? CODE_NONE : CODE_VALUE;
                }
                slots[i + 1] = slots[i] + slot;
            }
            return new Encoded(formats, codes, vs, slots);
        }

        long totalSize() {
            int n = formats.length;
            return ShareableListLayout.totalSize(n, slots[n]);
        }
    }

    /** Long, Double, Boolean, byte[] (str as UTF-8, bytes copied) or null; else throws. */
    private static Object normalize(Object v) {
        return switch (v) {
            case null -> null;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Double d -> d;
            case Float f -> (double) f;
            case Boolean b -> b;
            case String s -> s.getBytes(StandardCharsets.UTF_8);
            case byte[] b -> b.clone();
            default -> throw new IllegalArgumentException("a ShareableList holds Long, Integer,"
                    + " Short, Byte, Double, Float, Boolean, String, byte[] or null, not "
                    + v.getClass().getName());
        };
    }

    /** What a stored item compares as: numbers widened, everything else itself. */
    private static Object comparable(Object v) {
        return switch (v) {
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Float f -> (double) f;
            case null, default -> v;
        };
    }

    private static boolean same(Object probe, Object item) {
        if (probe instanceof byte[] a && item instanceof byte[] b) {
            return Arrays.equals(a, b);
        }
        return Objects.equals(probe, item);
    }

    private static String formatOf(Object v) {
        return switch (v) {
            case null -> FORMAT_NONE;
            case Long l -> FORMAT_INT;
            case Double d -> FORMAT_FLOAT;
            case Boolean b -> FORMAT_BOOL;
            default -> throw new AssertionError(v.getClass());
        };
    }

    private String format(MemorySegment m, int index) {
        long at = formatsOffset + (long) FORMAT_SIZE * index;
        byte[] raw = m.asSlice(at, FORMAT_SIZE).toArray(ValueLayout.JAVA_BYTE);
        return new String(stripNuls(raw), StandardCharsets.US_ASCII);
    }

    /** {@return the length of item {@code index}'s current "Ns" format, or -1 if it has none} */
    private long currentStringLength(MemorySegment m, int index) {
        String format = format(m, index);
        if (!format.endsWith("s")) {
            return -1;
        }
        try {
            return stringLength(format, index);
        } catch (IllegalStateException notOurs) {
            return -1;
        }
    }

    private long stringLength(String format, int index) {
        long len = -1;
        if (format.length() > 1 && format.endsWith("s")) {
            try {
                len = Long.parseLong(format, 0, format.length() - 1, 10);
            } catch (NumberFormatException e) {
                len = -1;
            }
        }
        if (len < 0 || dataOffset + slots[index] + len > formatsOffset) {
            throw new IllegalStateException("item " + index + " has format '" + format
                    + "', not one of Python's ShareableList formats for its slot");
        }
        return len;
    }

    private static byte[] asBytes(Object raw, int index) {
        if (raw instanceof byte[] b) {
            return b;
        }
        throw new IllegalStateException("item " + index + " is marked str/bytes but its format"
                + " holds a " + raw.getClass().getSimpleName());
    }

    private static byte[] stripNuls(byte[] b) {
        int end = b.length;
        while (end > 0 && b[end - 1] == 0) {
            end--;
        }
        return end == b.length ? b : Arrays.copyOf(b, end);
    }

    private static void writeFormat(MemorySegment m, long at, String format) {
        byte[] f = format.getBytes(StandardCharsets.US_ASCII);
        MemorySegment slot = m.asSlice(at, FORMAT_SIZE);
        slot.fill((byte) 0);
        MemorySegment.copy(f, 0, slot, ValueLayout.JAVA_BYTE, 0, f.length);
    }

    /** Writes what Python's {@code struct.pack_into(format, buf, at, value)} writes. */
    private static void writeValue(MemorySegment m, long at, String format, Object v) {
        switch (format) {
            case FORMAT_INT -> m.set(ValueLayout.JAVA_LONG_UNALIGNED, at, (Long) v);
            case FORMAT_FLOAT -> m.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, at, (Double) v);
            case FORMAT_BOOL -> {
                m.asSlice(at, 8).fill((byte) 0);
                m.set(ValueLayout.JAVA_BYTE, at + 7, (Boolean) v ? (byte) 1 : 0);
            }
            case FORMAT_NONE -> m.asSlice(at, 8).fill((byte) 0);
            default -> {
                byte[] b = (byte[]) v;
                long len = Long.parseLong(format, 0, format.length() - 1, 10);
                MemorySegment slot = m.asSlice(at, len);
                MemorySegment.copy(b, 0, slot, ValueLayout.JAVA_BYTE, 0, b.length);
                slot.asSlice(b.length).fill((byte) 0);
            }
        }
    }
}
