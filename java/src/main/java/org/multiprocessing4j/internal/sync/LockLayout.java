package org.multiprocessing4j.internal.sync;

import static org.multiprocessing4j.internal.Layouts.offset;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * The region of a {@code SharedLock} or {@code SharedReentrantLock}: a header and one
 * {@link MutexLayout} block. The two kinds differ by magic only, so that one is never opened as
 * the other.
 *
 * <pre>
 * off    size  field       written by  access
 * 0x00   0x80  header      creator     see RegionHeader (magic "MP4L" / "MP4R", no configuration)
 * 0x80   8     owner       acquirers   CAS / volatile; own 128-byte line (see MutexLayout)
 * 0x88   8     ownerThread holder      opaque; written only while holding owner exclusively
 * 0x90   4     holds       holder      plain
 * 0x94   4     ownerDied   taker-over  volatile; written before the owner word is published
 * 0x100  4     waiters     waiters     getAndAdd; own 128-byte line
 * 0x104  4     wakeSeq     releasers   getAndAdd; the wait word
 * 0x180  W     wait area   creator     the backend's wait channel (W = Platform.waitChannelBytes())
 * </pre>
 *
 * Memory ordering: see {@link MutexLayout}; the header follows {@link RegionHeader}. Version 2:
 * the owner word may carry {@link MutexLayout#TAKING} during a take-over or a foreign release.
 * Version 3: a process that has the region open holds a {@link LivenessMark} on its file, and
 * an owner without one is dead (a version-2 process holds none and would be taken for dead).
 * Version 4: the common {@link RegionHeader} (layout size, backend, creator, wait area).
 */
public final class LockLayout {
    /** The region, for offset checks. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            RegionHeader.LAYOUT.withName("header"),
            MutexLayout.LAYOUT.withName("mutex"));

    /** Magic of a non-reentrant lock: "MP4L". */
    public static final int MAGIC_LOCK = 0x4d50344c;
    /** Magic of a reentrant lock: "MP4R". */
    public static final int MAGIC_REENTRANT = 0x4d503452;
    /** Layout version. */
    public static final int VERSION = 4;
    /** Base of the mutex block. */
    public static final long MUTEX_OFFSET = offset(LAYOUT, "mutex");
    /** Size of the region: the layout, then the wait-channel area. */
    public static final long SIZE = RegionHeader.sizeWithWaitArea(LAYOUT.byteSize());

    private LockLayout() {
    }
}
