package org.multiprocessing4j.internal.sync;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * The region of a {@code SharedSemaphore}.
 *
 * <pre>
 * off    size  field     written by            access
 * 0x00   0x40  header    creator               see RegionHeader (magic "MP4S")
 * 0x40   4     maxValue  creator               plain, before magic; -1 when unbounded
 * 0x80   4     value     acquirers, releasers  CAS; the wait word; own 128-byte line
 * 0x100  4     waiters   sleepers              getAndAdd; own 128-byte line
 * 0x180  W     wait area creator               the backend's wait channel (W = Platform.waitChannelBytes())
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * Acquire = CAS {@code value} v → v-1 with v &gt; 0; release = CAS v → v+n, then, only if
 * {@code waiters > 0}, wake n sleepers. A sleeper increments {@code waiters}, then reads
 * {@code value}, then sleeps while {@code value == 0}. Both sides use sequentially consistent
 * accesses (a Dekker pair): either the releaser sees the sleeper and wakes it, or the sleeper
 * sees the new value (or its wait-channel compare fails). A sleeper that leaves without a permit
 * (timeout, interruption) while permits remain and others sleep wakes one of them, since the
 * wake-up it consumed may have been meant for them. {@code maxValue} is read after the acquire
 * load of the magic, so it is seen as the creator wrote it.
 *
 * <p>Version 2: the common {@link RegionHeader}; {@code maxValue} moved from 0x08 to 0x40.
 */
public final class SemaphoreLayout {
    /** The region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(RegionHeader.CONFIG_OFFSET).withName("header"),
            ValueLayout.JAVA_INT.withName("maxValue"),
            MemoryLayout.paddingLayout(0x3c),
            ValueLayout.JAVA_INT.withName("value"),
            MemoryLayout.paddingLayout(0x7c),
            ValueLayout.JAVA_INT.withName("waiters"),
            MemoryLayout.paddingLayout(0x7c));

    /** "MP4S". */
    public static final int MAGIC = 0x4d503453;
    /** Layout version. */
    public static final int VERSION = 2;
    /** Offset of the bound. */
    public static final long MAX_VALUE_OFFSET = offset(LAYOUT, "maxValue");
    /** Offset of the value (wait word). */
    public static final long VALUE_OFFSET = offset(LAYOUT, "value");
    /** Offset of the sleeper count. */
    public static final long WAITERS_OFFSET = offset(LAYOUT, "waiters");
    /** Size of the region: the layout, then the wait-channel area. */
    public static final long SIZE = RegionHeader.sizeWithWaitArea(LAYOUT.byteSize());

    private SemaphoreLayout() {
    }
}
