package org.multiprocessing4j.platform.posix;

import static org.multiprocessing4j.platform.posix.bindings.Posix.C_INT;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.locks.Lock;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.cmsghdr;
import org.multiprocessing4j.platform.posix.bindings.iovec;
import org.multiprocessing4j.platform.posix.bindings.msghdr;
import org.multiprocessing4j.platform.posix.bindings.pollfd;

/**
 * Descriptors, pipes, socket pairs, reading and writing, {@code poll} and descriptor passing.
 *
 * <p>POSIX calls: {@code pipe}, {@code socketpair}, {@code fcntl(F_SETFD, FD_CLOEXEC)},
 * {@code fcntl(F_DUPFD_CLOEXEC)}, {@code read}, {@code write}, {@code writev}, {@code send}
 * ({@code MSG_NOSIGNAL}), {@code poll}, {@code shutdown}, {@code close}, {@code sendmsg} /
 * {@code recvmsg} with {@code SCM_RIGHTS}. Descriptors are created, then made close-on-exec,
 * under {@link DescriptorGate}.
 *
 * <p>macOS: no {@code MSG_NOSIGNAL} (set {@code SO_NOSIGPIPE} on each socket instead; a JVM
 * ignores SIGPIPE anyway, so the write fails with {@code EPIPE}); {@code CMSG_DATA} is aligned to
 * 4 bytes, not to {@code sizeof(long)}; {@code msg_controllen} and {@code cmsg_len} are
 * {@code socklen_t}; {@code close} interrupted by a signal may leave the descriptor open.
 */
public final class PosixIo {
    private static final class Read {
        static final MethodHandle MH = Native.downcall(Posix.read$address(), Posix.read$descriptor());
    }

    private static final class Write {
        static final MethodHandle MH = Native.downcall(Posix.write$address(), Posix.write$descriptor());
    }

    private static final class Send {
        static final MethodHandle MH = Native.downcall(Posix.send$address(), Posix.send$descriptor());
    }

    private static final class Writev {
        static final MethodHandle MH = Native.downcall(Posix.writev$address(), Posix.writev$descriptor());
    }

    private static final class Poll {
        static final MethodHandle MH = Native.downcall(Posix.poll$address(), Posix.poll$descriptor());
    }

    private static final class Pipe {
        static final MethodHandle MH = Native.downcall(Posix.pipe$address(), Posix.pipe$descriptor());
    }

    private static final class Socketpair {
        static final MethodHandle MH = Native.downcall(Posix.socketpair$address(), Posix.socketpair$descriptor());
    }

    private static final class Shutdown {
        static final MethodHandle MH = Native.downcall(Posix.shutdown$address(), Posix.shutdown$descriptor());
    }

    private static final class Close {
        static final MethodHandle MH = Native.downcall(Posix.close$address(), Posix.close$descriptor());
    }

    /** {@code int fcntl(int fd, int cmd, int arg)}. */
    private static final class FcntlInt {
        static final MethodHandle MH = Native.variadic(Posix.fcntl.address(),
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), 2);
    }

    /** {@code int fcntl(int fd, int cmd, struct flock *arg)}. */
    private static final class FcntlPointer {
        static final MethodHandle MH = Native.variadic(Posix.fcntl.address(),
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER), 2);
    }

    private static final class Sendmsg {
        static final MethodHandle MH = Native.downcall(Posix.sendmsg$address(), Posix.sendmsg$descriptor());
    }

    private static final class Recvmsg {
        static final MethodHandle MH = Native.downcall(Posix.recvmsg$address(), Posix.recvmsg$descriptor());
    }

    /** CMSG_ALIGN: glibc aligns control messages to {@code sizeof(size_t)}. */
    private static final long CMSG_ALIGN = ValueLayout.ADDRESS.byteSize();
    /** Where a control message's data starts: CMSG_DATA, i.e. CMSG_ALIGN(sizeof(struct cmsghdr)). */
    private static final long CMSG_DATA = align(cmsghdr.sizeof());

    private PosixIo() {
    }

    /**
     * The most descriptors one {@code sendmsg} carries here. POSIX sets no number; Linux's
     * {@code SCM_MAX_FD} is 253, and the BSDs and macOS accept at least as many.
     */
    public static final int MAX_PASSED_DESCRIPTORS = 253;

    /** {@code poll} event bits, this system's values. */
    public static final short POLL_IN = (short) Posix.POLLIN();
    public static final short POLL_OUT = (short) Posix.POLLOUT();
    public static final short POLL_ERR = (short) Posix.POLLERR();
    public static final short POLL_HUP = (short) Posix.POLLHUP();
    public static final short POLL_NVAL = (short) Posix.POLLNVAL();

    /** What {@link #receiveWithDescriptors} read: bytes (0 at end of stream) and descriptors. */
    public record Received(long bytes, int[] descriptors) {
    }

    /**
     * Waits until a descriptor is readable, ended or in error.
     *
     * @return the number of such descriptors, 0 on timeout
     * @throws java.nio.channels.ClosedChannelException if one is not open ({@code POLLNVAL})
     */
    public static int awaitReadable(int[] fds, boolean[] ready, long timeoutNanos) throws IOException {
        short[] events = new short[fds.length];
        short[] revents = new short[fds.length];
        java.util.Arrays.fill(events, POLL_IN);
        poll(fds, events, revents, timeoutNanos);
        int n = 0;
        for (int i = 0; i < fds.length; i++) {
            if ((revents[i] & POLL_NVAL) != 0) {
                throw new java.nio.channels.ClosedChannelException();
            }
            ready[i] = (revents[i] & (POLL_IN | POLL_HUP | POLL_ERR)) != 0;
            n += ready[i] ? 1 : 0;
        }
        return n;
    }

    /**
     * Blocks until the socket's peer has closed, or the socket is unusable or shut down: a
     * {@code poll} for no event, which reports {@code POLLHUP} regardless and is not woken by data.
     */
    public static void awaitHangUp(int fd) throws IOException {
        int[] fds = {fd};
        short[] none = {0};
        short[] ready = new short[1];
        short gone = (short) (POLL_HUP | POLL_ERR | POLL_NVAL);
        while (poll(fds, none, ready, -1) == 0 || (ready[0] & gone) == 0) {
            // nothing else can be reported
        }
    }

    private static long align(long n) {
        return (n + CMSG_ALIGN - 1) & -CMSG_ALIGN;
    }

    static int[] pipe() throws IOException {
        Lock gate = DescriptorGate.creating();
        gate.lock();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Native.retrying(() -> "pipe()", st -> (int) Pipe.MH.invokeExact(st, fds));
            return closeOnExec(fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1));
        } finally {
            gate.unlock();
        }
    }

    static int[] socketPair() throws IOException {
        Lock gate = DescriptorGate.creating();
        gate.lock();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            Native.retrying(() -> "socketpair(AF_UNIX, SOCK_STREAM)", st -> (int) Socketpair.MH
                    .invokeExact(st, Posix.AF_UNIX(), Posix.SOCK_STREAM(), 0, fds));
            return closeOnExec(fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1));
        } finally {
            gate.unlock();
        }
    }

    /** Makes both close-on-exec; on failure closes both. Caller holds the gate. */
    private static int[] closeOnExec(int a, int b) throws IOException {
        try {
            setCloseOnExec(a);
            setCloseOnExec(b);
            return new int[] {a, b};
        } catch (IOException e) {
            closeQuietly(a);
            closeQuietly(b);
            throw e;
        }
    }

    public static void closeQuietly(int fd) {
        Native.attempt(st -> (int) Close.MH.invokeExact(st, fd));
    }

    static long read(int fd, MemorySegment buffer, long length) throws IOException {
        for (;;) {
            long r = Native.attempt(st -> (long) Read.MH.invokeExact(st, fd, buffer, length));
            if (r >= 0) {
                return r;
            }
            int e = (int) -r;
            if (e == PosixErrno.ECONNRESET) {
                return 0; // the peer died with unread data: same as end of stream for us
            }
            if (e != PosixErrno.EINTR) {
                throw PosixErrno.exception("read(" + fd + ")", e);
            }
        }
    }

    /** POSIX has no MSG_DONTWAIT: a {@code poll} without waiting, then a read that cannot block. */
    static long readNow(int fd, MemorySegment buffer, long length) throws IOException {
        short[] ready = new short[1];
        if (poll(new int[] {fd}, new short[] {POLL_IN}, ready, 0) == 0) {
            return -1;
        }
        return read(fd, buffer, length);
    }

    static void writeLoop(int fd, MemorySegment buffer, long length, boolean socket) throws IOException {
        long done = 0;
        int noSignal = Posix.MSG_NOSIGNAL();
        while (done < length) {
            MemorySegment rest = buffer.asSlice(done, length - done);
            long n = length - done;
            boolean asSocket = socket;
            long r = Native.attempt(st -> asSocket
                    ? (long) Send.MH.invokeExact(st, fd, rest, n, noSignal)
                    : (long) Write.MH.invokeExact(st, fd, rest, n));
            if (r >= 0) {
                done += r;
                continue;
            }
            int e = (int) -r;
            if (e == PosixErrno.ENOTSOCK && socket) {
                socket = false;
            } else if (e != PosixErrno.EINTR) {
                throw PosixErrno.exception((socket ? "send(" : "write(") + fd + ")", e);
            }
        }
    }

    public static void writeFully(int fd, MemorySegment first, MemorySegment second) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment iov = iovec.allocateArray(2, a);
            MemorySegment st = Native.state(); // no lambda per call: Connection sends large payloads here
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
                long r;
                try {
                    r = (long) Writev.MH.invokeExact(st, fd, iov, 2);
                } catch (Throwable t) {
                    throw Native.rethrow(t);
                }
                if (r >= 0) {
                    done += r;
                    continue;
                }
                int e = Native.errno(st);
                if (e != PosixErrno.EINTR) {
                    throw PosixErrno.exception("writev(" + fd + ")", e);
                }
            }
        }
    }

    public static int poll(int[] fds, short[] events, short[] ready, long timeoutNanos) throws IOException {
        int n = fds.length;
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = pollfd.allocateArray(n, a);
            for (int i = 0; i < n; i++) {
                MemorySegment e = pollfd.asSlice(p, i);
                pollfd.fd(e, fds[i]);
                pollfd.events(e, events[i]);
            }
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
                int timeout = ms;
                long r = Native.attempt(st -> (int) Poll.MH.invokeExact(st, p, (long) n, timeout));
                if (r >= 0) {
                    if (r == 0 && timeoutNanos > 0 && deadline - System.nanoTime() > 0) {
                        continue; // woke a little early (clock granularity): sleep the rest
                    }
                    for (int i = 0; i < n; i++) {
                        ready[i] = pollfd.revents(pollfd.asSlice(p, i));
                    }
                    return (int) r;
                }
                if ((int) -r != PosixErrno.EINTR) {
                    throw PosixErrno.exception("poll(" + n + " fds)", (int) -r);
                }
            }
        }
    }

    static void shutdown(int fd) throws IOException {
        long r = Native.attempt(st -> (int) Shutdown.MH.invokeExact(st, fd, Posix.SHUT_RDWR()));
        if (r < 0 && (int) -r != PosixErrno.ENOTSOCK && (int) -r != PosixErrno.ENOTCONN) {
            throw PosixErrno.exception("shutdown(" + fd + ", SHUT_RDWR)", (int) -r);
        }
    }

    static void close(int fd) throws IOException {
        long r = Native.attempt(st -> (int) Close.MH.invokeExact(st, fd));
        if (r < 0 && (int) -r != PosixErrno.EINTR) {
            throw PosixErrno.exception("close(" + fd + ")", (int) -r);
        }
    }

    public static int duplicate(int fd) throws IOException {
        // F_DUPFD_CLOEXEC is POSIX.1-2008: atomic, no gate needed
        return (int) Native.retrying(() -> "fcntl(" + fd + ", F_DUPFD_CLOEXEC, 0)",
                st -> (int) FcntlInt.MH.invokeExact(st, fd, Posix.F_DUPFD_CLOEXEC(), 0));
    }

    public static int duplicateAbove(int fd, int lowest) throws IOException {
        return (int) Native.retrying(() -> "fcntl(" + fd + ", F_DUPFD_CLOEXEC, " + lowest + ")",
                st -> (int) FcntlInt.MH.invokeExact(st, fd, Posix.F_DUPFD_CLOEXEC(), lowest));
    }

    static void setCloseOnExec(int fd) throws IOException {
        Native.retrying(() -> "fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)",
                st -> (int) FcntlInt.MH.invokeExact(st, fd, Posix.F_SETFD(), Posix.FD_CLOEXEC()));
    }

    /** {@return {@code fcntl(fd, command, argument)}} */
    public static int fcntl(int fd, int command, int argument, String what) throws IOException {
        return (int) Native.retrying(() -> "fcntl(" + fd + ", " + what + ")",
                st -> (int) FcntlInt.MH.invokeExact(st, fd, command, argument));
    }

    /** {@return {@code fcntl(fd, command, struct)} once: the result, or {@code -errno}} */
    static long fcntl(int fd, int command, MemorySegment struct) {
        return Native.attempt(st -> (int) FcntlPointer.MH.invokeExact(st, fd, command, struct));
    }

    /** {@return the descriptor's {@code FD_*} flags, or -1 if it is not open} */
    static int descriptorFlags(int fd) {
        long r = Native.attempt(st -> (int) FcntlInt.MH.invokeExact(st, fd, Posix.F_GETFD(), 0));
        return r < 0 ? -1 : (int) r;
    }

    public static void sendWithDescriptors(int socket, MemorySegment data, long length, int[] descriptors)
            throws IOException {
        if (descriptors.length > MAX_PASSED_DESCRIPTORS) {
            throw new IllegalArgumentException("at most " + MAX_PASSED_DESCRIPTORS
                    + " handles per message, got " + descriptors.length);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("handles travel with at least one byte");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = msghdr.allocate(a);
            MemorySegment iov = iovec.allocate(a);
            iovec.iov_base(iov, data);
            iovec.iov_len(iov, length);
            msghdr.msg_iov(msg, iov);
            msghdr.msg_iovlen(msg, 1L);
            if (descriptors.length > 0) {
                long space = CMSG_DATA + align(4L * descriptors.length);
                MemorySegment control = a.allocate(space, 8);
                cmsghdr.cmsg_len(control, CMSG_DATA + 4L * descriptors.length);
                cmsghdr.cmsg_level(control, Posix.SOL_SOCKET());
                cmsghdr.cmsg_type(control, Posix.SCM_RIGHTS());
                for (int i = 0; i < descriptors.length; i++) {
                    control.set(ValueLayout.JAVA_INT, CMSG_DATA + 4L * i, descriptors[i]);
                }
                msghdr.msg_control(msg, control);
                msghdr.msg_controllen(msg, space);
            }
            long r = Native.retrying(() -> "sendmsg(" + socket + ", " + length + " bytes, "
                    + descriptors.length + " descriptors)",
                    st -> (long) Sendmsg.MH.invokeExact(st, socket, msg, Posix.MSG_NOSIGNAL()));
            if (r < length) { // the descriptors left with the first byte: the rest goes plainly
                writeLoop(socket, data.asSlice(r), length - r, true);
            }
        }
    }

    /**
     * {@code recvmsg} without {@code MSG_CMSG_CLOEXEC}: waits for data with {@code poll} first,
     * then receives and makes the descriptors close-on-exec under the gate, so that no spawn
     * sees them in between; the gate is not held while waiting.
     */
    public static Received receiveWithDescriptors(int socket, MemorySegment buffer, long length,
                                                    int maxDescriptors) throws IOException {
        return receiveWithDescriptors(socket, buffer, length, maxDescriptors, 0);
    }

    /**
     * {@link #receiveWithDescriptors(int, MemorySegment, long, int)} with {@code recvmsg} flags:
     * a system that has a flag making received descriptors close-on-exec atomically (Linux's
     * {@code MSG_CMSG_CLOEXEC}) passes it, and then neither the {@code poll} first nor the gate
     * is needed.
     *
     * @param closeOnExecFlag that flag, or 0 where there is none
     * @return bytes (0 at end of stream) and the descriptors received with them
     * @throws IOException on error, or if more than {@code maxDescriptors} arrived (closed then)
     */
    public static Received receiveWithDescriptors(int socket, MemorySegment buffer, long length,
            int maxDescriptors, int closeOnExecFlag) throws IOException {
        boolean atomic = closeOnExecFlag != 0;
        if (!atomic) {
            short[] ready = new short[1];
            poll(new int[] {socket}, new short[] {POLL_IN}, ready, -1);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = msghdr.allocate(a);
            MemorySegment iov = iovec.allocate(a);
            iovec.iov_base(iov, buffer);
            iovec.iov_len(iov, length);
            long space = CMSG_DATA + align(4L * Math.max(1, maxDescriptors));
            MemorySegment control = a.allocate(space, 8);
            long r;
            int[] fds = new int[0];
            Lock gate = atomic ? null : DescriptorGate.creating();
            if (gate != null) {
                gate.lock();
            }
            try {
                for (;;) {
                    msg.fill((byte) 0);
                    msghdr.msg_iov(msg, iov);
                    msghdr.msg_iovlen(msg, 1L);
                    msghdr.msg_control(msg, control);
                    msghdr.msg_controllen(msg, space);
                    r = Native.attempt(st -> (long) Recvmsg.MH.invokeExact(st, socket, msg,
                            closeOnExecFlag));
                    if (r >= 0) {
                        break;
                    }
                    int e = (int) -r;
                    if (e == PosixErrno.ECONNRESET) {
                        return new Received(0, new int[0]);
                    }
                    if (e != PosixErrno.EINTR) {
                        throw PosixErrno.exception("recvmsg(" + socket + ")", e);
                    }
                }
                long controlLength = msghdr.msg_controllen(msg);
                if (controlLength >= CMSG_DATA
                        && cmsghdr.cmsg_level(control) == Posix.SOL_SOCKET()
                        && cmsghdr.cmsg_type(control) == Posix.SCM_RIGHTS()) {
                    long dataLength = cmsghdr.cmsg_len(control) - CMSG_DATA;
                    fds = new int[(int) (dataLength / 4)];
                    for (int i = 0; i < fds.length; i++) {
                        fds[i] = control.get(ValueLayout.JAVA_INT, CMSG_DATA + 4L * i);
                    }
                }
                for (int i = 0; !atomic && i < fds.length; i++) {
                    setCloseOnExec(fds[i]);
                }
            } finally {
                if (gate != null) {
                    gate.unlock();
                }
            }
            if ((msghdr.msg_flags(msg) & Posix.MSG_CTRUNC()) != 0 || fds.length > maxDescriptors) {
                for (int fd : fds) {
                    closeQuietly(fd);
                }
                throw new IOException("recvmsg(" + socket + ") received more than "
                        + maxDescriptors + " descriptors (MSG_CTRUNC); they were closed");
            }
            return new Received(r, fds);
        }
    }
}
