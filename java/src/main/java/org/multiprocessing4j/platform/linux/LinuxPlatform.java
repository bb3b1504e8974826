package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.Calls.STATE;
import static org.multiprocessing4j.platform.linux.Calls.asPointer;
import static org.multiprocessing4j.platform.linux.Calls.rethrow;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.UnsupportedPlatformException;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.linux.Calls.FcntlInt;
import org.multiprocessing4j.platform.linux.Calls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;

/**
 * The Linux backend, built only on the jextract bindings in {@code ...linux.bindings} (the parts
 * common to every architecture) and {@code ...linux.bindings.<arch>} (syscall numbers and struct
 * layouts that differ), selected once by {@link #create(String)}. A façade: each capability
 * lives in its own class — descriptors and their passing in {@link LinuxIo}, stream sockets in
 * {@link LinuxSockets}, processes in {@link LinuxProcesses} — and every downcall is made the one
 * way {@link Calls} describes.
 *
 * <p>errno: every call that can fail is a downcall made from the generated symbol address and
 * descriptor with {@link Linker.Option#captureCallState(String...) captureCallState("errno")};
 * {@link Errno} translates it. read, write, recv, send, prctl, getpid, getppid, shutdown and
 * close go through {@code syscall(2)} with the architecture's generated numbers, in one downcall
 * shape (see {@code Calls.Sys}: each shape costs a starting child milliseconds). {@code EINTR}
 * is retried (with the remaining time for timed calls).
 */
public final class LinuxPlatform implements Platform {
    // Each downcall handle sits in its own holder class: created on first use (a child JVM
    // needs only a few, and each costs milliseconds to link), then a constant to the JIT.

    private static final class Memfd {
        static final MethodHandle MH = errno(Libc.memfd_create$address(), Libc.memfd_create$descriptor());
    }

    private static final class Ftruncate {
        static final MethodHandle MH = errno(Libc.ftruncate$address(), Libc.ftruncate$descriptor());
    }

    private static final class Fallocate {
        static final MethodHandle MH = errno(Libc.fallocate$address(), Libc.fallocate$descriptor());
    }

    private static final class Mmap {
        static final MethodHandle MH = errno(Libc.mmap$address(), Libc.mmap$descriptor());
    }

    private static final class ShmOpen {
        static final MethodHandle MH = errno(Libc.shm_open$address(), Libc.shm_open$descriptor());
    }

    private static final class ShmUnlink {
        static final MethodHandle MH = errno(Libc.shm_unlink$address(), Libc.shm_unlink$descriptor());
    }

    private static final class Fstat {
        static final MethodHandle MH = errno(Libc.fstat$address(), Libc.fstat$descriptor());
    }

    private final String name;
    private final LinuxArch arch;
    private final LinuxIo io;
    private final LinuxSockets sockets;
    private final LinuxProcesses processes;
    private final LinuxWaitChannel waitChannel;

    private LinuxPlatform(String name, LinuxArch arch) {
        this.name = name;
        this.arch = arch;
        this.io = new LinuxIo(arch);
        this.sockets = new LinuxSockets(io);
        this.processes = new LinuxProcesses(arch, io);
        this.waitChannel = new LinuxWaitChannel(arch);
    }

    /**
     * Selects the bindings for the running architecture.
     *
     * @param osArch value of {@code os.arch}
     * @return the backend
     * @throws UnsupportedPlatformException for an architecture without bindings
     */
    public static LinuxPlatform create(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> new LinuxPlatform("linux-x86_64", LinuxArch.X86_64);
            case "aarch64", "arm64" -> new LinuxPlatform("linux-aarch64", LinuxArch.AARCH64);
            default -> throw new UnsupportedPlatformException("Linux", osArch);
        };
    }

    private static MethodHandle errno(MemorySegment address, FunctionDescriptor descriptor) {
        return Calls.errno(address, descriptor);
    }

    private static int errno(MemorySegment state) {
        return Calls.errno(state);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int pid() {
        return processes.pid();
    }

    @Override
    public int parentPid() {
        return processes.parentPid();
    }

    // ------------------------------------------------------------------ handles

    /** {@return the descriptor {@code handle} stands for} */
    static int fd(Handle handle) {
        return (int) handle.value();
    }

    /** {@return the handle of descriptor {@code fd}} */
    static Handle handle(int fd) {
        return Handle.of(fd);
    }

    private static Handle[] handles(int[] fds) {
        Handle[] h = new Handle[fds.length];
        for (int i = 0; i < fds.length; i++) {
            h[i] = handle(fds[i]);
        }
        return h;
    }

    private static int[] fds(Handle[] handles) {
        int[] fds = new int[handles.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = fd(handles[i]);
        }
        return fds;
    }

    // ------------------------------------------------------------------ I/O (LinuxIo)

    @Override
    public Handle[] pipe() throws IOException {
        return handles(io.pipe());
    }

    @Override
    public Handle[] socketPair() throws IOException {
        return handles(io.socketPair());
    }

    @Override
    public long read(Handle handle, MemorySegment buffer, long length) throws IOException {
        return io.read(fd(handle), buffer, length);
    }

    @Override
    public long readNow(Handle handle, MemorySegment buffer, long length) throws IOException {
        return io.readNow(fd(handle), buffer, length);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        io.writeFully(fd(handle), buffer, length, false);
    }

    @Override
    public void sendFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        io.writeFully(fd(handle), buffer, length, true);
    }

    @Override
    public void writeFully(Handle handle, MemorySegment first, MemorySegment second)
            throws IOException {
        io.writeFully(fd(handle), first, second);
    }

    @Override
    public int awaitReadable(Handle[] handles, boolean[] ready, long timeoutNanos)
            throws IOException {
        return io.awaitReadable(fds(handles), ready, timeoutNanos);
    }

    @Override
    public boolean awaitReadable(Handle handle, long timeoutNanos) throws IOException {
        return io.awaitReadable(fd(handle), timeoutNanos);
    }

    @Override
    public void awaitHangUp(Handle socket) throws IOException {
        io.awaitHangUp(fd(socket));
    }

    @Override
    public void shutdown(Handle handle) throws IOException {
        io.shutdown(fd(handle));
    }

    @Override
    public void close(Handle handle) throws IOException {
        close(fd(handle));
    }

    private void close(int fd) throws IOException {
        io.close(fd);
    }

    @Override
    public Handle duplicate(Handle handle) throws IOException {
        return handle(io.duplicateAbove(fd(handle), 0));
    }

    // ------------------------------------------------------------------ handle transfer

    @Override
    public void sendWithHandles(Handle socket, MemorySegment data, long length, Handle[] handles)
            throws IOException {
        io.sendWithDescriptors(fd(socket), data, length, fds(handles));
    }

    @Override
    public Received receiveWithHandles(Handle socket, MemorySegment buffer, long length)
            throws IOException {
        LinuxIo.Received r = io.receiveWithDescriptors(fd(socket), buffer, length,
                LinuxIo.MAX_PASSED_DESCRIPTORS);
        return new Received(r.bytes(), handles(r.descriptors()));
    }

    @Override
    public int maxHandlesPerMessage() {
        return LinuxIo.MAX_PASSED_DESCRIPTORS;
    }

    @Override
    public Handle inheritedHandle(int index) throws IOException {
        if (index < 0) {
            throw new IllegalArgumentException("no inherited handle " + index);
        }
        int fd = LinuxProcesses.FIRST_INHERITED_FD + index;
        // posix_spawn mapped it without close-on-exec (it cannot do otherwise): a program this
        // process executes (or -XX:OnError, or a library) must not inherit it
        io.setCloseOnExec(fd);
        return handle(fd);
    }

    // ------------------------------------------------------------------ processes (LinuxProcesses)

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        return processes.spawn(request.executable(), request.arguments(), request.environment(),
                fds(request.handles()));
    }

    @Override
    public Handle openProcessHandle(int pid) throws IOException {
        return handle(processes.openProcessHandle(pid));
    }

    @Override
    public ExitStatus waitForExit(int pid, boolean block) throws IOException {
        return processes.waitForExit(pid, block);
    }

    @Override
    public void stop(int pid, Stop how) throws IOException {
        processes.stop(pid, how);
    }

    @Override
    public String signalName(int signal) {
        return LinuxProcesses.signalName(signal);
    }

    @Override
    public boolean dieWithParent(int parentPid) throws IOException {
        return processes.dieWithParent(parentPid);
    }

    @Override
    public void handleStopRequests(java.util.function.IntConsumer beforeExit) {
        processes.handleStopRequests(beforeExit);
    }

    @Override
    public ExitStatus afterStopReport(ExitStatus status, int reportedSignal) {
        return LinuxProcesses.afterStopReport(status, reportedSignal);
    }

    // ------------------------------------------------------------------ shared memory

    @Override
    public Handle createAnonymousMemory(String debugName, long size) throws IOException {
        MemorySegment st = STATE.get();
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) Memfd.MH.invokeExact(st, a.allocateFrom(debugName),
                    Libc.MFD_CLOEXEC() | Libc.MFD_ALLOW_SEALING());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (fd < 0) {
            throw Errno.exception("memfd_create(\"" + debugName + "\")", errno(st));
        }
        try {
            reserve(fd, size, null, "memfd \"" + debugName + "\"");
            int r = (int) FcntlInt.MH.invokeExact(st, fd, Libc.F_ADD_SEALS(),
                    Libc.F_SEAL_SHRINK() | Libc.F_SEAL_SEAL());
            if (r != 0) {
                throw Errno.exception("fcntl(" + fd + ", F_ADD_SEALS, F_SEAL_SHRINK|F_SEAL_SEAL)",
                        errno(st));
            }
            return handle(fd);
        } catch (Throwable t) {
            close(fd);
            if (t instanceof IOException io) {
                throw io;
            }
            throw rethrow(t);
        }
    }

    @Override
    public Handle openNamedMemory(String name, boolean create) throws IOException {
        MemorySegment st = STATE.get();
        int flags = Libc.O_RDWR() | Libc.O_CLOEXEC() | (create ? Libc.O_CREAT() | Libc.O_EXCL() : 0);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            do {
                fd = (int) ShmOpen.MH.invokeExact(st, a.allocateFrom(name), flags,
                        Libc.S_IRUSR() | Libc.S_IWUSR());
            } while (fd < 0 && errno(st) == Errno.EINTR);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (fd < 0) {
            throw Errno.exception("shm_open(\"" + name + "\", "
                    + (create ? "O_RDWR|O_CREAT|O_EXCL, 0600" : "O_RDWR") + ")", errno(st));
        }
        return handle(fd);
    }

    @Override
    public void unlinkNamedMemory(String name) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try (Arena a = Arena.ofConfined()) {
            r = (int) ShmUnlink.MH.invokeExact(st, a.allocateFrom(name));
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0) {
            throw Errno.exception("shm_unlink(\"" + name + "\")", errno(st));
        }
    }

    @Override
    public void reserve(Handle memory, long size) throws IOException {
        int fd = fd(memory);
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
        MemorySegment st = STATE.get();
        try {
            int r = (int) Ftruncate.MH.invokeExact(st, fd, size);
            if (r != 0) {
                throw Errno.exception("ftruncate(" + fd + ", " + size + ")", errno(st));
            }
            if (size > 0) {
                do {
                    r = (int) Fallocate.MH.invokeExact(st, fd, 0, 0L, size);
                } while (r != 0 && errno(st) == Errno.EINTR);
                if (r != 0) {
                    throw Errno.exception("fallocate(" + fd + ", 0, 0, " + size + ")", errno(st));
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
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

    @Override
    public FileStatus status(Handle handle) throws IOException {
        int fd = fd(handle);
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(arch.statLayoutSize(), 8);
            int r = (int) Fstat.MH.invokeExact(st, fd, buf);
            if (r != 0) {
                throw Errno.exception("fstat(" + fd + ")", errno(st));
            }
            return new FileStatus(arch.statSize(buf), arch.statUid(buf), arch.statMode(buf) & 07777);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int uid() {
        return Libc.getuid();
    }

    @Override
    public long inode(Handle handle) throws IOException {
        int fd = fd(handle);
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(arch.statLayoutSize(), 8);
            int r = (int) Fstat.MH.invokeExact(st, fd, buf);
            if (r != 0) {
                throw Errno.exception("fstat(" + fd + ")", errno(st));
            }
            return arch.statInode(buf);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long pageSize() {
        return PageSize.VALUE;
    }

    /** The kernel's page size from the auxiliary vector ({@code AT_PAGESZ}), read once. */
    private static final class PageSize {
        static final long VALUE = read();

        private static long read() {
            final long atPagesz = 6; // AT_PAGESZ in <elf.h>, the same on every architecture
            try {
                java.nio.ByteBuffer auxv = java.nio.ByteBuffer.wrap(
                        java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/self/auxv")))
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

    // ---------------------------------------------------------------- liveness marks
    //
    // A mark is an open-file-description ("OFD") read lock on one byte: F_OFD_SETLK belongs to
    // the open file description, not to the process, so it is not dropped when the process
    // closes some other descriptor of the file (as a classic F_SETLK lock would be), and it is
    // released by the kernel when the last descriptor of that description is closed — at the
    // latest when the process ends. A private description comes from opening /proc/self/fd/N
    // anew (a dup, an inherited or a received descriptor would share the description, and so
    // the lock, with other processes). F_OFD_GETLK reports a lock of any other description,
    // whichever PID namespace its holder runs in. Byte offsets up to 2^63 - 1 are valid whatever
    // the file's size; nothing is read or written there.
    //
    // The constants and struct flock below are not yet in the generated bindings (jextract was
    // not at hand when they were needed); they are the kernel ABI, the same on x86_64 and
    // aarch64 (asm-generic fcntl.h). At the next scripts/jextract run add F_OFD_GETLK,
    // F_OFD_SETLK, F_RDLCK, F_WRLCK, F_UNLCK, AT_FDCWD and struct flock to
    // native/linux/includes-common.txt and use the generated ones.
    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final short F_RDLCK = 0;
    private static final short F_WRLCK = 1;
    private static final short F_UNLCK = 2;
    private static final long AT_FDCWD = -100;
    /** {@code struct flock} of 64-bit Linux. */
    private static final StructLayout FLOCK = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("l_type"),
            ValueLayout.JAVA_SHORT.withName("l_whence"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.JAVA_LONG.withName("l_start"),
            ValueLayout.JAVA_LONG.withName("l_len"),
            ValueLayout.JAVA_INT.withName("l_pid"),
            MemoryLayout.paddingLayout(4));
    private static final long FLOCK_TYPE = FLOCK.byteOffset(MemoryLayout.PathElement.groupElement("l_type"));
    private static final long FLOCK_START = FLOCK.byteOffset(MemoryLayout.PathElement.groupElement("l_start"));
    private static final long FLOCK_LEN = FLOCK.byteOffset(MemoryLayout.PathElement.groupElement("l_len"));

    @Override
    public Handle openPrivateHandle(Handle memory) throws IOException {
        MemorySegment st = STATE.get();
        String path = "/proc/self/fd/" + fd(memory);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            for (;;) {
                // openat through the one syscall(2) shape: the path is its pointer argument.
                int r = (int) (long) Sys.MH.invokeExact(st, arch.sysOpenat(), AT_FDCWD, p,
                        (long) (Libc.O_RDWR() | Libc.O_CLOEXEC()), 0L, 0L, 0L);
                if (r >= 0) {
                    return handle(r);
                }
                if (errno(st) != Errno.EINTR) {
                    throw Errno.exception("open(\"" + path + "\", O_RDWR|O_CLOEXEC)", errno(st));
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void placeMark(Handle handle, long index) throws IOException {
        checkMarkIndex(index);
        if (ofdLock(fd(handle), F_OFD_SETLK, F_RDLCK, index) < 0) {
            throw new AssertionError("F_OFD_SETLK returned no lock type");
        }
    }

    @Override
    public boolean markPlaced(Handle handle, long index) throws IOException {
        checkMarkIndex(index);
        return ofdLock(fd(handle), F_OFD_GETLK, F_WRLCK, index) != F_UNLCK;
    }

    private static void checkMarkIndex(long index) {
        if (index < 0 || index >= 1L << 62) {
            throw new IllegalArgumentException("mark index out of [0, 2^62): " + index);
        }
    }

    /** fcntl(handle, cmd, {type, SEEK_SET, index, 1}); @return l_type afterwards */
    private short ofdLock(int handle, int cmd, short type, long index) throws IOException {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fl = a.allocate(FLOCK); // zeroed: l_whence = SEEK_SET, l_pid = 0 (required)
            fl.set(ValueLayout.JAVA_SHORT, FLOCK_TYPE, type);
            fl.set(ValueLayout.JAVA_LONG, FLOCK_START, index);
            fl.set(ValueLayout.JAVA_LONG, FLOCK_LEN, 1L);
            for (;;) {
                // fcntl through the one syscall(2) shape: the command travels in the pointer slot
                // (asPointer), the struct's address as an integer; the confined arena keeps the
                // struct alive until the call has returned.
                int r = (int) (long) Sys.MH.invokeExact(st, arch.sysFcntl(), (long) handle,
                        asPointer(cmd), fl.address(), 0L, 0L, 0L);
                if (r == 0) {
                    return fl.get(ValueLayout.JAVA_SHORT, FLOCK_TYPE);
                }
                if (errno(st) != Errno.EINTR) {
                    throw Errno.exception("fcntl(" + handle + ", "
                            + (cmd == F_OFD_SETLK ? "F_OFD_SETLK" : "F_OFD_GETLK") + ", {"
                            + (type == F_RDLCK ? "F_RDLCK" : "F_WRLCK") + ", " + index + ", 1})",
                            errno(st));
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long processStartTime(int pid) {
        String stat;
        try {
            stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        } catch (java.nio.file.NoSuchFileException e) {
            return -1; // no such process: proof of death
        } catch (IOException | RuntimeException e) {
            // EMFILE, EACCES (hidepid), an interrupted read...: not a proof of anything
            return START_TIME_UNKNOWN;
        }
        // Fields after the command name (which may contain spaces) start after the last ')'.
        try {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) {
                return -1;
            }
            return Long.parseLong(f[19]); // field 22, starttime
        } catch (RuntimeException e) {
            return START_TIME_UNKNOWN; // a truncated read: not a proof of anything
        }
    }

    @Override
    public MemorySegment map(Handle memory, long size, Arena arena) throws IOException {
        int fd = fd(memory);
        MemorySegment st = STATE.get();
        MemorySegment addr;
        try {
            addr = (MemorySegment) Mmap.MH.invokeExact(st, MemorySegment.NULL, size,
                    Libc.PROT_READ() | Libc.PROT_WRITE(), Libc.MAP_SHARED(), fd, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (addr.address() == -1L) {
            throw Errno.exception("mmap(" + size + " bytes, fd " + fd + ")", errno(st));
        }
        return addr.reinterpret(size, arena, s -> Libc.munmap(s, size));
    }

    // ------------------------------------------------------------------ waiting

    @Override
    public long waitChannelBytes() {
        return 0;
    }

    @Override
    public void initWaitChannel(MemorySegment region, long offset) {
        checkWaitChannelArea(region, offset);
    }

    @Override
    public WaitChannel waitChannel(MemorySegment region, long offset) {
        checkWaitChannelArea(region, offset);
        return waitChannel;
    }

    @Override
    public String backendId() {
        return "linux";
    }

    private static void checkWaitChannelArea(MemorySegment region, long offset) {
        if (offset < 0 || offset > region.byteSize() || offset % 64 != 0) {
            throw new IllegalArgumentException("wait-channel area at " + offset
                    + " is not a 64-byte aligned offset within a region of " + region.byteSize()
                    + " bytes");
        }
    }

    // ------------------------------------------------------------------ stream sockets (LinuxSockets)

    @Override
    public Handle socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException {
        return handle(sockets.socket(address, nonBlocking));
    }

    @Override
    public void bindAndListen(Handle socket, java.net.SocketAddress address, int backlog)
            throws IOException {
        sockets.bindAndListen(fd(socket), address, backlog);
    }

    @Override
    public Handle accept(Handle listener) throws IOException {
        int fd = sockets.accept(fd(listener));
        return fd < 0 ? null : handle(fd);
    }

    @Override
    public void connect(Handle socket, java.net.SocketAddress address) throws IOException {
        sockets.connect(fd(socket), address);
    }

    @Override
    public boolean connect(Handle socket, java.net.SocketAddress address, long timeoutNanos)
            throws IOException {
        return sockets.connect(fd(socket), address, timeoutNanos);
    }

    @Override
    public java.net.SocketAddress localAddress(Handle socket) throws IOException {
        return sockets.localAddress(fd(socket));
    }

    @Override
    public String toString() {
        return "LinuxPlatform[" + name + "]";
    }
}
