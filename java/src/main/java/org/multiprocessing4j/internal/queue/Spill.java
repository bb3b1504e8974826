package org.multiprocessing4j.internal.queue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Function;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Platform;

/**
 * Names of the segments that hold records too large for a slot. A reference, stored in the slot
 * (see {@link QueueLayout}), holds the record's size and 16 bytes: a key of the queue (the inode
 * of its memory, top bit set if it is named; 8 bytes, big-endian), so that all the spill segments
 * of one queue share a name prefix, then 8 random bytes. The name is {@code mp4j-q-} followed by
 * those 16 bytes, written in 32 hex digits where the backend's names may be that long (39
 * characters; Linux), else in two groups of 11 URL-safe base64 characters (29 characters: macOS
 * allows 30 after the {@code /}). Whoever knows a queue can so find every segment it may have
 * left ({@link #prefix}); the shared-memory tracker ({@code ShmTracker}) removes them once no
 * process has the queue any more (the producer's JVM asks it to, see {@code SharedQueue}). The
 * producer stores the reference in its claimed slot <em>before</em> creating the segment, and
 * the consumer removes the name before it frees the slot, so whoever recovers a dead owner's
 * claim finds the name to remove ({@link #discard}); a stale reference from an earlier lap names
 * a segment that is already gone, which is harmless.
 */
public final class Spill {
    /** Prefix of every spill segment name. */
    public static final String PREFIX = "mp4j-q-";
    private static final Platform OS = Platform.current();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Spill() {
    }

    /**
     * {@return a new reference to a record of {@code size} bytes in the queue of key
     * {@code queueKey}: int64 size, the key (big-endian) and 8 random bytes}
     */
    public static MemorySegment newReference(long queueKey, long size) {
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        MemorySegment ref = MemorySegment.ofArray(new byte[QueueLayout.SPILL_REFERENCE_SIZE]);
        ref.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, size);
        ref.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 8, queueKey);
        MemorySegment.copy(id, 0, ref, ValueLayout.JAVA_BYTE, 16, 8);
        return ref;
    }


    /** {@return the record size a reference holds} */
    public static long size(MemorySegment reference) {
        return reference.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /** This backend's rules, read once. */
    private static final MemoryNames NAMES = OS.memoryNames();

    /** {@return the segment name a reference holds, without a leading {@code /}} */
    public static String name(MemorySegment reference) {
        return name(reference, NAMES);
    }

    /**
     * {@return the segment name a reference holds under a backend's {@code rules}, without a
     * leading {@code /}: hex where the names may be 39 characters long, else base64}
     *
     * @throws IllegalStateException if the rules allow fewer than 29 characters
     */
    public static String name(MemorySegment reference, MemoryNames rules) {
        byte[] id = reference.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
        return hex(rules) ? PREFIX + HexFormat.of().formatHex(id)
                : PREFIX + base64(id, 0) + base64(id, 8);
    }

    /**
     * {@return what the names of every spill segment of the queue of key {@code queueKey} start
     * with (no other queue's names start with it)}
     */
    public static String prefix(long queueKey) {
        return prefix(queueKey, NAMES);
    }

    /** {@return {@link #prefix(long)} under a backend's {@code rules}} */
    public static String prefix(long queueKey, MemoryNames rules) {
        byte[] key = new byte[8];
        MemorySegment.ofArray(key).set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN),
                0, queueKey);
        return hex(rules) ? PREFIX + HexFormat.of().formatHex(key) : PREFIX + base64(key, 0);
    }

    private static boolean hex(MemoryNames rules) {
        if (rules.maxLength() >= PREFIX.length() + 32) {
            return true;
        }
        if (rules.maxLength() < PREFIX.length() + 22) {
            throw new IllegalStateException("shared memory names of at most " + rules.maxLength()
                    + " characters cannot hold a spill name (" + (PREFIX.length() + 22) + ")");
        }
        return false;
    }

    /** {@return 8 bytes from {@code offset} in 11 URL-safe base64 characters} */
    private static String base64(byte[] bytes, int offset) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.util.Arrays.copyOfRange(bytes, offset, offset + 8));
    }

    /**
     * Creates the segment a reference names (mode 0600, {@code O_EXCL}) and copies
     * {@code record} (at least one byte) into it. On failure nothing is left behind. The name is
     * deliberately not given to {@code SharedMemory}'s tracker: that would remove a committed
     * record when its producer exits; the reference in the slot is what recovery uses.
     *
     * @throws IOException if the segment cannot be created or its memory reserved
     */
    public static void write(MemorySegment reference, MemorySegment record) throws IOException {
        String name = "/" + name(reference);
        long size = record.byteSize();
        var fd = OS.createNamedMemory(name, size);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment.copy(record, 0, OS.map(fd, size, arena), 0, size);
        } catch (IOException | RuntimeException | Error e) {
            discard(reference);
            throw e;
        } finally {
            OS.close(fd);
        }
    }

    /**
     * Maps the segment a reference names and applies {@code reader} to its record bytes (valid
     * only during the call). Does not remove it.
     *
     * @throws java.nio.file.NoSuchFileException if the segment is gone
     * @throws IOException if it is shorter than the record, cannot be mapped, or the reference
     *     holds an impossible size (corrupt shared memory)
     */
    public static <T> T read(MemorySegment reference, Function<MemorySegment, T> reader) throws IOException {
        String name = "/" + name(reference);
        long size = size(reference);
        if (size <= 0) {
            throw new IOException("the reference to spilled record " + name + " holds a size of "
                    + size + " bytes: the queue's shared memory is corrupt");
        }
        var fd = OS.openNamedMemory(name, false);
        try (Arena arena = Arena.ofConfined()) {
            long actual = OS.status(fd).size();
            if (actual < size) {
                throw new IOException("spilled record " + name + " holds " + actual
                        + " bytes, expected " + size);
            }
            return reader.apply(OS.map(fd, size, arena));
        } finally {
            OS.close(fd);
        }
    }

    /** Removes the segment a reference names; a segment that is already gone is not an error. */
    public static void discard(MemorySegment reference) {
        try {
            OS.unlinkNamedMemory("/" + name(reference));
        } catch (NoSuchFileException e) {
            // consumed, or never created
        } catch (IOException e) {
            System.getLogger(Spill.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot remove spilled queue record " + name(reference), e);
        }
    }
}
