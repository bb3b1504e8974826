package org.multiprocessing4j.platform.posix;

import static org.multiprocessing4j.platform.posix.bindings.Posix.C_INT;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.Lock;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.posix.bindings.Posix;
import org.multiprocessing4j.platform.posix.bindings.sockaddr_in;
import org.multiprocessing4j.platform.posix.bindings.sockaddr_in6;
import org.multiprocessing4j.platform.posix.bindings.sockaddr_un;

/**
 * Listening and connecting stream sockets (Unix-domain and TCP).
 *
 * <p>POSIX calls: {@code socket}, {@code fcntl} ({@code FD_CLOEXEC}, {@code O_NONBLOCK}),
 * {@code fchmod}, {@code bind}, {@code listen}, {@code accept}, {@code connect}, {@code poll},
 * {@code getsockopt(SO_ERROR)}, {@code setsockopt} ({@code SO_REUSEADDR}, {@code TCP_NODELAY}),
 * {@code getsockname}. New descriptors are made close-on-exec under {@link DescriptorGate}
 * (no {@code SOCK_CLOEXEC}, no {@code accept4} in POSIX.1-2017).
 *
 * <p>macOS: {@code struct sockaddr_un} starts with {@code sun_len}, and its path holds 104
 * bytes, not 108; {@code fchmod} on a socket does not set the mode of the file {@code bind}
 * creates (the private 0700 directory the library binds in is what protects it there); an
 * accepted socket inherits {@code O_NONBLOCK} from the listener (cleared here on every system).
 */
public final class PosixSockets {
    private static final class Socket {
        static final MethodHandle MH = Native.downcall(Posix.socket$address(), Posix.socket$descriptor());
    }

    private static final class Fchmod {
        static final MethodHandle MH = Native.downcall(Posix.fchmod$address(), Posix.fchmod$descriptor());
    }

    private static final class Bind {
        static final MethodHandle MH = Native.downcall(Posix.bind$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    private static final class Listen {
        static final MethodHandle MH = Native.downcall(Posix.listen$address(), Posix.listen$descriptor());
    }

    private static final class Accept {
        static final MethodHandle MH = Native.downcall(Posix.accept$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    }

    private static final class Connect {
        static final MethodHandle MH = Native.downcall(Posix.connect$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    private static final class Getsockname {
        static final MethodHandle MH = Native.downcall(Posix.getsockname$address(), FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    }

    private static final class Setsockopt {
        static final MethodHandle MH = Native.downcall(Posix.setsockopt$address(), Posix.setsockopt$descriptor());
    }

    private static final class Getsockopt {
        static final MethodHandle MH = Native.downcall(Posix.getsockopt$address(), Posix.getsockopt$descriptor());
    }

    private PosixSockets() {
    }

    /**
     * {@return the address family of {@code address}}
     *
     * @param address a Unix-domain or resolved TCP address
     * @throws IllegalArgumentException for another kind of address, or an unresolved one
     */
    public static int family(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            return Posix.AF_UNIX();
        }
        if (address instanceof InetSocketAddress inet) {
            if (inet.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address " + inet);
            }
            return inet.getAddress() instanceof Inet6Address ? Posix.AF_INET6() : Posix.AF_INET();
        }
        throw new IllegalArgumentException("not a Unix-domain or TCP address: " + address);
    }

    /** Writes {@code address} as a sockaddr into {@code a}; returns it (its size is the length). */
    private static MemorySegment sockaddr(SocketAddress address, Arena a) {
        if (address instanceof UnixDomainSocketAddress unix) {
            byte[] path = unix.getPath().toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment sa = sockaddr_un.allocate(a);
            long room = sockaddr_un.sun_path$layout().byteSize();
            if (path.length == 0 || path.length >= room || indexOfZero(path) >= 0) {
                throw new IllegalArgumentException("a Unix socket path must be 1 to " + (room - 1)
                        + " bytes with no NUL, got " + path.length + " bytes: " + unix.getPath());
            }
            sockaddr_un.sun_family(sa, (short) Posix.AF_UNIX());
            MemorySegment.copy(path, 0, sockaddr_un.sun_path(sa), ValueLayout.JAVA_BYTE, 0, path.length);
            return sa;
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        family(inet); // checks resolution
        byte[] ip = inet.getAddress().getAddress();
        short port = Short.reverseBytes((short) inet.getPort()); // network order
        if (ip.length == 4) {
            MemorySegment sa = sockaddr_in.allocate(a);
            sockaddr_in.sin_family(sa, (short) Posix.AF_INET());
            sockaddr_in.sin_port(sa, port);
            MemorySegment.copy(ip, 0, sockaddr_in.sin_addr(sa), ValueLayout.JAVA_BYTE, 0, 4);
            return sa;
        }
        MemorySegment sa = sockaddr_in6.allocate(a);
        sockaddr_in6.sin6_family(sa, (short) Posix.AF_INET6());
        sockaddr_in6.sin6_port(sa, port);
        MemorySegment.copy(ip, 0, sockaddr_in6.sin6_addr(sa), ValueLayout.JAVA_BYTE, 0, 16);
        if (inet.getAddress() instanceof Inet6Address v6) {
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

    static int socket(SocketAddress address, boolean nonBlocking) throws IOException {
        int family = family(address);
        Lock gate = DescriptorGate.creating();
        gate.lock();
        try {
            int fd = (int) Native.retrying(() -> "socket(" + family + ", SOCK_STREAM)",
                    st -> (int) Socket.MH.invokeExact(st, family, Posix.SOCK_STREAM(), 0));
            try {
                PosixIo.setCloseOnExec(fd);
                if (nonBlocking) {
                    setNonBlocking(fd, true);
                }
                return fd;
            } catch (IOException | RuntimeException e) {
                PosixIo.closeQuietly(fd);
                throw e;
            }
        } finally {
            gate.unlock();
        }
    }

    private static void setNonBlocking(int fd, boolean on) throws IOException {
        int flags = PosixIo.fcntl(fd, Posix.F_GETFL(), 0, "F_GETFL");
        int wanted = on ? flags | Posix.O_NONBLOCK() : flags & ~Posix.O_NONBLOCK();
        if (wanted != flags) {
            PosixIo.fcntl(fd, Posix.F_SETFL(), wanted, "F_SETFL");
        }
    }

    private static void setIntOption(int fd, int level, int option, int value, String what) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, value);
            Native.retrying(() -> "setsockopt(" + fd + ", " + what + ")",
                    st -> (int) Setsockopt.MH.invokeExact(st, fd, level, option, v, 4));
        }
    }

    public static void bindAndListen(int fd, SocketAddress address, int backlog) throws IOException {
        if (address instanceof InetSocketAddress) {
            setIntOption(fd, Posix.SOL_SOCKET(), Posix.SO_REUSEADDR(), 1, "SO_REUSEADDR");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, a);
            if (address instanceof UnixDomainSocketAddress) {
                // Linux creates the file with the socket inode's mode less the umask: 0600 from
                // the start, instead of a chmod after it (a window in which others may connect).
                Native.retrying(() -> "fchmod(" + fd + ", 0600)", st -> (int) Fchmod.MH.invokeExact(st, fd, 0600));
            }
            Native.retrying(() -> "bind(" + address + ")",
                    st -> (int) Bind.MH.invokeExact(st, fd, sa, (int) sa.byteSize()));
            Native.retrying(() -> "listen(" + address + ")", st -> (int) Listen.MH.invokeExact(st, fd, backlog));
        }
    }

    static int accept(int fd) throws IOException {
        for (;;) {
            int r;
            Lock gate = DescriptorGate.creating();
            gate.lock();
            try {
                long got = Native.attempt(st -> (int) Accept.MH.invokeExact(st, fd, MemorySegment.NULL, MemorySegment.NULL));
                if (got < 0) {
                    int e = (int) -got;
                    if (e == PosixErrno.EAGAIN || e == PosixErrno.EWOULDBLOCK) {
                        return -1;
                    }
                    if (e == PosixErrno.ECONNABORTED || e == PosixErrno.EINTR) {
                        continue; // that client gave up before we accepted it: take the next one
                    }
                    throw PosixErrno.exception("accept(" + fd + ")", e);
                }
                r = (int) got;
                try {
                    PosixIo.setCloseOnExec(r);
                } catch (IOException e) {
                    PosixIo.closeQuietly(r);
                    throw e;
                }
            } finally {
                gate.unlock();
            }
            try {
                setNonBlocking(r, false); // BSDs: an accepted socket inherits O_NONBLOCK
                noDelayIfTcp(r);
            } catch (IOException | RuntimeException e) {
                PosixIo.closeQuietly(r);
                throw e;
            }
            return r;
        }
    }

    /**
     * Sets {@code TCP_NODELAY} on an accepted socket if it is a TCP one (a Unix-domain socket
     * needs nothing).
     *
     * @param fd the accepted socket; the caller closes it if this throws
     * @throws IOException if {@code getsockname} or {@code setsockopt} fails
     */
    public static void noDelayIfTcp(int fd) throws IOException {
        if (localAddress(fd) instanceof InetSocketAddress) {
            setIntOption(fd, Posix.IPPROTO_TCP(), Posix.TCP_NODELAY(), 1, "TCP_NODELAY");
        }
    }

    public static void connect(int fd, SocketAddress address) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, a);
            long r = Native.attempt(st -> (int) Connect.MH.invokeExact(st, fd, sa, (int) sa.byteSize()));
            if (r < 0) {
                int e = (int) -r;
                if (e != PosixErrno.EINTR && e != PosixErrno.EINPROGRESS) {
                    throw PosixErrno.exception("connect(" + address + ")", e);
                }
                // interrupted: the connection goes on in the background; wait for its outcome
                short[] ready = new short[1];
                PosixIo.poll(new int[] {fd}, new short[] {PosixIo.POLL_OUT}, ready, -1);
                checkConnected(fd, address, a);
            }
            if (address instanceof InetSocketAddress) {
                setIntOption(fd, Posix.IPPROTO_TCP(), Posix.TCP_NODELAY(), 1, "TCP_NODELAY");
            }
        }
    }

    public static boolean connect(int fd, SocketAddress address, long timeoutNanos) throws IOException {
        int flags = PosixIo.fcntl(fd, Posix.F_GETFL(), 0, "F_GETFL");
        PosixIo.fcntl(fd, Posix.F_SETFL(), flags | Posix.O_NONBLOCK(), "F_SETFL, O_NONBLOCK");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, a);
            long r = Native.attempt(st -> (int) Connect.MH.invokeExact(st, fd, sa, (int) sa.byteSize()));
            if (r < 0) {
                int e = (int) -r;
                if (e == PosixErrno.EAGAIN) {
                    return false; // a Unix-domain listener's queue is full
                }
                if (e != PosixErrno.EINTR && e != PosixErrno.EINPROGRESS) {
                    throw PosixErrno.exception("connect(" + address + ")", e);
                }
                short[] ready = new short[1];
                if (PosixIo.poll(new int[] {fd}, new short[] {PosixIo.POLL_OUT}, ready,
                        Math.max(0, timeoutNanos)) == 0) {
                    return false;
                }
                checkConnected(fd, address, a);
            }
            if (address instanceof InetSocketAddress) {
                setIntOption(fd, Posix.IPPROTO_TCP(), Posix.TCP_NODELAY(), 1, "TCP_NODELAY");
            }
            return true;
        } finally {
            PosixIo.fcntl(fd, Posix.F_SETFL(), flags, "F_SETFL");
        }
    }

    /** Throws the error of a connection that completed in the background, if it failed. */
    private static void checkConnected(int fd, SocketAddress address, Arena a) throws IOException {
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 4);
        Native.retrying(() -> "getsockopt(SO_ERROR)", st -> (int) Getsockopt.MH.invokeExact(st, fd,
                Posix.SOL_SOCKET(), Posix.SO_ERROR(), v, len));
        int soError = v.get(ValueLayout.JAVA_INT, 0);
        if (soError != 0) {
            throw PosixErrno.exception("connect(" + address + ")", soError);
        }
    }

    public static SocketAddress localAddress(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(128, 8); // sockaddr_storage
            MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 128);
            Native.retrying(() -> "getsockname(" + fd + ")", st -> (int) Getsockname.MH.invokeExact(st, fd, sa, len));
            int family = sa.get(ValueLayout.JAVA_SHORT, 0);
            if (family == Posix.AF_UNIX()) {
                int n = len.get(ValueLayout.JAVA_INT, 0) - (int) sockaddr_un.sun_path$offset();
                byte[] path = new byte[Math.max(0, n)];
                MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, sockaddr_un.sun_path$offset(), path, 0, path.length);
                int end = indexOfZero(path);
                String p = new String(path, 0, end < 0 ? path.length : end, StandardCharsets.UTF_8);
                return UnixDomainSocketAddress.of(p);
            }
            int port = Short.toUnsignedInt(Short.reverseBytes(family == Posix.AF_INET()
                    ? sockaddr_in.sin_port(sa) : sockaddr_in6.sin6_port(sa)));
            byte[] ip = family == Posix.AF_INET()
                    ? sockaddr_in.sin_addr(sa).toArray(ValueLayout.JAVA_BYTE)
                    : sockaddr_in6.sin6_addr(sa).toArray(ValueLayout.JAVA_BYTE);
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        }
    }
}
