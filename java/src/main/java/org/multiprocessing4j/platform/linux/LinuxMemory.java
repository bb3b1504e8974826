package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.bindings.Libc.C_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.multiprocessing4j.platform.MemoryNames;
import org.multiprocessing4j.platform.Platform.FileStatus;
import org.multiprocessing4j.platform.linux.bindings.Libc;

/**
 * Shared memory on Linux: anonymous memory is a sealed memfd, named memory is {@code shm_open}
 * (glibc and musl keep the names as files in {@code /dev/shm}, a tmpfs), pages are committed with
 * {@code fallocate} after {@link MemoryLimits} refused what cannot be backed, and mappings are
 * {@code mmap(MAP_SHARED)}. Names: up to 255 characters ({@code NAME_MAX} of the tmpfs), generated
 * ones {@code mp4j-} and 22 random characters (132 bits).
 */
final class LinuxMemory {
    /** Linux's rules: {@code NAME_MAX} 255, names shown as files in {@code /dev/shm}. */
    static final MemoryNames NAMES = new MemoryNames(255, 27, "/dev/shm");

    // Each downcall handle sits in its own holder class: created on first use.
    private static final class Memfd {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.memfd_create$address(), Libc.memfd_create$descriptor());
    }

    private static final class Ftruncate {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.ftruncate$address(), Libc.ftruncate$descriptor());
    }

    private static final class Fallocate {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.fallocate$address(), Libc.fallocate$descriptor());
    }

    private static final class Mmap {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.mmap$address(), Libc.mmap$descriptor());
    }

    /** {@code int fcntl(int, int, int)}: variadic after the second argument. */
    private static final class FcntlInt {
        static final MethodHandle MH = LinuxCalls.LINKER.downcallHandle(Libc.fcntl.address(),
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(2),
                Linker.Option.captureCallState("errno"));
    }

    private static final class ShmOpen {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.shm_open$address(), Libc.shm_open$descriptor());
    }

    private static final class ShmUnlink {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.shm_unlink$address(), Libc.shm_unlink$descriptor());
    }

    private static final class Fstat {
        static final MethodHandle MH = LinuxCalls.downcall(Libc.fstat$address(), Libc.fstat$descriptor());
    }

    private final LinuxArch arch;
    private final LinuxPlatform platform;

    LinuxMemory(LinuxArch arch, LinuxPlatform platform) {
        this.arch = arch;
        this.platform = platform;
    }

    int createAnonymousMemory(String debugName, long size) throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(debugName);
            fd = (int) LinuxCalls.once(st -> (int) Memfd.MH.invokeExact(st, n,
                    Libc.MFD_CLOEXEC() | Libc.MFD_ALLOW_SEALING()),
                    () -> "memfd_create(\"" + debugName + "\")");
        }
        try {
            reserve(fd, size, null, "memfd \"" + debugName + "\"");
            LinuxCalls.once(st -> (int) FcntlInt.MH.invokeExact(st, fd, Libc.F_ADD_SEALS(),
                    Libc.F_SEAL_SHRINK() | Libc.F_SEAL_SEAL()),
                    () -> "fcntl(" + fd + ", F_ADD_SEALS, F_SEAL_SHRINK|F_SEAL_SEAL)");
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            try {
                platform.close(org.multiprocessing4j.platform.Handle.of(fd));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    int openNamedMemory(String name, boolean create) throws IOException {
        int flags = Libc.O_RDWR() | Libc.O_CLOEXEC() | (create ? Libc.O_CREAT() | Libc.O_EXCL() : 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(name);
            return (int) LinuxCalls.retrying(st -> (int) ShmOpen.MH.invokeExact(st, n, flags,
                    Libc.S_IRUSR() | Libc.S_IWUSR()),
                    () -> "shm_open(\"" + name + "\", "
                            + (create ? "O_RDWR|O_CREAT|O_EXCL, 0600" : "O_RDWR") + ")");
        }
    }

    void unlinkNamedMemory(String name) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom(name);
            LinuxCalls.once(st -> (int) ShmUnlink.MH.invokeExact(st, n), () -> "shm_unlink(\"" + name + "\")");
        }
    }

    void reserve(int fd, long size) throws IOException {
        Path file = fileOf(fd);
        reserve(fd, size, file == null ? null : file.getParent(),
                file == null ? "descriptor " + fd : file.toString());
    }

    /**
     * Refuses a size that cannot be backed now ({@link MemoryLimits}), then sizes the file and
     * commits its pages.
     *
     * @param fileSystem a directory of the file system holding the file, null for a memfd
     * @param what the file, for messages
     */
    private void reserve(int fd, long size, Path fileSystem, String what) throws IOException {
        MemoryLimits.check(size, fileSystem, what);
        LinuxCalls.once(st -> (int) Ftruncate.MH.invokeExact(st, fd, size),
                () -> "ftruncate(" + fd + ", " + size + ")");
        if (size > 0) {
            LinuxCalls.retrying(st -> (int) Fallocate.MH.invokeExact(st, fd, 0, 0L, size),
                    () -> "fallocate(" + fd + ", 0, 0, " + size + ")");
        }
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

    FileStatus status(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = fstat(fd, a);
            return new FileStatus(arch.statSize(buf), arch.statUid(buf), arch.statMode(buf) & 07777);
        }
    }

    long inode(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return arch.statInode(fstat(fd, a));
        }
    }

    private MemorySegment fstat(int fd, Arena a) throws IOException {
        MemorySegment buf = a.allocate(arch.statLayoutSize(), 8);
        LinuxCalls.once(st -> (int) Fstat.MH.invokeExact(st, fd, buf), () -> "fstat(" + fd + ")");
        return buf;
    }

    static int uid() {
        return Libc.getuid();
    }

    MemorySegment map(int fd, long size, Arena arena) throws IOException {
        MemorySegment st = LinuxCalls.state();
        MemorySegment addr;
        try {
            addr = (MemorySegment) Mmap.MH.invokeExact(st, MemorySegment.NULL, size,
                    Libc.PROT_READ() | Libc.PROT_WRITE(), Libc.MAP_SHARED(), fd, 0L);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (addr.address() == -1L) {
            throw Errno.exception("mmap(" + size + " bytes, fd " + fd + ")", LinuxCalls.errno(st));
        }
        return addr.reinterpret(size, arena, s -> Libc.munmap(s, size));
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
