package org.multiprocessing4j.internal.sync;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * The region of a {@code SharedBarrier}: a header, a robust mutex that guards the barrier state,
 * the state, and one slot per party naming the process waiting at that arrival index.
 *
 * <pre>
 * off            size  field     written by              access
 * 0x00           0x40  header    creator                 see RegionHeader (magic "MP4B")
 * 0x40           4     parties   creator                 plain, before magic
 * 0x80           256   mutex     see MutexLayout         owner at 0x80, waiters at 0x100
 * 0x180          4     gen       mutex holder            volatile; +1 when a generation ends
 *                                                        (trip or break); the wait word
 * 0x184          4     count     mutex holder            volatile; parties arrived in this generation
 * 0x188          4     broken    mutex holder            volatile; 1 until reset()
 * 0x190          8     history   mutex holder            volatile; bit (g &amp; 63) = generation g
 *                                                        ended broken
 * 0x200 + 8*i    8     slot[i]   mutex holder            volatile; ProcessToken of the party
 *                                                        waiting at arrival index i, 0 = none
 * WAIT           W     wait area creator                 the backend's wait channel (W =
 *                                                        Platform.waitChannelBytes()); WAIT =
 *                                                        0x200 + 8*parties rounded up to 64
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * Every write happens while holding the mutex, whose CAS acquire/release orders them between
 * processes. Waiters read {@code gen}, {@code history} and the slots without the mutex: the
 * generation's end writes {@code history} before it increments {@code gen} (both volatile), so a
 * waiter that sees {@code gen} change reads the outcome of its own generation, provided that it
 * re-reads {@code gen} after {@code history} and finds fewer than 64 generations ended since its
 * own (generation g+64 overwrites g's bit before it increments {@code gen} past g+64). A waiter
 * that finds 64 or more reports its outcome as unknown (BrokenBarrierException) rather than guess.
 *
 * <p>Version 2: the mutex's owner word may carry {@link MutexLayout#TAKING}. Version 4: the
 * common {@link RegionHeader}; {@code parties} moved from 0x08 to 0x40.
 */
public final class BarrierLayout {
    /** The fixed part of the region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(RegionHeader.CONFIG_OFFSET).withName("header"),
            ValueLayout.JAVA_INT.withName("parties"),
            MemoryLayout.paddingLayout(0x3c),
            MutexLayout.LAYOUT.withName("mutex"),
            ValueLayout.JAVA_INT.withName("gen"),
            ValueLayout.JAVA_INT.withName("count"),
            ValueLayout.JAVA_INT.withName("broken"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("history"),
            MemoryLayout.paddingLayout(0x68));

    /** "MP4B". */
    public static final int MAGIC = 0x4d503442;
    /** Layout version; 3: parties and the mutex owner prove life by a {@link LivenessMark}. */
    public static final int VERSION = 4;
    /** Offset of the party count. */
    public static final long PARTIES_OFFSET = offset(LAYOUT, "parties");
    /** Base of the mutex block. */
    public static final long MUTEX_OFFSET = offset(LAYOUT, "mutex");
    /** Offset of the generation (wait word). */
    public static final long GEN_OFFSET = offset(LAYOUT, "gen");
    /** Offset of the arrival count. */
    public static final long COUNT_OFFSET = offset(LAYOUT, "count");
    /** Offset of the broken flag. */
    public static final long BROKEN_OFFSET = offset(LAYOUT, "broken");
    /** Offset of the outcome history. */
    public static final long HISTORY_OFFSET = offset(LAYOUT, "history");
    /** Offset of slot 0. */
    public static final long SLOTS_OFFSET = LAYOUT.byteSize();
    /** Most parties a barrier may have. */
    public static final int MAX_PARTIES = 1 << 16;

    private BarrierLayout() {
    }

    /** {@return the offset of slot {@code i}} */
    public static long slot(int i) {
        return SLOTS_OFFSET + 8L * i;
    }

    /** {@return the size of the region for {@code parties} parties: slots, then the wait area} */
    public static long size(int parties) {
        return RegionHeader.sizeWithWaitArea(SLOTS_OFFSET + 8L * parties);
    }
}
