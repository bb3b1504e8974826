package org.multiprocessing4j.internal.shm;

/**
 * CPython's {@code multiprocessing.shared_memory.ShareableList} layout (3.8 to 3.13, unchanged),
 * so that a Java and a Python process can share one list by name. For a list of {@code N} items
 * whose data area is {@code K} bytes ({@code D = (N + 2) * 8}):
 * <pre>
 * off          size       field                                   written by
 * 0            8          N, the item count (int64, native order) creator
 * 8            8*(N+1)    slot offsets into the data area:        creator
 *                         off[0] = 0, off[N] = K; slot i is
 *                         off[i+1] - off[i] bytes, a multiple of 8
 * D            K          the items' values, slot after slot      any writer
 * D+K          8*N        item i's struct format, ASCII,          any writer
 *                         NUL-padded to 8 bytes
 * D+K+8N       N          item i's back-transform code (int8)     any writer
 * D+K+9N       -          end (the block is exactly this size)
 * </pre>
 * Formats and codes by item type ({@code struct} native mode; values in native byte order):
 * <pre>
 * type   format        code  bytes written in the slot
 * int    "q"           0     8: int64
 * float  "d"           0     8: IEEE double
 * bool   "xxxxxxx?"    0     8: seven zero bytes, then 0 or 1
 * None   "xxxxxx?x"    3     8: all zero
 * str    "&lt;n&gt;s"        1     n: UTF-8, NUL-padded (trailing NULs are lost on reading)
 * bytes  "&lt;n&gt;s"        2     n: the bytes, NUL-padded (likewise)
 * </pre>
 * A new str or bytes item gets a slot of {@code 8 * (len / 8 + 1)} bytes, {@code len} being its
 * encoded length (CPython before the fix of gh-88336 counted characters, which is the same for
 * ASCII and truncated other text); every other item 8 bytes. Setting an item rewrites its
 * format, then its code, then its value, so an item may change type; a str or bytes value must
 * fit the slot allocated at creation.
 *
 * <p>There is no magic or version word: the layout is CPython's, not ours. {@link #check} rejects
 * a block whose header is inconsistent with its size instead.
 */
public final class ShareableListLayout {
    /** Offset of the item count. */
    public static final long COUNT_OFFSET = 0;
    /** Offset of the first slot offset. */
    public static final long SLOT_OFFSETS_OFFSET = 8;
    /** Bytes per format entry. */
    public static final int FORMAT_SIZE = 8;
    /** Slot granularity, and the size of every non-str/bytes slot. */
    public static final int ALIGNMENT = 8;

    /** Back-transform code of int, float and bool items. */
    public static final byte CODE_VALUE = 0;
    /** Back-transform code of str items. */
    public static final byte CODE_STR = 1;
    /** Back-transform code of bytes items. */
    public static final byte CODE_BYTES = 2;
    /** Back-transform code of None items. */
    public static final byte CODE_NONE = 3;

    /** Format of an int item. */
    public static final String FORMAT_INT = "q";
    /** Format of a float item. */
    public static final String FORMAT_FLOAT = "d";
    /** Format of a bool item: the value is the last byte. */
    public static final String FORMAT_BOOL = "xxxxxxx?";
    /** Format of a None item. */
    public static final String FORMAT_NONE = "xxxxxx?x";

    private ShareableListLayout() {
    }

    /** {@return the offset of the data area of a list of {@code n} items} */
    public static long dataOffset(long n) {
        return (n + 2) * 8;
    }

    /** {@return the offset of item 0's format, given the data area's length {@code k}} */
    public static long formatsOffset(long n, long k) {
        return dataOffset(n) + k;
    }

    /** {@return the offset of item 0's back-transform code} */
    public static long codesOffset(long n, long k) {
        return formatsOffset(n, k) + FORMAT_SIZE * n;
    }

    /** {@return the size of the whole block (what Python's {@code struct.calcsize} computes)} */
    public static long totalSize(long n, long k) {
        return codesOffset(n, k) + n;
    }

    /** {@return the slot size Python allocates for a str or bytes item of {@code encodedLength} bytes} */
    public static long stringSlotSize(long encodedLength) {
        return ALIGNMENT * (encodedLength / ALIGNMENT + 1);
    }

    /** {@return the format of a str or bytes item in a slot of {@code length} bytes} */
    public static String stringFormat(long length) {
        return length + "s";
    }

    /**
     * Checks a header read from a block of {@code blockSize} bytes.
     *
     * @param n the item count read at {@link #COUNT_OFFSET}
     * @param slotOffsets the {@code n + 1} slot offsets, or {@code null} to check only {@code n}
     * @return {@code null} if consistent, else what is wrong
     */
    public static String check(long n, long[] slotOffsets, long blockSize) {
        if (n < 0 || n > Integer.MAX_VALUE - 8 || dataOffset(n) > blockSize) {
            return "item count " + n + " does not fit a block of " + blockSize + " bytes";
        }
        if (slotOffsets == null) {
            return null;
        }
        if (slotOffsets[0] != 0) {
            return "first slot offset is " + slotOffsets[0] + ", not 0";
        }
        for (int i = 0; i < n; i++) {
            if (slotOffsets[i + 1] < slotOffsets[i] + ALIGNMENT) {
                return "slot " + i + " spans " + slotOffsets[i] + ".." + slotOffsets[i + 1];
            }
        }
        long k = slotOffsets[(int) n];
        if (k > blockSize || totalSize(n, k) > blockSize) {
            return n + " items with " + k + " data bytes need " + totalSize(n, k)
                    + " bytes, the block has " + blockSize;
        }
        return null;
    }
}
