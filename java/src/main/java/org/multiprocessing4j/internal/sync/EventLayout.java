package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * The region of a {@code SharedEvent}.
 *
 * <pre>
 * off    size  field    written by      access
 * 0x00   4     magic    creator         release store, LAST ("MP4E")
 * 0x04   4     version  creator         plain, before magic
 * 0x80   4     flag     set / clear     volatile / getAndSet; 0 or 1; the futex word
 * 0x100  4     waiters  sleepers        getAndAdd; own 128-byte line
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * {@code set} is a getAndSet of {@code flag} to 1, then, only if {@code waiters > 0}, a wake of
 * all sleepers. A sleeper increments {@code waiters}, then reads {@code flag}, then sleeps while
 * {@code flag == 0}. Sequentially consistent on both sides (a Dekker pair), so no wake-up is
 * lost; what the setter wrote before {@code set} is visible to a thread that saw the flag.
 */
public final class EventLayout {
    /** The region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("magic"),
            ValueLayout.JAVA_INT.withName("version"),
            MemoryLayout.paddingLayout(0x78),
            ValueLayout.JAVA_INT.withName("flag"),
            MemoryLayout.paddingLayout(0x7c),
            ValueLayout.JAVA_INT.withName("waiters"),
            MemoryLayout.paddingLayout(0x7c));

    /** "MP4E". */
    public static final int MAGIC = 0x4d503445;
    /** Layout version. */
    public static final int VERSION = 1;
    /** Offset of the flag (futex word). */
    public static final long FLAG = offset("flag");
    /** Offset of the sleeper count. */
    public static final long WAITERS = offset("waiters");
    /** Size of the region. */
    public static final long SIZE = LAYOUT.byteSize();

    private EventLayout() {
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }
}
