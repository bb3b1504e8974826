package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.bindings.Libc.C_INT;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_LONG;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.UnsupportedPlatformException;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.linux.bindings.cmsghdr;
import org.multiprocessing4j.platform.linux.bindings.iovec;
import org.multiprocessing4j.platform.linux.bindings.msghdr;
import org.multiprocessing4j.platform.linux.bindings.pollfd;
import org.multiprocessing4j.platform.linux.bindings.posix_spawn_file_actions_t;
import org.multiprocessing4j.platform.linux.bindings.posix_spawnattr_t;
import org.multiprocessing4j.platform.linux.bindings.sigset_t;
import org.multiprocessing4j.platform.linux.bindings.sockaddr_in;
import org.multiprocessing4j.platform.linux.bindings.sockaddr_in6;
import org.multiprocessing4j.platform.linux.bindings.sockaddr_un;

/**
 * The Linux backend, built only on the jextract bindings in {@code ...linux.bindings} (the parts
 * common to every architecture) and {@code ...linux.bindings.<arch>} (syscall numbers and struct
 * layouts that differ), selected once by {@link #create(String)}.
 *
 * <p>errno: every call that can fail is a downcall made from the generated symbol address and
 * descriptor with {@link Linker.Option#captureCallState(String...) captureCallState("errno")};
 * {@link Errno} translates it. read, write, recv, send, prctl, getpid, getppid, shutdown and
 * close go through {@code syscall(2)} with the architecture's generated numbers, in one downcall
 * shape (see {@code Sys}: each shape costs a starting child milliseconds). {@code EINTR} is
 * retried (with the remaining time for timed calls).
 *
 * <p>SIGPIPE: sockets are written with {@code send(MSG_NOSIGNAL)}; pipes with {@code write}, which
 * cannot raise SIGPIPE in a JVM because HotSpot installs a handler that ignores it — the write
 * fails with {@code EPIPE}, which becomes {@link java.io.EOFException}.
 *
 * <p>Spawning: {@code posix_spawn} runs on one dedicated, never-ending platform thread, because
 * Linux's parent-death signal fires when the <em>thread</em> that created a child ends; children
 * therefore outlive the user thread that started them and die only with this process.
 */
public final class LinuxPlatform implements Platform {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));


    // Each downcall handle sits in its own holder class: created on first use (a child JVM
    // needs only a few, and each costs milliseconds to link), then a constant to the JIT.

    /**
     * {@code long syscall(long number, long a1, void *a2, long a3, long a4, long a5, long a6)}:
     * the one downcall shape of the calls a child makes before its first message (read, write,
     * recvfrom, sendto, prctl, getpid, getppid) and as it ends (shutdown, close). A JVM links
     * every distinct shape on its first use (a stub and a chain of method handles, ~7-10 ms
     * each, which no JDK 25 archive can hold): one shape instead of five made a spawned child
     * reach its first message ~20 ms sooner (86-93 ms against 107-112 ms, measured side by
     * side; bench/RESULTS.md: spawn + archive 110 → 99 ms).
     *
     * <p>ABI: {@code syscall} is variadic from its second parameter, and on x86_64 and aarch64
     * Linux a variadic pointer or integer argument travels in the next general register either
     * way, so the kernel gets exactly what it would from {@code read(fd, buf, n)}. The buffer is
     * the second argument of every call that has one, and it is a pointer here — not a raw
     * address — so the FFM keeps its segment alive and open for the call, as with a typed
     * {@code read}. Calls whose second argument is an integer pass it as the address of a
     * zero-length segment ({@link #asPointer}).
     */
    private static final class Sys {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.syscall.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG,
                        C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    /**
     * {@code int fcntl(int fd, int cmd, ...)} in the shape of {@link Sys}, for the one fcntl a
     * spawned child makes before its task runs (close-on-exec on its inherited descriptors):
     * the same function descriptor and options reuse the linkage {@code Sys} already paid for,
     * where a typed {@code fcntl} shape cost a starting child ~15 ms. The same ABI argument
     * holds: the arguments travel in the first general registers, named or variadic, the
     * extra ones are ignored, and the result is the low 32 bits of the return register.
     */
    private static final class FcntlAsSys {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.fcntl.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG,
                        C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    /** {@return an integer argument in the pointer slot of {@link Sys}} */
    private static MemorySegment asPointer(long value) {
        return MemorySegment.ofAddress(value);
    }

    private static final class Writev {
        static final MethodHandle MH = errno(Libc.writev$address(), Libc.writev$descriptor());
    }

    private static final class Poll {
        static final MethodHandle MH = errno(Libc.poll$address(), Libc.poll$descriptor());
    }

    private static final class Pipe2 {
        static final MethodHandle MH = errno(Libc.pipe2$address(), Libc.pipe2$descriptor());
    }

    private static final class Socketpair {
        static final MethodHandle MH = errno(Libc.socketpair$address(), Libc.socketpair$descriptor());
    }

    private static final class Waitpid {
        static final MethodHandle MH = errno(Libc.waitpid$address(), Libc.waitpid$descriptor());
    }

    private static final class Kill {
        static final MethodHandle MH = errno(Libc.kill$address(), Libc.kill$descriptor());
    }

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

    /** {@code int fcntl(int fd, int cmd, int arg)}. */
    private static final class FcntlInt {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.fcntl.address(), FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    }

    /** {@code long syscall(long n, long a, long b)}. */
    private static final class Syscall2 {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.syscall.address(), FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG), Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
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

    private static final class Sendmsg {
        static final MethodHandle MH = errno(Libc.sendmsg$address(), Libc.sendmsg$descriptor());
    }

    private static final class Recvmsg {
        static final MethodHandle MH = errno(Libc.recvmsg$address(), Libc.recvmsg$descriptor());
    }

    /** Where a control message's data starts: CMSG_DATA, i.e. CMSG_ALIGN(sizeof(struct cmsghdr)). */
    private static final long CMSG_DATA = align8(cmsghdr.sizeof());

    private static final int O_CLOEXEC = Libc.O_CLOEXEC();
    private static final int MSG_NOSIGNAL = Libc.MSG_NOSIGNAL();
    private static final int MSG_DONTWAIT = Libc.MSG_DONTWAIT();

    private final String name;
    private final LinuxArch arch;
    private final LinuxWaitChannel waitChannel;
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mp4j-spawner");
        t.setDaemon(true);
        return t;
    });

    private LinuxPlatform(String name, LinuxArch arch) {
        this.name = name;
        this.arch = arch;
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
        return LINKER.downcallHandle(address, descriptor, Linker.Option.captureCallState("errno"));
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int pid() {
        return (int) callWithoutFailure(arch.syscalls().getpid());
    }

    @Override
    public int parentPid() {
        return (int) callWithoutFailure(arch.syscalls().getppid());
    }

    /** A system call without arguments that cannot fail (getpid, getppid). */
    private static long callWithoutFailure(long number) {
        try {
            return (long) Sys.MH.invokeExact(STATE.get(), number, 0L, MemorySegment.NULL, 0L, 0L,
                    0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ------------------------------------------------------------------ descriptors

    @Override
    public int[] pipe() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment st = STATE.get();
            int r = (int) Pipe2.MH.invokeExact(st, fds, O_CLOEXEC);
            if (r != 0) {
                throw Errno.exception("pipe2(O_CLOEXEC)", errno(st));
            }
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int[] socketPair() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment st = STATE.get();
            int r = (int) Socketpair.MH.invokeExact(st, Libc.AF_UNIX(),
                    Libc.SOCK_STREAM() | Libc.SOCK_CLOEXEC(), 0, fds);
            if (r != 0) {
                throw Errno.exception("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)", errno(st));
            }
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long read(int fd, MemorySegment buffer, long length) throws IOException {
        MemorySegment st = STATE.get();
        for (;;) {
            long r;
            try {
                r = (long) Sys.MH.invokeExact(st, arch.syscalls().read(), (long) fd, buffer,
                        length, 0L, 0L, 0L);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int e = errno(st);
            if (e == Errno.ECONNRESET) {
                return 0; // the peer died with unread data: same as end of stream for us
            }
            if (e != Errno.EINTR) {
                throw Errno.exception("read(" + fd + ")", e);
            }
        }
    }

    @Override
    public long readNow(int fd, MemorySegment buffer, long length) throws IOException {
        MemorySegment st = STATE.get();
        for (;;) {
            long r;
            try {
                // recv(fd, buf, n, flags) is recvfrom(fd, buf, n, flags, NULL, NULL)
                r = (long) Sys.MH.invokeExact(st, arch.syscalls().recvfrom(), (long) fd, buffer,
                        length, (long) MSG_DONTWAIT, 0L, 0L);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int e = errno(st);
            if (e == Errno.EAGAIN || e == Errno.ENOTSOCK) {
                return -1;
            }
            if (e == Errno.ECONNRESET) {
                return 0;
            }
            if (e != Errno.EINTR) {
                throw Errno.exception("recv(" + fd + ", MSG_DONTWAIT)", e);
            }
        }
    }

    @Override
    public void writeFully(int fd, MemorySegment buffer, long length) throws IOException {
        writeLoop(fd, buffer, length, false);
    }

    @Override
    public void sendFully(int fd, MemorySegment buffer, long length) throws IOException {
        writeLoop(fd, buffer, length, true);
    }

    private void writeLoop(int fd, MemorySegment buffer, long length, boolean socket)
            throws IOException {
        MemorySegment st = STATE.get();
        LinuxArch.Syscalls syscalls = arch.syscalls();
        long done = 0;
        while (done < length) {
            long r;
            MemorySegment rest = buffer.asSlice(done, length - done);
            try {
                // send(fd, buf, n, flags) is sendto(fd, buf, n, flags, NULL, 0)
                r = socket
                        ? (long) Sys.MH.invokeExact(st, syscalls.sendto(), (long) fd, rest,
                                length - done, (long) MSG_NOSIGNAL, 0L, 0L)
                        : (long) Sys.MH.invokeExact(st, syscalls.write(), (long) fd, rest,
                                length - done, 0L, 0L, 0L);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r >= 0) {
                done += r;
                continue;
            }
            int e = errno(st);
            if (e == Errno.ENOTSOCK && socket) {
                socket = false;
            } else if (e != Errno.EINTR) {
                throw Errno.exception((socket ? "send(" : "write(") + fd + ")", e);
            }
        }
    }

    @Override
    public void writeFully(int fd, MemorySegment first, MemorySegment second) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment iov = iovec.allocateArray(2, a);
            MemorySegment st = STATE.get();
            long total = first.byteSize() + second.byteSize();
            long done = 0;
            while (done < total) {
                if (done >= first.byteSize()) { // header gone: finish the payload alone
                    long off = done - first.byteSize();
                    writeLoop(fd, second.asSlice(off), second.byteSize() - off, false);
                    return;
                }
                MemorySegment v0 = iovec.asSlice(iov, 0);
                MemorySegment v1 = iovec.asSlice(iov, 1);
                iovec.iov_base(v0, first.asSlice(done));
                iovec.iov_len(v0, first.byteSize() - done);
                iovec.iov_base(v1, second);
                iovec.iov_len(v1, second.byteSize());
                long r = (long) Writev.MH.invokeExact(st, fd, iov, 2);
                if (r >= 0) {
                    done += r;
                    continue;
                }
                int e = errno(st);
                if (e != Errno.EINTR) {
                    throw Errno.exception("writev(" + fd + ")", e);
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int poll(int[] fds, short[] events, short[] ready, long timeoutNanos) throws IOException {
        int n = fds.length;
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = pollfd.allocateArray(n, a);
            for (int i = 0; i < n; i++) {
                MemorySegment e = pollfd.asSlice(p, i);
                pollfd.fd(e, fds[i]);
                pollfd.events(e, events[i]);
            }
            MemorySegment st = STATE.get();
            for (;;) {
                int ms;
                if (timeoutNanos < 0) {
                    ms = -1;
                } else if (timeoutNanos == 0) {
                    ms = 0;
                } else {
                    long left = deadline - System.nanoTime();
                    // round up: poll may only return late, never early
                    ms = left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
                }
                int r = (int) Poll.MH.invokeExact(st, p, (long) n, ms);
                if (r >= 0) {
                    if (r == 0 && timeoutNanos > 0 && deadline - System.nanoTime() > 0) {
                        continue; // woke a little early (clock granularity): sleep the rest
                    }
                    for (int i = 0; i < n; i++) {
                        ready[i] = pollfd.revents(pollfd.asSlice(p, i));
                    }
                    return r;
                }
                int e = errno(st);
                if (e != Errno.EINTR) {
                    throw Errno.exception("poll(" + n + " fds)", e);
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void shutdown(int fd) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) (long) Sys.MH.invokeExact(st, arch.syscalls().shutdown(), (long) fd,
                    asPointer(Libc.SHUT_RDWR()), 0L, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0) {
            int e = errno(st);
            if (e != Errno.ENOTSOCK && e != Errno.ENOTCONN) {
                throw Errno.exception("shutdown(" + fd + ", SHUT_RDWR)", e);
            }
        }
    }

    @Override
    public void close(int fd) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) (long) Sys.MH.invokeExact(st, arch.syscalls().close(), (long) fd,
                    MemorySegment.NULL, 0L, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0 && errno(st) != Errno.EINTR) {
            throw Errno.exception("close(" + fd + ")", errno(st));
        }
    }

    @Override
    public int duplicate(int fd) throws IOException {
        return duplicateAbove(fd, 0);
    }

    @Override
    public void setCloseOnExec(int fd) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) (long) FcntlAsSys.MH.invokeExact(st, (long) fd, (long) Libc.F_SETFD(),
                    asPointer(Libc.FD_CLOEXEC()), 0L, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            throw Errno.exception("fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)", errno(st));
        }
    }

    private int duplicateAbove(int fd, int lowest) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) FcntlInt.MH.invokeExact(st, fd, Libc.F_DUPFD_CLOEXEC(), lowest);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            throw Errno.exception("fcntl(" + fd + ", F_DUPFD_CLOEXEC, " + lowest + ")", errno(st));
        }
        return r;
    }

    @Override
    public void sendWithDescriptors(int socket, MemorySegment data, long length, int[] descriptors)
            throws IOException {
        if (descriptors.length > MAX_PASSED_DESCRIPTORS) {
            throw new IllegalArgumentException("at most " + MAX_PASSED_DESCRIPTORS
                    + " descriptors per message, got " + descriptors.length);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("descriptors travel with at least one byte");
        }
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = msghdr.allocate(a);
            MemorySegment iov = iovec.allocate(a);
            iovec.iov_base(iov, data);
            iovec.iov_len(iov, length);
            msghdr.msg_iov(msg, iov);
            msghdr.msg_iovlen(msg, 1L);
            if (descriptors.length > 0) {
                long space = CMSG_DATA + align8(4L * descriptors.length);
                MemorySegment control = a.allocate(space, 8);
                cmsghdr.cmsg_len(control, CMSG_DATA + 4L * descriptors.length);
                cmsghdr.cmsg_level(control, Libc.SOL_SOCKET());
                cmsghdr.cmsg_type(control, Libc.SCM_RIGHTS());
                for (int i = 0; i < descriptors.length; i++) {
                    control.set(ValueLayout.JAVA_INT, CMSG_DATA + 4L * i, descriptors[i]);
                }
                msghdr.msg_control(msg, control);
                msghdr.msg_controllen(msg, space);
            }
            long r;
            do {
                r = (long) Sendmsg.MH.invokeExact(st, socket, msg, MSG_NOSIGNAL);
            } while (r < 0 && errno(st) == Errno.EINTR);
            if (r < 0) {
                throw Errno.exception("sendmsg(" + socket + ", " + length + " bytes, "
                        + descriptors.length + " descriptors)", errno(st));
            }
            if (r < length) { // the descriptors left with the first byte: the rest goes plainly
                writeLoop(socket, data.asSlice(r), length - r, true);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public Received receiveWithDescriptors(int socket, MemorySegment buffer, long length,
                                           int maxDescriptors) throws IOException {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = msghdr.allocate(a);
            MemorySegment iov = iovec.allocate(a);
            iovec.iov_base(iov, buffer);
            iovec.iov_len(iov, length);
            long space = CMSG_DATA + align8(4L * Math.max(1, maxDescriptors));
            MemorySegment control = a.allocate(space, 8);
            long r;
            for (;;) {
                msg.fill((byte) 0);
                msghdr.msg_iov(msg, iov);
                msghdr.msg_iovlen(msg, 1L);
                msghdr.msg_control(msg, control);
                msghdr.msg_controllen(msg, space);
                r = (long) Recvmsg.MH.invokeExact(st, socket, msg, Libc.MSG_CMSG_CLOEXEC());
                if (r >= 0) {
                    break;
                }
                int e = errno(st);
                if (e == Errno.ECONNRESET) {
                    return new Received(0, new int[0]);
                }
                if (e != Errno.EINTR) {
                    throw Errno.exception("recvmsg(" + socket + ")", e);
                }
            }
            int[] fds = new int[0];
            long controlLength = msghdr.msg_controllen(msg);
            if (controlLength >= CMSG_DATA
                    && cmsghdr.cmsg_level(control) == Libc.SOL_SOCKET()
                    && cmsghdr.cmsg_type(control) == Libc.SCM_RIGHTS()) {
                long dataLength = cmsghdr.cmsg_len(control) - CMSG_DATA;
                fds = new int[(int) (dataLength / 4)];
                for (int i = 0; i < fds.length; i++) {
                    fds[i] = control.get(ValueLayout.JAVA_INT, CMSG_DATA + 4L * i);
                }
            }
            if ((msghdr.msg_flags(msg) & Libc.MSG_CTRUNC()) != 0
                    || fds.length > maxDescriptors) {
                for (int fd : fds) {
                    close(fd);
                }
                throw new IOException("recvmsg(" + socket + ") received more than "
                        + maxDescriptors + " descriptors (MSG_CTRUNC); they were closed");
            }
            return new Received(r, fds);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    // ------------------------------------------------------------------ processes

    @Override
    public int spawn(SpawnRequest request) throws IOException {
        Callable<Integer> call = () -> spawnOnThisThread(request);
        Future<Integer> f = spawner.submit(call);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the spawn is already under way: finish it, keep the flag
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw rethrow(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private int spawnOnThisThread(SpawnRequest request) throws IOException {
        int[] sources = request.descriptors();
        int n = sources.length;
        int[] moved = new int[n];
        try (Arena a = Arena.ofConfined()) {
            // Sources inside the target range 3..3+n-1 could be overwritten by an earlier dup2:
            // move every source above the range first (closed again below).
            for (int i = 0; i < n; i++) {
                moved[i] = duplicateAbove(sources[i], 3 + n);
            }
            MemorySegment actions = posix_spawn_file_actions_t.allocate(a);
            MemorySegment attr = posix_spawnattr_t.allocate(a);
            check("posix_spawn_file_actions_init", Libc.posix_spawn_file_actions_init(actions));
            check("posix_spawnattr_init", Libc.posix_spawnattr_init(attr));
            try {
                for (int i = 0; i < n; i++) {
                    check("posix_spawn_file_actions_adddup2",
                            Libc.posix_spawn_file_actions_adddup2(actions, moved[i], 3 + i));
                }
                check("posix_spawn_file_actions_addclosefrom_np",
                        Libc.posix_spawn_file_actions_addclosefrom_np(actions, 3 + n));
                MemorySegment none = sigset_t.allocate(a);
                MemorySegment all = sigset_t.allocate(a);
                Libc.sigemptyset(none);
                Libc.sigfillset(all);
                check("posix_spawnattr_setsigmask", Libc.posix_spawnattr_setsigmask(attr, none));
                check("posix_spawnattr_setsigdefault", Libc.posix_spawnattr_setsigdefault(attr, all));
                check("posix_spawnattr_setflags", Libc.posix_spawnattr_setflags(attr,
                        (short) (Libc.POSIX_SPAWN_SETSIGMASK() | Libc.POSIX_SPAWN_SETSIGDEF())));
                MemorySegment pid = a.allocate(ValueLayout.JAVA_INT);
                MemorySegment path = a.allocateFrom(request.executable());
                MemorySegment argv = cStrings(a, request.arguments());
                MemorySegment envp = cStrings(a, request.environment());
                int r = Libc.posix_spawn(pid, path, actions, attr, argv, envp);
                if (r != 0) {
                    throw Errno.exception("posix_spawn(\"" + request.executable() + "\")", r);
                }
                return pid.get(ValueLayout.JAVA_INT, 0);
            } finally {
                Libc.posix_spawn_file_actions_destroy(actions);
                Libc.posix_spawnattr_destroy(attr);
            }
        } finally {
            for (int m : moved) {
                if (m > 0) {
                    close(m);
                }
            }
        }
    }

    private static void check(String call, int result) throws IOException {
        if (result != 0) {
            throw Errno.exception(call, result);
        }
    }

    private static MemorySegment cStrings(SegmentAllocator a, List<String> strings) {
        MemorySegment array = a.allocate(C_POINTER, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(C_POINTER, i, a.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(C_POINTER, strings.size(), MemorySegment.NULL);
        return array;
    }

    @Override
    public int openProcessHandle(int pid) throws IOException {
        MemorySegment st = STATE.get();
        long r;
        try {
            r = (long) Syscall2.MH.invokeExact(st, (long) Libc.SYS_pidfd_open(), (long) pid, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            throw Errno.exception("pidfd_open(" + pid + ")", errno(st));
        }
        return (int) r; // pidfd_open always sets close-on-exec
    }

    @Override
    public ExitStatus waitForExit(int pid, boolean block) throws IOException {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment status = a.allocate(ValueLayout.JAVA_INT);
            for (;;) {
                int r = (int) Waitpid.MH.invokeExact(st, pid, status, block ? 0 : Libc.WNOHANG());
                if (r == 0) {
                    return null;
                }
                if (r > 0) {
                    int s = status.get(ValueLayout.JAVA_INT, 0);
                    int low = s & 0x7f;
                    if (low == 0) {
                        return new ExitStatus((s >> 8) & 0xff, 0); // WIFEXITED, WEXITSTATUS
                    }
                    return new ExitStatus(-1, low); // WIFSIGNALED, WTERMSIG
                }
                int e = errno(st);
                if (e != Errno.EINTR) {
                    throw Errno.exception("waitpid(" + pid + ")", e);
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void signal(int pid, int signal) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) Kill.MH.invokeExact(st, pid, signal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0 && errno(st) != Errno.ESRCH) {
            throw Errno.exception("kill(" + pid + ", " + signal + ")", errno(st));
        }
    }

    @Override
    public void setParentDeathSignal(int signal) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) (long) Sys.MH.invokeExact(st, arch.syscalls().prctl(),
                    (long) Libc.PR_SET_PDEATHSIG(), asPointer(signal), 0L, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0) {
            throw Errno.exception("prctl(PR_SET_PDEATHSIG, " + signal + ")", errno(st));
        }
    }

    // ------------------------------------------------------------------ shared memory

    @Override
    public int createAnonymousMemory(String debugName, long size) throws IOException {
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
            return fd;
        } catch (Throwable t) {
            close(fd);
            if (t instanceof IOException io) {
                throw io;
            }
            throw rethrow(t);
        }
    }

    @Override
    public int openNamedMemory(String name, boolean create) throws IOException {
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
        return fd;
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
    public void reserve(int fd, long size) throws IOException {
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
    public FileStatus status(int fd) throws IOException {
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
    public long inode(int fd) throws IOException {
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
    public int openPrivateHandle(int fd) throws IOException {
        MemorySegment st = STATE.get();
        String path = "/proc/self/fd/" + fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            for (;;) {
                // openat through the one syscall(2) shape: the path is its pointer argument.
                int r = (int) (long) Sys.MH.invokeExact(st, arch.sysOpenat(), AT_FDCWD, p,
                        (long) (Libc.O_RDWR() | Libc.O_CLOEXEC()), 0L, 0L, 0L);
                if (r >= 0) {
                    return r;
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
    public void placeMark(int handle, long index) throws IOException {
        checkMarkIndex(index);
        if (ofdLock(handle, F_OFD_SETLK, F_RDLCK, index) < 0) {
            throw new AssertionError("F_OFD_SETLK returned no lock type");
        }
    }

    @Override
    public boolean markPlaced(int handle, long index) throws IOException {
        checkMarkIndex(index);
        return ofdLock(handle, F_OFD_GETLK, F_WRLCK, index) != F_UNLCK;
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
    public MemorySegment map(int fd, long size, Arena arena) throws IOException {
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

    // ------------------------------------------------------------------ stream sockets
    //
    // bind/connect/getsockname take glibc's transparent union __SOCKADDR_ARG, which jextract
    // renders as a union passed by value; a union of pointers is passed exactly as a pointer on
    // every ABI we support, so these handles use the symbol with a pointer parameter.

    private static final class Socket {
        static final MethodHandle MH = errno(Libc.socket$address(), Libc.socket$descriptor());
    }

    private static final class Fchmod {
        static final MethodHandle MH = errno(Libc.fchmod$address(), Libc.fchmod$descriptor());
    }

    private static final class Bind {
        static final MethodHandle MH = errno(Libc.bind$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    private static final class Listen {
        static final MethodHandle MH = errno(Libc.listen$address(), Libc.listen$descriptor());
    }

    private static final class Accept4 {
        static final MethodHandle MH = errno(Libc.accept4$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    }

    private static final class Connect {
        static final MethodHandle MH = errno(Libc.connect$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    private static final class Getsockname {
        static final MethodHandle MH = errno(Libc.getsockname$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    }

    private static final class Setsockopt {
        static final MethodHandle MH = errno(Libc.setsockopt$address(), Libc.setsockopt$descriptor());
    }

    private static final class Getsockopt {
        static final MethodHandle MH = errno(Libc.getsockopt$address(), Libc.getsockopt$descriptor());
    }

    private static int family(java.net.SocketAddress address) {
        if (address instanceof java.net.UnixDomainSocketAddress) {
            return Libc.AF_UNIX();
        }
        if (address instanceof java.net.InetSocketAddress inet) {
            if (inet.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address " + inet);
            }
            return inet.getAddress() instanceof java.net.Inet6Address ? Libc.AF_INET6() : Libc.AF_INET();
        }
        throw new IllegalArgumentException("not a Unix-domain or TCP address: " + address);
    }

    /** Writes {@code address} as a sockaddr into {@code a}; returns it (its size is the length). */
    private static MemorySegment sockaddr(java.net.SocketAddress address, Arena a) {
        if (address instanceof java.net.UnixDomainSocketAddress unix) {
            byte[] path = unix.getPath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            MemorySegment sa = sockaddr_un.allocate(a);
            long room = sockaddr_un.sun_path$layout().byteSize();
            if (path.length == 0 || path.length >= room || indexOfZero(path) >= 0) {
                throw new IllegalArgumentException("a Unix socket path must be 1 to " + (room - 1)
                        + " bytes with no NUL (abstract names are not used), got " + path.length
                        + " bytes: " + unix.getPath());
            }
            sockaddr_un.sun_family(sa, (short) Libc.AF_UNIX());
            MemorySegment.copy(path, 0, sockaddr_un.sun_path(sa), ValueLayout.JAVA_BYTE, 0, path.length);
            return sa;
        }
        java.net.InetSocketAddress inet = (java.net.InetSocketAddress) address;
        family(inet); // checks resolution
        byte[] ip = inet.getAddress().getAddress();
        short port = Short.reverseBytes((short) inet.getPort()); // network order
        if (ip.length == 4) {
            MemorySegment sa = sockaddr_in.allocate(a);
            sockaddr_in.sin_family(sa, (short) Libc.AF_INET());
            sockaddr_in.sin_port(sa, port);
            MemorySegment.copy(ip, 0, sockaddr_in.sin_addr(sa), ValueLayout.JAVA_BYTE, 0, 4);
            return sa;
        }
        MemorySegment sa = sockaddr_in6.allocate(a);
        sockaddr_in6.sin6_family(sa, (short) Libc.AF_INET6());
        sockaddr_in6.sin6_port(sa, port);
        MemorySegment.copy(ip, 0, sockaddr_in6.sin6_addr(sa), ValueLayout.JAVA_BYTE, 0, 16);
        if (inet.getAddress() instanceof java.net.Inet6Address v6) {
            sockaddr_in6.sin6_scope_id(sa, v6.getScopeId());
        }
        return sa;
    }

    private static int indexOfZero(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException {
        int family = family(address);
        MemorySegment st = STATE.get();
        int type = Libc.SOCK_STREAM() | Libc.SOCK_CLOEXEC() | (nonBlocking ? Libc.SOCK_NONBLOCK() : 0);
        int fd;
        try {
            fd = (int) Socket.MH.invokeExact(st, family, type, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (fd < 0) {
            throw Errno.exception("socket(" + family + ", SOCK_STREAM)", errno(st));
        }
        return fd;
    }

    private static void setIntOption(int fd, int level, int option, int value, String what) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, value);
            MemorySegment st = STATE.get();
            int r = (int) Setsockopt.MH.invokeExact(st, fd, level, option, v, 4);
            if (r != 0) {
                throw Errno.exception("setsockopt(" + fd + ", " + what + ")", errno(st));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void bindAndListen(int fd, java.net.SocketAddress address, int backlog) throws IOException {
        if (address instanceof java.net.InetSocketAddress) {
            setIntOption(fd, Libc.SOL_SOCKET(), Libc.SO_REUSEADDR(), 1, "SO_REUSEADDR");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, a);
            MemorySegment st = STATE.get();
            if (address instanceof java.net.UnixDomainSocketAddress) {
                // bind() creates the file with the socket inode's mode less the umask: 0600 from
                // the start, instead of a chmod after it (a window in which others may connect).
                int r = (int) Fchmod.MH.invokeExact(st, fd, 0600);
                if (r != 0) {
                    throw Errno.exception("fchmod(" + fd + ", 0600)", errno(st));
                }
            }
            int r = (int) Bind.MH.invokeExact(st, fd, sa, (int) sa.byteSize());
            if (r != 0) {
                throw Errno.exception("bind(" + address + ")", errno(st));
            }
            r = (int) Listen.MH.invokeExact(st, fd, backlog);
            if (r != 0) {
                throw Errno.exception("listen(" + address + ")", errno(st));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int accept(int fd) throws IOException {
        MemorySegment st = STATE.get();
        for (;;) {
            int r;
            try {
                r = (int) Accept4.MH.invokeExact(st, fd, MemorySegment.NULL, MemorySegment.NULL, Libc.SOCK_CLOEXEC());
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r >= 0) {
                noDelayIfTcp(r);
                return r;
            }
            int e = errno(st);
            if (e == Errno.EAGAIN) {
                return -1;
            }
            if (e == Libc.ECONNABORTED() || e == Libc.EPROTO()) {
                continue; // that client gave up before we accepted it: take the next one
            }
            if (e != Errno.EINTR) {
                throw Errno.exception("accept4(" + fd + ")", e);
            }
        }
    }

    /** Sets TCP_NODELAY on an accepted TCP socket; on any failure the socket is closed. */
    private void noDelayIfTcp(int fd) throws IOException {
        try {
            if (localAddress(fd) instanceof java.net.InetSocketAddress) {
                setIntOption(fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
            }
        } catch (IOException | RuntimeException e) {
            try {
                close(fd);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public void connect(int fd, java.net.SocketAddress address) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, a);
            MemorySegment st = STATE.get();
            int r = (int) Connect.MH.invokeExact(st, fd, sa, (int) sa.byteSize());
            if (r != 0) {
                int e = errno(st);
                if (e != Errno.EINTR && e != Libc.EINPROGRESS()) {
                    throw Errno.exception("connect(" + address + ")", e);
                }
                // interrupted: the connection goes on in the background; wait for its outcome
                short[] ready = new short[1];
                poll(new int[] {fd}, new short[] {(short) Libc.POLLOUT()}, ready, -1);
                checkConnected(fd, address, a);
            }
            if (address instanceof java.net.InetSocketAddress) {
                setIntOption(fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public boolean connect(int fd, java.net.SocketAddress address, long timeoutNanos) throws IOException {
        int flags = fcntl(fd, Libc.F_GETFL(), 0, "F_GETFL");
        fcntl(fd, Libc.F_SETFL(), flags | Libc.O_NONBLOCK(), "F_SETFL, O_NONBLOCK");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, a);
            MemorySegment st = STATE.get();
            int r = (int) Connect.MH.invokeExact(st, fd, sa, (int) sa.byteSize());
            if (r != 0) {
                int e = errno(st);
                if (e == Errno.EAGAIN) {
                    return false; // a Unix-domain listener's queue is full
                }
                if (e != Errno.EINTR && e != Libc.EINPROGRESS()) {
                    throw Errno.exception("connect(" + address + ")", e);
                }
                short[] ready = new short[1];
                if (poll(new int[] {fd}, new short[] {(short) Libc.POLLOUT()}, ready, Math.max(0, timeoutNanos)) == 0) {
                    return false;
                }
                checkConnected(fd, address, a);
            }
            if (address instanceof java.net.InetSocketAddress) {
                setIntOption(fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
            }
            return true;
        } catch (IOException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            fcntl(fd, Libc.F_SETFL(), flags, "F_SETFL");
        }
    }

    /** Throws the error of a connection that completed in the background, if it failed. */
    private static void checkConnected(int fd, java.net.SocketAddress address, Arena a) throws Throwable {
        MemorySegment st = STATE.get();
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 4);
        int r = (int) Getsockopt.MH.invokeExact(st, fd, Libc.SOL_SOCKET(), Libc.SO_ERROR(), v, len);
        if (r != 0) {
            throw Errno.exception("getsockopt(SO_ERROR)", errno(st));
        }
        int soError = v.get(ValueLayout.JAVA_INT, 0);
        if (soError != 0) {
            throw Errno.exception("connect(" + address + ")", soError);
        }
    }

    private static int fcntl(int fd, int command, int argument, String what) throws IOException {
        MemorySegment st = STATE.get();
        int r;
        try {
            r = (int) FcntlInt.MH.invokeExact(st, fd, command, argument);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r < 0) {
            throw Errno.exception("fcntl(" + fd + ", " + what + ")", errno(st));
        }
        return r;
    }

    @Override
    public java.net.SocketAddress localAddress(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(128, 8); // sockaddr_storage
            MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 128);
            MemorySegment st = STATE.get();
            int r = (int) Getsockname.MH.invokeExact(st, fd, sa, len);
            if (r != 0) {
                throw Errno.exception("getsockname(" + fd + ")", errno(st));
            }
            int family = sa.get(ValueLayout.JAVA_SHORT, 0);
            if (family == Libc.AF_UNIX()) {
                int n = len.get(ValueLayout.JAVA_INT, 0) - (int) sockaddr_un.sun_path$offset();
                byte[] path = new byte[Math.max(0, n)];
                MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, sockaddr_un.sun_path$offset(), path, 0, path.length);
                int end = indexOfZero(path);
                String p = new String(path, 0, end < 0 ? path.length : end, java.nio.charset.StandardCharsets.UTF_8);
                return java.net.UnixDomainSocketAddress.of(p);
            }
            int port = Short.toUnsignedInt(Short.reverseBytes(family == Libc.AF_INET()
                    ? sockaddr_in.sin_port(sa) : sockaddr_in6.sin6_port(sa)));
            byte[] ip = family == Libc.AF_INET()
                    ? sockaddr_in.sin_addr(sa).toArray(ValueLayout.JAVA_BYTE)
                    : sockaddr_in6.sin6_addr(sa).toArray(ValueLayout.JAVA_BYTE);
            return new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ip), port);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public String toString() {
        return "LinuxPlatform[" + name + "]";
    }
}
