package org.multiprocessing4j.platform.posix.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated POSIX bindings against the host libc: the layouts chosen for this architecture
 * (pthread_mutex_t, sem_t, struct stat in {@code PosixArch}'s package; msghdr/cmsghdr and the
 * CMSG arithmetic documented in native/README.md) are the ones libc uses, and the constants
 * mean what libc means. Each check reads back something libc wrote, so a wrong header target or
 * a wrong layout fails here rather than in the posix backend.
 */
class PosixBindingsTest {
    private static final String ARCH = System.getProperty("os.arch");

    @BeforeAll
    static void onLinuxGlibc() {
        assumeTrue(System.getProperty("os.name").equals("Linux")
                && (ARCH.equals("amd64") || ARCH.equals("aarch64")), "bindings target Linux glibc");
    }

    private static boolean aarch64() {
        return ARCH.equals("aarch64");
    }

    @Test
    void processIdentityAndPageSize() {
        assertEquals(ProcessHandle.current().pid(), Posix.getpid());
        assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), Posix.getppid());
        long page = Posix.sysconf(Posix._SC_PAGESIZE());
        assertTrue(page >= 4096 && Long.bitCount(page) == 1, "page size " + page);
    }

    @Test
    void statOfASharedMemoryObjectReportsItsSize() {
        String name = "/mp4j-bindings-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(name);
            int fd = Posix.shm_open(n, Posix.O_RDWR() | Posix.O_CREAT() | Posix.O_EXCL(),
                    Posix.S_IRUSR() | Posix.S_IWUSR());
            assertTrue(fd >= 0, "shm_open");
            try {
                assertEquals(0, Posix.shm_unlink(n));
                assertEquals(0, Posix.ftruncate(fd, 12345));
                long size;
                int mode;
                if (aarch64()) {
                    MemorySegment st = org.multiprocessing4j.platform.posix.bindings.aarch64.stat.allocate(a);
                    assertEquals(0, Posix.fstat(fd, st));
                    size = org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_size(st);
                    mode = org.multiprocessing4j.platform.posix.bindings.aarch64.stat.st_mode(st);
                } else {
                    MemorySegment st = org.multiprocessing4j.platform.posix.bindings.x86_64.stat.allocate(a);
                    assertEquals(0, Posix.fstat(fd, st));
                    size = org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_size(st);
                    mode = org.multiprocessing4j.platform.posix.bindings.x86_64.stat.st_mode(st);
                }
                assertEquals(12345, size);
                assertEquals(Posix.S_IFREG(), mode & Posix.S_IFMT());
                assertEquals(Posix.S_IRUSR() | Posix.S_IWUSR(), mode & 0777);
            } finally {
                Posix.close(fd);
            }
        }
    }

    private static MemorySegment mutex(Arena a) {
        return a.allocate(aarch64()
                ? org.multiprocessing4j.platform.posix.bindings.aarch64.pthread_mutex_t.layout()
                : org.multiprocessing4j.platform.posix.bindings.x86_64.pthread_mutex_t.layout());
    }

    private static MemorySegment mutexAttr(Arena a) {
        return a.allocate(aarch64()
                ? org.multiprocessing4j.platform.posix.bindings.aarch64.pthread_mutexattr_t.layout()
                : org.multiprocessing4j.platform.posix.bindings.x86_64.pthread_mutexattr_t.layout());
    }

    private static MemorySegment condAttr(Arena a) {
        return a.allocate(aarch64()
                ? org.multiprocessing4j.platform.posix.bindings.aarch64.pthread_condattr_t.layout()
                : org.multiprocessing4j.platform.posix.bindings.x86_64.pthread_condattr_t.layout());
    }

    /** A process-shared robust mutex whose owner thread ended while holding it. */
    @Test
    void robustProcessSharedMutexReportsADeadOwner() throws InterruptedException {
        try (Arena a = Arena.ofShared()) {
            MemorySegment attr = mutexAttr(a);
            MemorySegment m = mutex(a);
            assertEquals(0, Posix.pthread_mutexattr_init(attr));
            assertEquals(0, Posix.pthread_mutexattr_setpshared(attr, Posix.PTHREAD_PROCESS_SHARED()));
            assertEquals(0, Posix.pthread_mutexattr_setrobust(attr, Posix.PTHREAD_MUTEX_ROBUST()));
            assertEquals(0, Posix.pthread_mutex_init(m, attr));
            assertEquals(0, Posix.pthread_mutexattr_destroy(attr));

            AtomicInteger locked = new AtomicInteger(-1);
            Thread owner = Thread.ofPlatform().start(() -> locked.set(Posix.pthread_mutex_lock(m)));
            owner.join(10_000);
            assertEquals(0, locked.get());
            assertTrue(!owner.isAlive(), "owner thread ended");

            // Thread.join returns before the native thread has exited and the kernel has walked
            // its robust list: trylock can still see the lock held (EBUSY). A bounded timedlock
            // waits for the kernel's owner-died wake-up without risking a hang.
            MemorySegment deadline = timespec.allocate(a);
            assertEquals(0, Posix.clock_gettime(Posix.CLOCK_REALTIME(), deadline));
            timespec.tv_sec(deadline, timespec.tv_sec(deadline) + 30);
            assertEquals(Posix.EOWNERDEAD(), Posix.pthread_mutex_timedlock(m, deadline));
            assertEquals(0, Posix.pthread_mutex_consistent(m));
            assertEquals(0, Posix.pthread_mutex_unlock(m));
            assertEquals(0, Posix.pthread_mutex_trylock(m));
            assertEquals(0, Posix.pthread_mutex_unlock(m));
            assertEquals(0, Posix.pthread_mutex_destroy(m));
        }
    }

    @Test
    void monotonicConditionTimesOutAtAPastDeadline() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ca = condAttr(a);
            MemorySegment c = a.allocate(pthread_cond_t.layout());
            MemorySegment m = mutex(a);
            assertEquals(0, Posix.pthread_condattr_init(ca));
            assertEquals(0, Posix.pthread_condattr_setpshared(ca, Posix.PTHREAD_PROCESS_SHARED()));
            assertEquals(0, Posix.pthread_condattr_setclock(ca, Posix.CLOCK_MONOTONIC()));
            assertEquals(0, Posix.pthread_cond_init(c, ca));
            assertEquals(0, Posix.pthread_condattr_destroy(ca));
            assertEquals(0, Posix.pthread_mutex_init(m, MemorySegment.NULL));

            MemorySegment now = timespec.allocate(a);
            assertEquals(0, Posix.clock_gettime(Posix.CLOCK_MONOTONIC(), now));
            assertTrue(timespec.tv_sec(now) > 0 || timespec.tv_nsec(now) > 0);
            assertEquals(0, Posix.pthread_mutex_lock(m));
            assertEquals(Posix.ETIMEDOUT(), Posix.pthread_cond_timedwait(c, m, now));
            assertEquals(0, Posix.pthread_mutex_unlock(m));
            assertEquals(0, Posix.pthread_cond_broadcast(c));
            assertEquals(0, Posix.pthread_cond_destroy(c));
            assertEquals(0, Posix.pthread_mutex_destroy(m));
        }
    }

    @Test
    void unnamedProcessSharedSemaphoreCounts() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(aarch64()
                    ? org.multiprocessing4j.platform.posix.bindings.aarch64.sem_t.layout()
                    : org.multiprocessing4j.platform.posix.bindings.x86_64.sem_t.layout());
            MemorySegment value = a.allocate(ValueLayout.JAVA_INT);
            assertEquals(0, Posix.sem_init(s, 1, 0));
            assertEquals(-1, Posix.sem_trywait(s)); // EAGAIN: the count is 0
            assertEquals(0, Posix.sem_post(s));
            assertEquals(0, Posix.sem_post(s));
            assertEquals(0, Posix.sem_getvalue(s, value));
            assertEquals(2, value.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, Posix.sem_trywait(s));
            assertEquals(0, Posix.sem_getvalue(s, value));
            assertEquals(1, value.get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, Posix.sem_destroy(s));
        }
    }

    /** CMSG_ALIGN(n) = (n + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1) on glibc (see native/README.md). */
    private static long cmsgAlign(long n) {
        long w = ValueLayout.ADDRESS.byteSize();
        return (n + w - 1) & -w;
    }

    /** SCM_RIGHTS over a socket pair, with msghdr/cmsghdr and CMSG_LEN/CMSG_SPACE/CMSG_DATA derived. */
    @Test
    void descriptorPassesOverASocketPair() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sv = a.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment pp = a.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, Posix.socketpair(Posix.AF_UNIX(), Posix.SOCK_STREAM(), 0, sv));
            assertEquals(0, Posix.pipe(pp));
            int s0 = sv.getAtIndex(ValueLayout.JAVA_INT, 0);
            int s1 = sv.getAtIndex(ValueLayout.JAVA_INT, 1);
            int r = pp.getAtIndex(ValueLayout.JAVA_INT, 0);
            int w = pp.getAtIndex(ValueLayout.JAVA_INT, 1);
            int received = -1;
            try {
                long header = cmsgAlign(cmsghdr.sizeof());
                long len = header + Integer.BYTES;                         // CMSG_LEN(sizeof(int))
                long space = cmsgAlign(Integer.BYTES) + header;            // CMSG_SPACE(sizeof(int))
                assertEquals(header, cmsghdr.layout().byteOffset(
                        MemoryLayout.PathElement.groupElement("__cmsg_data")));

                MemorySegment byteOut = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 42);
                MemorySegment iov = iovec.allocate(a);
                iovec.iov_base(iov, byteOut);
                iovec.iov_len(iov, 1);
                MemorySegment control = a.allocate(space, 8);
                cmsghdr.cmsg_len(control, len);
                cmsghdr.cmsg_level(control, Posix.SOL_SOCKET());
                cmsghdr.cmsg_type(control, Posix.SCM_RIGHTS());
                control.set(ValueLayout.JAVA_INT, header, w);                // *CMSG_DATA = w
                MemorySegment msg = msghdr.allocate(a);
                msghdr.msg_iov(msg, iov);
                msghdr.msg_iovlen(msg, 1);
                msghdr.msg_control(msg, control);
                msghdr.msg_controllen(msg, space);
                assertEquals(1, Posix.sendmsg(s0, msg, Posix.MSG_NOSIGNAL()));

                MemorySegment byteIn = a.allocate(1);
                MemorySegment iovIn = iovec.allocate(a);
                iovec.iov_base(iovIn, byteIn);
                iovec.iov_len(iovIn, 1);
                MemorySegment controlIn = a.allocate(space, 8);
                MemorySegment msgIn = msghdr.allocate(a);
                msghdr.msg_iov(msgIn, iovIn);
                msghdr.msg_iovlen(msgIn, 1);
                msghdr.msg_control(msgIn, controlIn);
                msghdr.msg_controllen(msgIn, space);
                assertEquals(1, Posix.recvmsg(s1, msgIn, 0));
                assertEquals(42, byteIn.get(ValueLayout.JAVA_BYTE, 0));
                assertEquals(0, msghdr.msg_flags(msgIn) & Posix.MSG_CTRUNC());
                assertEquals(len, cmsghdr.cmsg_len(controlIn));
                assertEquals(Posix.SOL_SOCKET(), cmsghdr.cmsg_level(controlIn));
                assertEquals(Posix.SCM_RIGHTS(), cmsghdr.cmsg_type(controlIn));
                received = controlIn.get(ValueLayout.JAVA_INT, header);
                assertTrue(received >= 0 && received != w);

                // the received descriptor is the pipe's write end
                MemorySegment b = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 7);
                assertEquals(1, Posix.write(received, b, 1));
                MemorySegment in = a.allocate(1);
                assertEquals(1, Posix.read(r, in, 1));
                assertEquals(7, in.get(ValueLayout.JAVA_BYTE, 0));
            } finally {
                if (received >= 0) {
                    Posix.close(received);
                }
                Posix.close(s0);
                Posix.close(s1);
                Posix.close(r);
                Posix.close(w);
            }
        }
    }
}
