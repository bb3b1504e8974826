package org.multiprocessing4j.internal.sync;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * The region of a {@code SharedEvent}.
 *
 * <pre>
 * off    size  field    written by      access
 * 0x00   0x80  header   creator  see RegionHeader (magic "MP4E", no configuration)
 * 0x80   4     state    set / clear     volatile / CAS; the wait word: bit 0 = flag, bits 1..31 =
 *                                       generation (+1, modulo 2<sup>31</sup>, whenever set()
 *                                       turns the flag on)
 * 0x100  4     waiters  sleepers        getAndAdd; own 128-byte line
 * 0x180  W     wait area  creator  the backend's wait channel (W = Platform.waitChannelBytes())
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * {@code set} CASes {@code state} from s (flag clear) to (s + 2) | 1, then, only if
 * {@code waiters > 0}, wakes all sleepers; {@code clear} CASes the flag bit off. A sleeper reads
 * {@code state} once when it starts waiting (s0), increments {@code waiters}, then re-reads
 * {@code state} and sleeps while it still equals the value read; it returns as soon as the flag
 * is set or the generation differs from s0's — so a {@code set(); clear();} pair that happens
 * while it sleeps is not missed (Python's {@code Event.wait} semantics). The accesses are
 * sequentially consistent on both sides (a Dekker pair), so no wake-up is lost; what the setter
 * wrote before {@code set} is visible to a thread that saw its flag or its generation. A sleeper
 * would confuse generations only if exactly 2<sup>31</sup> sets happened while it slept.
 *
 * <p>Version 2: version 1 had a 0/1 flag word and no generation. Version 3: the common {@link RegionHeader}.
 */
public final class EventLayout {
    /** The region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            RegionHeader.LAYOUT.withName("header"),
            ValueLayout.JAVA_INT.withName("state"),
            MemoryLayout.paddingLayout(0x7c),
            ValueLayout.JAVA_INT.withName("waiters"),
            MemoryLayout.paddingLayout(0x7c));

    /** "MP4E". */
    public static final int MAGIC = 0x4d503445;
    /** Layout version. */
    public static final int VERSION = 3;
    /** Offset of the flag and generation (wait word). */
    public static final long STATE_OFFSET = offset(LAYOUT, "state");
    /** The flag bit of the state word. */
    public static final int FLAG_BIT = 1;
    /** What {@code set} adds to the state word's generation. */
    public static final int GENERATION_STEP = 2;
    /** Offset of the sleeper count. */
    public static final long WAITERS_OFFSET = offset(LAYOUT, "waiters");
    /** Size of the region: the layout, then the wait-channel area. */
    public static final long SIZE = RegionHeader.sizeWithWaitArea(LAYOUT.byteSize());

    private EventLayout() {
    }
}
