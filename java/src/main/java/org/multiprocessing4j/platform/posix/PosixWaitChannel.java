package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.timespec;

/**
 * Sleeping on a shared word without a futex: a table of buckets in the region's wait-channel
 * area, each an unnamed process-shared POSIX semaphore, a count of its sleepers and a count of
 * its wakes; a word sleeps in the bucket its offset hashes to.
 *
 * <pre>
 * off          size  field       written by            access
 * 0x00         4     magic       creator (MAGIC)       plain, before the region is published
 * 0x04         4     buckets     creator (BUCKETS)     plain, before the region is published
 * 0x40 + 64 i  32    sem_t       sem_init (creator), then sem_timedwait / sem_post
 * 0x60 + 64 i  4     sleepers    sleepers              volatile getAndAdd (+1 before the check, -1 after)
 * 0x64 + 64 i  4     generation  wakers                volatile getAndAdd (+1 before counting sleepers)
 * </pre>
 *
 * <p><b>No lost wake-up.</b> A sleeper increments {@code sleepers} and then reads the word; a
 * waker has changed the word, and then (after a full fence) reads {@code sleepers} and posts
 * until the semaphore's value covers them. Both pairs are sequentially consistent, so either
 * the sleeper sees the new value (and does not sleep) or the waker sees the sleeper (and posts).
 * A post wakes some sleeper of the bucket, not necessarily one of the word: a waker therefore
 * always posts for every sleeper of the bucket ({@code count} cannot be honoured), those of
 * other words return spuriously and sleep again.
 *
 * <p><b>No stolen post.</b> A post is anonymous: a sleeper that came after the wake (one of
 * another word of the bucket that returned spuriously and sleeps again, typically) could take the
 * post counted for an earlier sleeper, which would then sleep on until its timeout. So a waker
 * that finds sleepers increments the bucket's {@code generation} and then reads {@code sleepers}
 * again to count them, and a sleeper
 * reads {@code generation} after its increment of {@code sleepers}: a sleeper that takes a post
 * while {@code generation} is still the value it read was counted by no waker since it came (a
 * waker that counted it incremented {@code generation} after that read, or just before it, which
 * is harmless), so it gives the post back ({@code sem_post}), waits (polling, in sleeps of up to
 * a millisecond) until someone has taken it or a wake has come, and sleeps again; a change of its
 * word meanwhile ends its wait. Every sleeper a waker counted therefore finds a post. A post that
 * no one is owed any more (its sleeper timed out or died) is left alone by later sleepers, which
 * poll instead of sleeping until the next wake, and then taken by a sleeper that wake counted:
 * a cost, never a busy loop or a hang. The version
 * of this protocol is in the area's magic, so a region of a build without {@code generation} is
 * refused.
 *
 * <p><b>A sleeper that dies</b> leaves its {@code sleepers} increment behind: wakers of that
 * bucket post one needless time more, and the semaphore's value is kept at most the number of
 * sleepers ({@code sem_getvalue}), so posts never pile up. Nothing blocks a waker.
 *
 * <p><b>Why semaphores and not a mutex + condition variable.</b> glibc up to 2.40 (2.36 here)
 * makes {@code pthread_cond_broadcast} wait until every sleeper of the old group has left its
 * futex wait ({@code __g_refs}): a process SIGKILLed while sleeping never leaves, and every later
 * broadcast on that condition variable would hang. The crash tests kill sleepers on purpose.
 * A semaphore post never waits for anyone, and when nobody sleeps a wake is one atomic read.
 * Measured with {@code native/probes/pshared_wait.c} (2 vCPUs, glibc 2.36): a process-to-process
 * round trip costs the same either way (31 µs with semaphores, 32 µs with a mutex and condition
 * variable), and after a sleeper was SIGKILLed the second {@code pthread_cond_broadcast} never
 * returned while {@code sem_post} did.
 *
 * <p>POSIX calls: {@code sem_init(pshared = 1)}, {@code sem_timedwait}
 * ({@code CLOCK_REALTIME} deadline; a reported timeout is checked against the monotonic clock,
 * so it is never early), {@code sem_wait}, {@code sem_post}, {@code sem_getvalue},
 * {@code clock_gettime}. macOS: unnamed semaphores do not exist ({@code sem_init} fails with
 * {@code ENOSYS}); a macOS backend would use {@code os_sync_wait_on_address} /
 * {@code os_sync_wake_by_address_any} with {@code OS_SYNC_*_SHARED} (macOS 14.4) instead.
 */
final class PosixWaitChannel implements WaitChannel {
    /** {@code "MPW2"}: the second protocol (with {@code generation}); the first was {@code "MP4W"}. */
    static final int MAGIC = 0x4D50_5732;
    static final int BUCKETS = 32;
    static final long BUCKET_BYTES = 64;
    static final long HEADER_BYTES = 64;
    /** The area's size: the header and the buckets. */
    static final long BYTES = HEADER_BYTES + BUCKETS * BUCKET_BYTES;
    private static final long SLEEPERS_OFFSET = 32;
    private static final long GENERATION_OFFSET = 36;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private static final class SemTimedwait {
        static final MethodHandle MH = Native.downcall(Posix.sem_timedwait$address(), Posix.sem_timedwait$descriptor());
    }

    private static final class SemWait {
        static final MethodHandle MH = Native.downcall(Posix.sem_wait$address(), Posix.sem_wait$descriptor());
    }

    private static final class SemPost {
        static final MethodHandle MH = Native.downcall(Posix.sem_post$address(), Posix.sem_post$descriptor());
    }

    private static final class SemGetvalue {
        static final MethodHandle MH = Native.downcall(Posix.sem_getvalue$address(), Posix.sem_getvalue$descriptor());
    }

    private static final class SemInit {
        static final MethodHandle MH = Native.downcall(Posix.sem_init$address(), Posix.sem_init$descriptor());
    }

    /** A deadline per thread, so that a wait allocates nothing. */
    private static final ThreadLocal<MemorySegment> DEADLINE =
            ThreadLocal.withInitial(() -> timespec.allocate(Arena.ofAuto()));
    private static final ThreadLocal<MemorySegment> VALUE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ValueLayout.JAVA_INT));

    private final MemorySegment region;
    private final MemorySegment area;

    private PosixWaitChannel(MemorySegment region, MemorySegment area) {
        this.region = region;
        this.area = area;
    }

    /** Checks that the area fits the region and is aligned; {@return the area} */
    private static MemorySegment area(MemorySegment region, long offset) {
        if (offset < 0 || offset % 64 != 0 || offset > region.byteSize() - BYTES) {
            throw new IllegalArgumentException("wait-channel area of " + BYTES + " bytes at "
                    + offset + " is not a 64-byte aligned area within a region of "
                    + region.byteSize() + " bytes");
        }
        return region.asSlice(offset, BYTES);
    }

    /** Initializes the area of a new region (zeroed, not yet visible to others). */
    static void init(MemorySegment region, long offset) throws IOException {
        MemorySegment area = area(region, offset);
        for (int i = 0; i < BUCKETS; i++) {
            MemorySegment sem = bucket(area, i);
            Native.retrying(() -> "sem_init(pshared = 1, 0)",
                    st -> (int) SemInit.MH.invokeExact(st, sem, 1, 0));
        }
        area.set(ValueLayout.JAVA_INT, 0, MAGIC);
        area.set(ValueLayout.JAVA_INT, 4, BUCKETS);
    }

    /**
     * {@return the channel of a region whose area was initialized by {@link #init}}
     *
     * @throws IllegalArgumentException if the area is misplaced or was not initialized by this backend
     */
    static PosixWaitChannel of(MemorySegment region, long offset) {
        MemorySegment area = area(region, offset);
        if (area.get(ValueLayout.JAVA_INT, 0) != MAGIC || area.get(ValueLayout.JAVA_INT, 4) != BUCKETS) {
            throw new IllegalArgumentException("no posix wait-channel area at " + offset
                    + " (magic " + Integer.toHexString(area.get(ValueLayout.JAVA_INT, 0)) + ")");
        }
        return new PosixWaitChannel(region, area);
    }

    private static MemorySegment bucket(MemorySegment area, int i) {
        return area.asSlice(HEADER_BYTES + i * BUCKET_BYTES, BUCKET_BYTES);
    }

    private MemorySegment bucketOf(MemorySegment word) {
        long offset = word.address() - region.address();
        if (offset < 0 || offset > region.byteSize() - 4 || (offset & 3) != 0) {
            throw new IllegalArgumentException("word at " + offset + " is not an aligned int of the region");
        }
        return bucket(area, bucketIndex(offset));
    }

    /** {@return the bucket of the word at {@code offset} in its region} */
    static int bucketIndex(long offset) {
        int h = (int) ((offset >>> 2) * 0x9E37_79B9L >>> 16);
        return Math.floorMod(h, BUCKETS);
    }

    @Override
    public boolean await(MemorySegment word, int expected, long timeoutNanos) throws IOException {
        MemorySegment bucket = bucketOf(word);
        long start = System.nanoTime();
        INT.getAndAdd(bucket, SLEEPERS_OFFSET, 1);
        int generation = (int) INT.getVolatile(bucket, GENERATION_OFFSET);
        try {
            if ((int) INT.getVolatile(word, 0L) != expected) {
                return true;
            }
            if (timeoutNanos == 0) {
                return false;
            }
            MemorySegment deadline = null;
            if (timeoutNanos > 0) {
                deadline = DEADLINE.get();
                Posix.clock_gettime(Posix.CLOCK_REALTIME(), deadline);
                long nanos = timespec.tv_nsec(deadline) + timeoutNanos % 1_000_000_000L;
                timespec.tv_sec(deadline, timespec.tv_sec(deadline) + timeoutNanos / 1_000_000_000L
                        + nanos / 1_000_000_000L);
                timespec.tv_nsec(deadline, nanos % 1_000_000_000L);
            }
            for (;;) {
                long r;
                if (deadline == null) {
                    r = Native.attempt(st -> (int) SemWait.MH.invokeExact(st, bucket));
                } else {
                    MemorySegment until = deadline;
                    r = Native.attempt(st -> (int) SemTimedwait.MH.invokeExact(st, bucket, until));
                }
                if (r >= 0) {
                    if ((int) INT.getVolatile(bucket, GENERATION_OFFSET) != generation) {
                        return true;
                    }
                    // No waker counted us: the post was owed to an earlier sleeper (or to one
                    // that left). Give it back, and sleep again once someone took it.
                    post(bucket);
                    int outcome = awaitTaken(bucket, word, expected, generation, start, timeoutNanos);
                    if (outcome >= 0) {
                        return outcome > 0;
                    }
                    continue;
                }
                int e = (int) -r;
                if (e == PosixErrno.ETIMEDOUT) {
                    // the realtime clock may have jumped: report a timeout only once it has elapsed
                    return System.nanoTime() - start < timeoutNanos;
                }
                if (e == PosixErrno.EINTR) {
                    return true;
                }
                throw PosixErrno.exception("sem_timedwait", e);
            }
        } finally {
            INT.getAndAdd(bucket, SLEEPERS_OFFSET, -1);
        }
    }

    /**
     * After giving back a post this sleeper was not owed: polls (sleeping 20 µs, doubling up to
     * 1 ms) until the word changed (1: return woken), the timeout elapsed (0), or the post was
     * taken or a wake came (-1: sleep on the semaphore again; after a wake, which counted this
     * sleeper, a post is there for it). A post nobody takes (its sleeper timed out or died) is
     * thus never taken and given back in a loop; it stays until a wake, after which a sleeper
     * that wake counted takes it and keeps it.
     */
    private static int awaitTaken(MemorySegment bucket, MemorySegment word, int expected,
            int generation, long start, long timeoutNanos) throws IOException {
        MemorySegment value = VALUE.get();
        long pause = 20_000;
        for (;;) {
            if ((int) INT.getVolatile(word, 0L) != expected) {
                return 1;
            }
            if ((int) INT.getVolatile(bucket, GENERATION_OFFSET) != generation) {
                return -1;
            }
            if (timeoutNanos > 0 && System.nanoTime() - start >= timeoutNanos) {
                return 0;
            }
            Native.retrying(() -> "sem_getvalue", st -> (int) SemGetvalue.MH.invokeExact(st, bucket, value));
            if (value.get(ValueLayout.JAVA_INT, 0) <= 0) {
                return -1;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pause);
            pause = Math.min(2 * pause, 1_000_000);
        }
    }

    /** Wakes every sleeper of the word's bucket, whatever {@code count} (see the class comment). */
    @Override
    public int wake(MemorySegment word, int count) throws IOException {
        MemorySegment bucket = bucketOf(word);
        VarHandle.fullFence(); // the caller's store of the word before our read of sleepers
        int sleepers = (int) INT.getVolatile(bucket, SLEEPERS_OFFSET);
        if (sleepers <= 0 || count <= 0) {
            return 0; // nobody sleeps: a sleeper that comes later sees the caller's store
        }
        INT.getAndAdd(bucket, GENERATION_OFFSET, 1); // then count (see the class comment)
        sleepers = (int) INT.getVolatile(bucket, SLEEPERS_OFFSET);
        if (sleepers <= 0) {
            return 0;
        }
        MemorySegment value = VALUE.get();
        Native.retrying(() -> "sem_getvalue", st -> (int) SemGetvalue.MH.invokeExact(st, bucket, value));
        int posts = sleepers - Math.max(0, value.get(ValueLayout.JAVA_INT, 0));
        for (int i = 0; i < posts; i++) {
            post(bucket);
        }
        return Math.min(sleepers, count);
    }

    private static void post(MemorySegment bucket) throws IOException {
        Native.retrying(() -> "sem_post", st -> (int) SemPost.MH.invokeExact(st, bucket));
    }
}
