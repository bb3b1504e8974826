package org.multiprocessing4j.platform.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.posix.Native;
import org.multiprocessing4j.platform.posix.PosixIo;
import org.multiprocessing4j.platform.posix.PosixMemory;

/**
 * Shared memory on Linux: the posix backend's ({@code shm_open} names — glibc and musl keep them
 * as files in {@code /dev/shm}, a tmpfs —, {@code ftruncate} and {@code posix_fallocate},
 * {@code fstat}, {@code mmap(MAP_SHARED)}) plus what Linux does better: anonymous memory is a
 * sealed memfd (no name ever exists), and {@link MemoryLimits} refuses a size that cannot be
 * backed before any page is committed. Names: up to 255 characters ({@code NAME_MAX} of the
 * tmpfs), generated ones {@code mp4j-} and 22 random characters (132 bits). Thread-safe.
 */
final class LinuxMemory extends PosixMemory {
    static final MemoryNames NAMES = new MemoryNames(255, 27, "/dev/shm");

    private static final class Memfd {
        static final MethodHandle MH =
                Native.downcall(Libc.memfd_create$address(), Libc.memfd_create$descriptor());
    }

    LinuxMemory(LinuxArch arch) {
        super(arch.target());
    }

    /**
     * {@code memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING)}, reserved, then sealed against
     * shrinking (a process holding the descriptor cannot cut the memory under another's mapping).
     */
    @Override
    public int createAnonymous(String debugName, long size) throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(debugName);
            long r = Native.attempt(st -> (int) Memfd.MH.invokeExact(st, n,
                    Libc.MFD_CLOEXEC() | Libc.MFD_ALLOW_SEALING()));
            if (r < 0) {
                throw org.multiprocessing4j.platform.posix.PosixErrno.exception(
                        "memfd_create(\"" + debugName + "\")", (int) -r);
            }
            fd = (int) r;
        }
        try {
            reserve(fd, size, null, "memfd \"" + debugName + "\"");
            PosixIo.fcntl(fd, Libc.F_ADD_SEALS(), Libc.F_SEAL_SHRINK() | Libc.F_SEAL_SEAL(),
                    "F_ADD_SEALS, F_SEAL_SHRINK|F_SEAL_SEAL");
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            PosixIo.closeQuietly(fd);
            throw e;
        }
    }

    /** {@link MemoryLimits#check} first, then the posix reserve. */
    @Override
    public void reserve(int fd, long size) throws IOException {
        Path file = fileOf(fd);
        reserve(fd, size, file == null ? null : file.getParent(),
                file == null ? "descriptor " + fd : file.toString());
    }

    private void reserve(int fd, long size, Path fileSystem, String what) throws IOException {
        MemoryLimits.check(size, fileSystem, what);
        super.reserve(fd, size);
    }

    /**
     * {@return the file behind {@code fd} if it lives in a file system with a name (for example
     * {@code /dev/shm/mp4j-…}), or null for a memfd or anything else without one}
     */
    private static Path fileOf(int fd) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            if (!link.startsWith("/") || link.startsWith("/memfd:")) {
                return null;
            }
            if (link.endsWith(" (deleted)")) {
                link = link.substring(0, link.length() - " (deleted)".length());
            }
            Path file = Path.of(link);
            return file.getParent() != null ? file : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static long pageSize() {
        return PageSize.VALUE;
    }

    /** The kernel's page size from the auxiliary vector ({@code AT_PAGESZ}), read once. */
    private static final class PageSize {
        static final long VALUE = read();

        private static long read() {
            final long atPagesz = 6; // AT_PAGESZ in <elf.h>, the same on every architecture
            try {
                java.nio.ByteBuffer auxv = java.nio.ByteBuffer.wrap(Files.readAllBytes(Path.of("/proc/self/auxv")))
                        .order(java.nio.ByteOrder.nativeOrder());
                while (auxv.remaining() >= 16) {
                    long type = auxv.getLong();
                    long value = auxv.getLong();
                    if (type == atPagesz) {
                        return value;
                    }
                    if (type == 0) {
                        break; // AT_NULL ends the vector
                    }
                }
            } catch (IOException | RuntimeException e) {
                // fall through: /proc is not mounted
            }
            return 4096;
        }
    }
}
