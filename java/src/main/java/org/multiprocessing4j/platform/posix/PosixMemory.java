package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.posix.bindings.Posix;

/**
 * Anonymous and named shared memory, sizes and mappings.
 *
 * <p>POSIX calls: {@code shm_open} ({@code O_CREAT|O_EXCL}, mode 0600), {@code shm_unlink},
 * {@code ftruncate}, {@code posix_fallocate}, {@code fstat}, {@code mmap}/{@code munmap}
 * ({@code MAP_SHARED}), {@code sysconf(_SC_PAGESIZE)}, {@code getuid}. Anonymous memory is a named
 * block with a random name, unlinked at once: only the descriptor (and what it is passed to)
 * reaches it, and it is freed with the last mapping and descriptor.
 *
 * <p>Differences from the Linux backend: no seals (a process holding the descriptor could shrink
 * it); no check of the memory the system can back before committing (that needs
 * {@code /proc/meminfo} and cgroups): {@code posix_fallocate} fails with {@code ENOSPC} when the
 * shared-memory file system is full, but a memory cgroup's limit is not seen in advance.
 *
 * <p>macOS: names of at most 31 characters ({@code PSHMNAMLEN}); no {@code posix_fallocate}
 * (touch each page instead, or accept SIGBUS on exhaustion); {@code ftruncate} of a shared
 * memory object succeeds only once, on a new object; no {@code fstat} size before it.
 *
 * <p>The Linux backend extends this class ({@code LinuxMemory}: memfd, seals and the memory
 * accounting check); the rest is the same calls on both. Thread-safe.
 */
public class PosixMemory {
    /**
     * Created on first use: {@code LinuxMemory} extends this class and never names a block at
     * random, and a starting child must not pay for a {@code SecureRandom}.
     */
    private static final class Random {
        static final SecureRandom VALUE = new SecureRandom();
    }

    private static final class ShmOpen {
        static final MethodHandle MH = Native.downcall(Posix.shm_open$address(), Posix.shm_open$descriptor());
    }

    private static final class ShmUnlink {
        static final MethodHandle MH = Native.downcall(Posix.shm_unlink$address(), Posix.shm_unlink$descriptor());
    }

    private static final class Ftruncate {
        static final MethodHandle MH = Native.downcall(Posix.ftruncate$address(), Posix.ftruncate$descriptor());
    }

    private static final class Fstat {
        static final MethodHandle MH = Native.downcall(Posix.fstat$address(), Posix.fstat$descriptor());
    }

    private static final class Mmap {
        static final MethodHandle MH = Native.downcall(Posix.mmap$address(), Posix.mmap$descriptor());
    }

    private final PosixTarget target;

    /**
     * Creates the capability for one architecture's {@code struct stat}.
     *
     * @param target the architecture
     */
    public PosixMemory(PosixTarget target) {
        this.target = target;
    }

    /**
     * Creates anonymous shared memory of {@code size} bytes, reserved.
     *
     * @param debugName a name for diagnostics (unused here)
     * @param size its size
     * @return the descriptor (close-on-exec)
     * @throws IOException if it cannot be created or reserved
     */
    public int createAnonymous(String debugName, long size) throws IOException {
        for (;;) {
            // "/mp4j-a-" + 12 hex digits: 20 characters, within macOS's 31
            String name = "/mp4j-a-" + HexFormat.of().toHexDigits(Random.VALUE.nextLong()).substring(4);
            int fd;
            try {
                fd = openNamed(name, true);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                continue;
            }
            try {
                unlinkNamed(name);
                reserve(fd, size);
                return fd;
            } catch (IOException | RuntimeException e) {
                PosixIo.closeQuietly(fd);
                throw e;
            }
        }
    }

    /**
     * {@code shm_open} of {@code name}, read-write and close-on-exec; 0600 and exclusive when
     * {@code create}.
     *
     * @param name the name, starting with {@code /}
     * @param create create it (fails if it exists) instead of opening it
     * @return the descriptor
     * @throws IOException as the call failed ({@code NoSuchFileException},
     *     {@code FileAlreadyExistsException}, …)
     */
    public int openNamed(String name, boolean create) throws IOException {
        int flags = Posix.O_RDWR() | Posix.O_CLOEXEC() | (create ? Posix.O_CREAT() | Posix.O_EXCL() : 0);
        int mode = Posix.S_IRUSR() | Posix.S_IWUSR();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(name);
            return (int) Native.retrying(() -> "shm_open(\"" + name + "\", "
                    + (create ? "O_RDWR|O_CREAT|O_EXCL, 0600" : "O_RDWR") + ")",
                    st -> (int) ShmOpen.MH.invokeExact(st, n, flags, mode));
        }
    }

    /**
     * {@code shm_unlink} of {@code name}.
     *
     * @param name the name
     * @throws IOException as the call failed
     */
    public void unlinkNamed(String name) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(name);
            Native.retrying(() -> "shm_unlink(\"" + name + "\")", st -> (int) ShmUnlink.MH.invokeExact(st, n));
        }
    }

    /**
     * Sizes the memory to {@code size} bytes and reserves its pages ({@code posix_fallocate}).
     *
     * @param fd the memory's descriptor
     * @param size its size
     * @throws IOException if the size cannot be set or backed
     */
    public void reserve(int fd, long size) throws IOException {
        Native.retrying(() -> "ftruncate(" + fd + ", " + size + ")",
                st -> (int) Ftruncate.MH.invokeExact(st, fd, size));
        if (size > 0) {
            int r;
            do {
                r = Posix.posix_fallocate(fd, 0L, size); // returns the error; errno is not set
            } while (r == PosixErrno.EINTR);
            Native.check("posix_fallocate(" + fd + ", 0, " + size + ")", r);
        }
    }

    private MemorySegment stat(int fd, Arena a) throws IOException {
        MemorySegment buf = a.allocate(target.statLayoutSize(), 8);
        Native.retrying(() -> "fstat(" + fd + ")", st -> (int) Fstat.MH.invokeExact(st, fd, buf));
        return buf;
    }

    /**
     * {@return size, owner and permission bits of {@code fd}}
     *
     * @param fd the descriptor
     * @throws IOException if {@code fstat} fails
     */
    public Platform.FileStatus status(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = stat(fd, a);
            return new Platform.FileStatus(target.statSize(buf), target.statUid(buf),
                    target.statMode(buf) & 07777);
        }
    }

    /**
     * {@return the inode number of {@code fd}}
     *
     * @param fd the descriptor
     * @throws IOException if {@code fstat} fails
     */
    public long inode(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return target.statInode(stat(fd, a));
        }
    }

    static int uid() {
        return Posix.getuid();
    }

    static long pageSize() {
        return PageSize.VALUE;
    }

    private static final class PageSize {
        static final long VALUE = Posix.sysconf(Posix._SC_PAGESIZE());
    }

    public static MemorySegment map(int fd, long size, Arena arena) throws IOException {
        MemorySegment[] out = new MemorySegment[1];
        long r = Native.attempt(st -> {
            out[0] = (MemorySegment) Mmap.MH.invokeExact(st, MemorySegment.NULL, size,
                    Posix.PROT_READ() | Posix.PROT_WRITE(), Posix.MAP_SHARED(), fd, 0L);
            return out[0].address() == -1L ? -1 : 0; // MAP_FAILED
        });
        if (r < 0) {
            throw PosixErrno.exception("mmap(" + size + " bytes, fd " + fd + ")", (int) -r);
        }
        return out[0].reinterpret(size, arena, s -> Posix.munmap(s, size));
    }
}
