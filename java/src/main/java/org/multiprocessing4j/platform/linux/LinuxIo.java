package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.LinuxCalls.asPointer;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_INT;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.linux.LinuxCalls.FcntlAsSys;
import org.multiprocessing4j.platform.linux.LinuxCalls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.posix.Native;
import org.multiprocessing4j.platform.posix.PosixErrno;
import org.multiprocessing4j.platform.posix.PosixIo;
import org.multiprocessing4j.platform.posix.PosixSockets;
import org.multiprocessing4j.platform.posix.bindings.Posix;

/**
 * What Linux does better than {@link PosixIo} with descriptors; everything else (poll, writev,
 * sending descriptors, duplicates, connecting and binding sockets) is the posix backend's.
 *
 * <ul>
 *   <li>Descriptors are born close-on-exec ({@code pipe2(O_CLOEXEC)},
 *       {@code SOCK_CLOEXEC}, {@code accept4}, {@code recvmsg(MSG_CMSG_CLOEXEC)}): no gate
 *       between creating and spawning, as the posix backend needs.
 *   <li>read, write, recv, send, shutdown, close and the inherited handles' close-on-exec go
 *       through {@code syscall(2)} in the one shape of {@link LinuxCalls.Sys}, which a starting
 *       child links once instead of once per call. {@code EINTR} is retried.
 * </ul>
 *
 * <p>SIGPIPE: sockets are written with {@code send(MSG_NOSIGNAL)}; pipes with {@code write},
 * which cannot raise SIGPIPE in a JVM because HotSpot installs a handler that ignores it — the
 * write fails with {@code EPIPE}, which becomes {@link java.io.EOFException}. Thread-safe.
 */
final class LinuxIo {
    private static final class Pipe2 {
        static final MethodHandle MH = Native.downcall(Libc.pipe2$address(), Libc.pipe2$descriptor());
    }

    private static final class Socketpair {
        static final MethodHandle MH =
                Native.downcall(Posix.socketpair$address(), Posix.socketpair$descriptor());
    }

    private static final class Socket {
        static final MethodHandle MH = Native.downcall(Posix.socket$address(), Posix.socket$descriptor());
    }

    private static final class Accept4 {
        static final MethodHandle MH = Native.downcall(Libc.accept4$address(),
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    }

    private static final int MSG_NOSIGNAL = Posix.MSG_NOSIGNAL();
    private static final int MSG_DONTWAIT = Libc.MSG_DONTWAIT();

    private final LinuxArch.Syscalls syscalls;

    LinuxIo(LinuxArch arch) {
        this.syscalls = arch.syscalls();
    }

    /** {@code pipe2(O_CLOEXEC)}: {@code {readEnd, writeEnd}}. */
    int[] pipe() throws IOException {
        return Native.inArena(a -> {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Native.retrying(() -> "pipe2(O_CLOEXEC)",
                    st -> (int) Pipe2.MH.invokeExact(st, fds, Posix.O_CLOEXEC()));
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0),
                    fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        });
    }

    /** {@code socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)}. */
    int[] socketPair() throws IOException {
        return Native.inArena(a -> {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Native.retrying(() -> "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)",
                    st -> (int) Socketpair.MH.invokeExact(st, Posix.AF_UNIX(),
                            Posix.SOCK_STREAM() | Libc.SOCK_CLOEXEC(), 0, fds));
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0),
                    fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        });
    }

    /** {@code read}; a reset connection reads as end of stream. Hot path: no allocation. */
    long read(int fd, MemorySegment buffer, long length) throws IOException {
        MemorySegment st = Native.state();
        for (;;) {
            long r;
            try {
                r = (long) Sys.MH.invokeExact(st, syscalls.read(), (long) fd, buffer,
                        length, 0L, 0L, 0L);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int e = Native.errno(st);
            if (e == PosixErrno.ECONNRESET) {
                return 0; // the peer died with unread data: same as end of stream for us
            }
            if (e != PosixErrno.EINTR) {
                throw PosixErrno.exception("read(" + fd + ")", e);
            }
        }
    }

    /** {@code recv(MSG_DONTWAIT)}: -1 if nothing now or not a socket. Hot path: no allocation. */
    long readNow(int fd, MemorySegment buffer, long length) throws IOException {
        MemorySegment st = Native.state();
        for (;;) {
            long r;
            try {
                // recv(fd, buf, n, flags) is recvfrom(fd, buf, n, flags, NULL, NULL)
                r = (long) Sys.MH.invokeExact(st, syscalls.recvfrom(), (long) fd, buffer,
                        length, (long) MSG_DONTWAIT, 0L, 0L);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int e = Native.errno(st);
            if (e == PosixErrno.EAGAIN || e == PosixErrno.ENOTSOCK) {
                return -1;
            }
            if (e == PosixErrno.ECONNRESET) {
                return 0;
            }
            if (e != PosixErrno.EINTR) {
                throw PosixErrno.exception("recv(" + fd + ", MSG_DONTWAIT)", e);
            }
        }
    }

    /**
     * Writes all {@code length} bytes: {@code send(MSG_NOSIGNAL)} if {@code socket} (falling back
     * to {@code write} on {@code ENOTSOCK}), else {@code write}. Hot path: no allocation.
     */
    void writeFully(int fd, MemorySegment buffer, long length, boolean socket) throws IOException {
        MemorySegment st = Native.state();
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
                throw Native.rethrow(t);
            }
            if (r >= 0) {
                done += r;
                continue;
            }
            int e = Native.errno(st);
            if (e == PosixErrno.ENOTSOCK && socket) {
                socket = false;
            } else if (e != PosixErrno.EINTR) {
                throw PosixErrno.exception((socket ? "send(" : "write(") + fd + ")", e);
            }
        }
    }

    /** {@code shutdown(SHUT_RDWR)}; not a socket or not connected: no-op. */
    void shutdown(int fd) throws IOException {
        long r = Native.attempt(st -> (long) Sys.MH.invokeExact(st, syscalls.shutdown(), (long) fd,
                asPointer(Posix.SHUT_RDWR()), 0L, 0L, 0L, 0L));
        if (r < 0 && (int) -r != PosixErrno.ENOTSOCK && (int) -r != PosixErrno.ENOTCONN) {
            throw PosixErrno.exception("shutdown(" + fd + ", SHUT_RDWR)", (int) -r);
        }
    }

    /** {@code close}; {@code EINTR} is not retried (on Linux the descriptor is gone). */
    void close(int fd) throws IOException {
        long r = Native.attempt(st -> (long) Sys.MH.invokeExact(st, syscalls.close(), (long) fd,
                MemorySegment.NULL, 0L, 0L, 0L, 0L));
        if (r < 0 && (int) -r != PosixErrno.EINTR) {
            throw PosixErrno.exception("close(" + fd + ")", (int) -r);
        }
    }

    /** {@code fcntl(F_SETFD, FD_CLOEXEC)} in the {@link LinuxCalls.Sys} shape. */
    void setCloseOnExec(int fd) throws IOException {
        Native.retrying(() -> "fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)",
                st -> (long) FcntlAsSys.MH.invokeExact(st, (long) fd, (long) Posix.F_SETFD(),
                        asPointer(Posix.FD_CLOEXEC()), 0L, 0L, 0L, 0L));
    }

    /**
     * One {@code recvmsg(MSG_CMSG_CLOEXEC)}: bytes and the descriptors sent with them (the posix
     * backend's receive with Linux's flag, which makes them close-on-exec as they arrive).
     */
    PosixIo.Received receiveWithDescriptors(int socket, MemorySegment buffer, long length)
            throws IOException {
        return PosixIo.receiveWithDescriptors(socket, buffer, length,
                PosixIo.MAX_PASSED_DESCRIPTORS, Libc.MSG_CMSG_CLOEXEC());
    }

    /** {@code socket(family of address, SOCK_STREAM|SOCK_CLOEXEC[|SOCK_NONBLOCK])}. */
    int socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException {
        int family = PosixSockets.family(address);
        int type = Posix.SOCK_STREAM() | Libc.SOCK_CLOEXEC() | (nonBlocking ? Libc.SOCK_NONBLOCK() : 0);
        return (int) Native.retrying(() -> "socket(" + family + ", SOCK_STREAM)",
                st -> (int) Socket.MH.invokeExact(st, family, type, 0));
    }

    /**
     * {@code accept4(SOCK_CLOEXEC)} on a non-blocking listener, skipping clients that gave up.
     *
     * @return the new descriptor (TCP_NODELAY for TCP), or -1 if none is pending
     */
    int accept(int fd) throws IOException {
        for (;;) {
            long r = Native.attempt(st -> (int) Accept4.MH.invokeExact(st, fd,
                    MemorySegment.NULL, MemorySegment.NULL, Libc.SOCK_CLOEXEC()));
            if (r >= 0) {
                int accepted = (int) r;
                try {
                    PosixSockets.noDelayIfTcp(accepted);
                } catch (IOException | RuntimeException e) {
                    try {
                        close(accepted);
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
                return accepted;
            }
            int e = (int) -r;
            if (e == PosixErrno.EAGAIN) {
                return -1;
            }
            if (e != PosixErrno.EINTR && e != PosixErrno.ECONNABORTED && e != PosixErrno.EPROTO) {
                throw PosixErrno.exception("accept4(" + fd + ")", e);
            }
            // interrupted, or that client gave up before we accepted it: take the next one
        }
    }
}
