package org.multiprocessing4j.platform.windows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The wait-channel area a region reserves for this backend ({@code Platform.waitChannelBytes()}):
 * the id that names the region's semaphores, and sleeper counts so that a wake with nobody asleep
 * makes no system call. Pure: reads and writes the area, no native call; thread-safe (all shared
 * words are accessed atomically).
 *
 * <pre>
 * off   size  field          written by   access
 * 0x00  4     magic 'MP4W'   creator      plain, before the region is published
 * 0x04  4     version 1      creator      plain, before the region is published
 * 0x08  16    id             creator      plain, before: 128 random bits
 * 0x18  40    reserved
 * 0x40  4*32  sleepers[32]   sleepers     getAndAdd (volatile): +1 before the re-check, -1 after
 * 0xC0        end ({@link #BYTES})
 * </pre>
 *
 * <p>A word at offset {@code o} of the region (a multiple of 4) sleeps on the named semaphore
 * {@code Local\mp4j-w-<id in hex>-<o in hex>} ({@link #semaphoreName}), one per word, created by
 * whichever process first needs it and gone with the last handle; its sleepers are counted in
 * bucket {@code (o / 4) mod 32} ({@link #bucket}), shared by the words of that bucket.
 *
 * <p>Why no wake is lost: a sleeper adds itself to its bucket, then re-reads the word, and only
 * if it still holds the expected value waits on the semaphore; a waker has changed the word before
 * it reads the bucket (both volatile, so totally ordered), so either the sleeper's re-read sees the
 * new value or the waker sees the sleeper counted and releases the semaphore, whose count keeps
 * the release until the sleeper waits. A release meant for another word of the bucket, or for a
 * sleeper that timed out, leaves a permit that wakes a later sleeper of that word once, early
 * (the contract allows spurious returns; callers re-check).
 */
final class WindowsWaitArea {
    /** Bytes of the area, a multiple of 64. */
    static final long BYTES = 0xC0;
    /** "MP4W", little-endian. */
    static final int MAGIC = 0x5734504D;
    static final int VERSION = 1;
    static final long ID_OFFSET = 0x08;
    static final int ID_BYTES = 16;
    static final long SLEEPERS_OFFSET = 0x40;
    static final int BUCKETS = 32;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private static final class Random {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    private WindowsWaitArea() {
    }

    /**
     * Initializes a zeroed area with a fresh random id.
     *
     * @param area the area, {@link #BYTES} bytes
     */
    static void init(MemorySegment area) {
        byte[] id = new byte[ID_BYTES];
        Random.INSTANCE.nextBytes(id);
        init(area, id);
    }

    /** Initializes a zeroed area with {@code id}; for tests. */
    static void init(MemorySegment area, byte[] id) {
        check(area);
        if (id.length != ID_BYTES) {
            throw new IllegalArgumentException("an area id has " + ID_BYTES + " bytes, not " + id.length);
        }
        area.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, MAGIC);
        area.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4, VERSION);
        MemorySegment.copy(id, 0, area, ValueLayout.JAVA_BYTE, ID_OFFSET, ID_BYTES);
    }

    private static void check(MemorySegment area) {
        if (area.byteSize() < BYTES) {
            throw new IllegalArgumentException("a Windows wait-channel area is " + BYTES + " bytes: " + area);
        }
    }

    /**
     * {@return the area's id in hex, as semaphore names use it}
     *
     * @throws IllegalStateException if the area was not initialized by this backend (magic or
     *     version differ)
     */
    static String id(MemorySegment area) {
        int magic = area.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
        int version = area.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4);
        if (magic != MAGIC || version != VERSION) {
            throw new IllegalStateException(String.format(
                    "not a Windows wait-channel area: magic 0x%08x version %d (expected 0x%08x version %d)",
                    magic, version, MAGIC, VERSION));
        }
        return HexFormat.of().formatHex(area.asSlice(ID_OFFSET, ID_BYTES).toArray(ValueLayout.JAVA_BYTE));
    }

    /**
     * {@return the bucket of the word at {@code wordOffset} in the region}
     *
     * @throws IllegalArgumentException if the offset is negative or not a multiple of 4
     */
    static int bucket(long wordOffset) {
        if (wordOffset < 0 || (wordOffset & 3) != 0) {
            throw new IllegalArgumentException("not the offset of an aligned 4-byte word: " + wordOffset);
        }
        return (int) ((wordOffset >>> 2) % BUCKETS);
    }

    /** {@return the offset in the area of {@code bucket}'s sleeper count} */
    static long sleepersOffset(int bucket) {
        return SLEEPERS_OFFSET + 4L * bucket;
    }

    /** Adds {@code delta} to the sleepers of {@code bucket}; returns the previous count. */
    static int addSleepers(MemorySegment area, int bucket, int delta) {
        return (int) INT.getAndAdd(area, sleepersOffset(bucket), delta);
    }

    /** {@return the sleepers of {@code bucket} (volatile read)} */
    static int sleepers(MemorySegment area, int bucket) {
        return (int) INT.getVolatile(area, sleepersOffset(bucket));
    }

    /** {@return the name of the semaphore of the word at {@code wordOffset} of the region whose area id is {@code id}} */
    static String semaphoreName(String id, long wordOffset) {
        bucket(wordOffset);
        return WindowsMemoryNames.NAMESPACE + "mp4j-w-" + id + "-" + Long.toHexString(wordOffset);
    }
}
