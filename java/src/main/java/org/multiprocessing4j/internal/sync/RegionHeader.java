package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemorySegment;

/**
 * The first 8 bytes of every synchronization region: a magic number naming the kind of region,
 * then the layout version. The creator writes the version (and any configuration) with plain
 * stores and the magic LAST with a release store, so a process that reads the magic with an
 * acquire load sees a fully initialized region; the magic doubles as the "ready" word.
 *
 * <pre>
 * off   size  field     written by  access
 * 0x00  4     magic     creator     release store, LAST
 * 0x04  4     version   creator     plain, before magic
 * </pre>
 */
public final class RegionHeader {
    /** Offset of the magic. */
    public static final long MAGIC = 0x00;
    /** Offset of the layout version. */
    public static final long VERSION = 0x04;

    private RegionHeader() {
    }

    /** Writes the version, then the magic with a release store; call after all configuration. */
    public static void publish(MemorySegment s, int magic, int version) {
        Words.setIntPlain(s, VERSION, version);
        Words.setIntRelease(s, MAGIC, magic);
    }

    /**
     * Checks that {@code s} holds a region of the expected kind and version.
     *
     * @param what the kind, for messages ("SharedLock")
     * @throws IllegalStateException naming both versions (or both magics) on a mismatch
     */
    public static void check(MemorySegment s, int magic, int version, String what) {
        if (s.byteSize() < 8) {
            throw new IllegalStateException(what + ": shared memory of " + s.byteSize()
                    + " bytes is too small for a " + what + " region");
        }
        int m = Words.intAcquire(s, MAGIC);
        if (m != magic) {
            throw new IllegalStateException(what + ": shared memory does not hold a " + what
                    + " (magic 0x" + Integer.toHexString(m) + ", expected 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int v = Words.intPlain(s, VERSION);
        if (v != version) {
            throw new IllegalStateException(what + ": shared memory holds layout version " + v
                    + " but this library reads layout version " + version);
        }
    }
}
