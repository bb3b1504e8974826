package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.Calls.STATE;
import static org.multiprocessing4j.platform.linux.Calls.asPointer;
import static org.multiprocessing4j.platform.linux.Calls.errno;
import static org.multiprocessing4j.platform.linux.Calls.rethrow;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.ClosedChannelException;
import org.multiprocessing4j.platform.linux.Calls.FcntlAsSys;
import org.multiprocessing4j.platform.linux.Calls.Sys;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.linux.bindings.cmsghdr;
import org.multiprocessing4j.platform.linux.bindings.iovec;
import org.multiprocessing4j.platform.linux.bindings.msghdr;
import org.multiprocessing4j.platform.linux.bindings.pollfd;

/**
 * Descriptors on Linux: pipes and socket pairs, reads and writes, {@code poll}, shutdown and
 * close, duplicates, and passing descriptors over a Unix-domain socket ({@code SCM_RIGHTS}).
 * Works on descriptor numbers; {@link LinuxPlatform} maps the seam's handles to them.
 *
 * <p>read, write, recv, send, shutdown and close go through {@code syscall(2)} in the one shape
 * of {@link Calls.Sys} (each shape costs a starting child milliseconds). {@code EINTR} is
 * retried, with the remaining time for timed calls.
 *
 * <p>SIGPIPE: sockets are written with {@code send(MSG_NOSIGNAL)}; pipes with {@code write},
 * which cannot raise SIGPIPE in a JVM because HotSpot installs a handler that ignores it — the
 * write fails with {@code EPIPE}, which becomes {@link java.io.EOFException}. Thread-safe.
 */
final class LinuxIo {
    /** The most descriptors one {@code sendmsg} may carry: the kernel's {@code SCM_MAX_FD}. */
    static final int MAX_PASSED_DESCRIPTORS = 253;

    private static final class Writev {
        static final MethodHandle MH = Calls.errno(Libc.writev$address(), Libc.writev$descriptor());
    }

    private static final class Poll {
        static final MethodHandle MH = Calls.errno(Libc.poll$address(), Libc.poll$descriptor());
    }

    private static final class Pipe2 {
        static final MethodHandle MH = Calls.errno(Libc.pipe2$address(), Libc.pipe2$descriptor());
    }

    private static final class Socketpair {
        static final MethodHandle MH =
                Calls.errno(Libc.socketpair$address(), Libc.socketpair$descriptor());
    }

    private static final class Sendmsg {
        static final MethodHandle MH = Calls.errno(Libc.sendmsg$address(), Libc.sendmsg$descriptor());
    }

    private static final class Recvmsg {
        static final MethodHandle MH = Calls.errno(Libc.recvmsg$address(), Libc.recvmsg$descriptor());
    }

    /** Where a control message's data starts: CMSG_DATA, i.e. CMSG_ALIGN(sizeof(struct cmsghdr)). */
    private static final long CMSG_DATA = align8(cmsghdr.sizeof());
    private static final int MSG_NOSIGNAL = Libc.MSG_NOSIGNAL();
    private static final int MSG_DONTWAIT = Libc.MSG_DONTWAIT();

    private final LinuxArch.Syscalls syscalls;

    LinuxIo(LinuxArch arch) {
        this.syscalls = arch.syscalls();
    }

    /** {@code pipe2(O_CLOEXEC)}: {@code {readEnd, writeEnd}}. */
    int[] pipe() throws IOException {
        return Calls.inArena(a -> {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Calls.orThrow("pipe2(O_CLOEXEC)",
                    st -> (int) Pipe2.MH.invokeExact(st, fds, Libc.O_CLOEXEC()));
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0),
                    fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        });
    }

    /** {@code socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)}. */
    int[] socketPair() throws IOException {
        return Calls.inArena(a -> {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Calls.orThrow("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC)",
                    st -> (int) Socketpair.MH.invokeExact(st, Libc.AF_UNIX(),
                            Libc.SOCK_STREAM() | Libc.SOCK_CLOEXEC(), 0, fds));
            return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0),
                    fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
        });
    }

    /** {@code read}; a reset connection reads as end of stream. Hot path: no allocation. */
    long read(int fd, MemorySegment buffer, long length) throws IOException {
        MemorySegment st = STATE.get();
        for (;;) {
            long r;
            try {
                r = (long) Sys.MH.invokeExact(st, syscalls.read(), (long) fd, buffer,
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

    /** {@code recv(MSG_DONTWAIT)}: -1 if nothing now or not a socket. Hot path: no allocation. */
    long readNow(int fd, MemorySegment buffer, long length) throws IOException {
        MemorySegment st = STATE.get();
        for (;;) {
            long r;
            try {
                // recv(fd, buf, n, flags) is recvfrom(fd, buf, n, flags, NULL, NULL)
                r = (long) Sys.MH.invokeExact(st, syscalls.recvfrom(), (long) fd, buffer,
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

    /**
     * Writes all {@code length} bytes: {@code send(MSG_NOSIGNAL)} if {@code socket} (falling back
     * to {@code write} on {@code ENOTSOCK}), else {@code write}. Hot path: no allocation.
     */
    void writeFully(int fd, MemorySegment buffer, long length, boolean socket) throws IOException {
        MemorySegment st = STATE.get();
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

    /** {@code writev} of both segments, completing partial writes. */
    void writeFully(int fd, MemorySegment first, MemorySegment second) throws IOException {
        Calls.inArena(a -> {
            MemorySegment iov = iovec.allocateArray(2, a);
            MemorySegment st = STATE.get();
            long total = first.byteSize() + second.byteSize();
            long done = 0;
            while (done < total) {
                if (done >= first.byteSize()) { // header gone: finish the payload alone
                    long off = done - first.byteSize();
                    writeFully(fd, second.asSlice(off), second.byteSize() - off, false);
                    return null;
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
            return null;
        });
    }

    /**
     * {@code poll} with Linux's event bits; never returns early on a timeout: {@code EINTR} and an
     * early wake-up resume with the remaining time.
     *
     * @param timeoutNanos negative: forever; 0: do not block
     * @return the number of ready descriptors, 0 on timeout
     */
    int poll(int[] fds, short[] events, short[] ready, long timeoutNanos) throws IOException {
        int n = fds.length;
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        return Calls.inArena(a -> {
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
        });
    }

    private static final short READABLE_OR_ENDED =
            (short) (Libc.POLLIN() | Libc.POLLHUP() | Libc.POLLERR());
    private static final short HUNG_UP = (short) (Libc.POLLHUP() | Libc.POLLERR() | Libc.POLLNVAL());

    /**
     * Waits until a descriptor is readable, ended or in error ({@code POLLIN}, reported with
     * {@code POLLHUP}/{@code POLLERR}).
     *
     * @return the number of such descriptors, 0 on timeout
     * @throws ClosedChannelException if one is not open ({@code POLLNVAL})
     */
    int awaitReadable(int[] fds, boolean[] ready, long timeoutNanos) throws IOException {
        short[] events = new short[fds.length];
        short[] revents = new short[fds.length];
        java.util.Arrays.fill(events, (short) Libc.POLLIN());
        poll(fds, events, revents, timeoutNanos);
        int n = 0;
        for (int i = 0; i < fds.length; i++) {
            if ((revents[i] & Libc.POLLNVAL()) != 0) {
                throw new ClosedChannelException();
            }
            ready[i] = (revents[i] & READABLE_OR_ENDED) != 0;
            n += ready[i] ? 1 : 0;
        }
        return n;
    }

    /** {@link #awaitReadable(int[], boolean[], long)} for one descriptor. */
    boolean awaitReadable(int fd, long timeoutNanos) throws IOException {
        return awaitReadable(new int[] {fd}, new boolean[1], timeoutNanos) > 0;
    }

    /**
     * Blocks until the socket's peer has closed, or the socket is unusable or shut down. Polls
     * for no event: a socket whose peer has closed reports {@code POLLHUP} regardless, and data
     * arriving neither wakes this thread nor competes with another one reading the socket.
     */
    void awaitHangUp(int fd) throws IOException {
        int[] fds = {fd};
        short[] none = {0};
        short[] ready = new short[1];
        while (poll(fds, none, ready, -1) == 0 || (ready[0] & HUNG_UP) == 0) {
            // nothing else can be reported
        }
    }

    /** {@code shutdown(SHUT_RDWR)}; not a socket or not connected: no-op. */
    void shutdown(int fd) throws IOException {
        long r = Calls.once(st -> (long) Sys.MH.invokeExact(st, syscalls.shutdown(), (long) fd,
                asPointer(Libc.SHUT_RDWR()), 0L, 0L, 0L, 0L));
        if (r != 0) {
            int e = Calls.lastErrno();
            if (e != Errno.ENOTSOCK && e != Errno.ENOTCONN) {
                throw Errno.exception("shutdown(" + fd + ", SHUT_RDWR)", e);
            }
        }
    }

    /** {@code close}; {@code EINTR} is not retried (on Linux the descriptor is gone). */
    void close(int fd) throws IOException {
        long r = Calls.once(st -> (long) Sys.MH.invokeExact(st, syscalls.close(), (long) fd,
                MemorySegment.NULL, 0L, 0L, 0L, 0L));
        if (r != 0 && Calls.lastErrno() != Errno.EINTR) {
            throw Errno.exception("close(" + fd + ")", Calls.lastErrno());
        }
    }

    /** {@code fcntl(F_SETFD, FD_CLOEXEC)} in the {@link Calls.Sys} shape. */
    void setCloseOnExec(int fd) throws IOException {
        Calls.orThrow("fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)",
                st -> (long) FcntlAsSys.MH.invokeExact(st, (long) fd, (long) Libc.F_SETFD(),
                        asPointer(Libc.FD_CLOEXEC()), 0L, 0L, 0L, 0L));
    }

    /** {@code fcntl(F_DUPFD_CLOEXEC, lowest)}: a close-on-exec duplicate numbered at least {@code lowest}. */
    int duplicateAbove(int fd, int lowest) throws IOException {
        return (int) Calls.orThrow("fcntl(" + fd + ", F_DUPFD_CLOEXEC, " + lowest + ")",
                st -> (int) Calls.FcntlInt.MH.invokeExact(st, fd, Libc.F_DUPFD_CLOEXEC(), lowest));
    }

    /**
     * One {@code sendmsg} with {@code SCM_RIGHTS} (the descriptors travel with the first byte),
     * then the rest of a partial send without them.
     *
     * @throws IllegalArgumentException for more than {@link #MAX_PASSED_DESCRIPTORS}, or no byte
     */
    void sendWithDescriptors(int socket, MemorySegment data, long length, int[] descriptors)
            throws IOException {
        if (descriptors.length > MAX_PASSED_DESCRIPTORS) {
            throw new IllegalArgumentException("at most " + MAX_PASSED_DESCRIPTORS
                    + " handles per message, got " + descriptors.length);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("handles travel with at least one byte");
        }
        Calls.inArena(a -> {
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
            long r = Calls.orThrow("sendmsg(" + socket + ", " + length + " bytes, "
                    + descriptors.length + " descriptors)",
                    st -> (long) Sendmsg.MH.invokeExact(st, socket, msg, MSG_NOSIGNAL));
            if (r < length) { // the descriptors left with the first byte: the rest goes plainly
                writeFully(socket, data.asSlice(r), length - r, true);
            }
            return null;
        });
    }

    /**
     * One {@code recvmsg(MSG_CMSG_CLOEXEC)}: bytes and the descriptors sent with them.
     *
     * @return {@code {bytes, descriptors}}; a reset connection is end of stream
     * @throws IOException on error, or if more than {@code maxDescriptors} arrived (closed then)
     */
    Received receiveWithDescriptors(int socket, MemorySegment buffer, long length,
                                    int maxDescriptors) throws IOException {
        return Calls.inArena(a -> {
            MemorySegment msg = msghdr.allocate(a);
            MemorySegment iov = iovec.allocate(a);
            iovec.iov_base(iov, buffer);
            iovec.iov_len(iov, length);
            long space = CMSG_DATA + align8(4L * Math.max(1, maxDescriptors));
            MemorySegment control = a.allocate(space, 8);
            long r = Calls.retrying(st -> {
                msg.fill((byte) 0);
                msghdr.msg_iov(msg, iov);
                msghdr.msg_iovlen(msg, 1L);
                msghdr.msg_control(msg, control);
                msghdr.msg_controllen(msg, space);
                return (long) Recvmsg.MH.invokeExact(st, socket, msg, Libc.MSG_CMSG_CLOEXEC());
            });
            if (r < 0) {
                int e = Calls.lastErrno();
                if (e == Errno.ECONNRESET) {
                    return new Received(0, new int[0]);
                }
                throw Errno.exception("recvmsg(" + socket + ")", e);
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
        });
    }

    /** What {@link #receiveWithDescriptors} read: bytes (0 at end of stream) and descriptors. */
    record Received(long bytes, int[] descriptors) {
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
