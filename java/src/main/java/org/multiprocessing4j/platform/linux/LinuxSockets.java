package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.Calls.STATE;
import static org.multiprocessing4j.platform.linux.Calls.errno;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_INT;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.linux.bindings.sockaddr_in;
import org.multiprocessing4j.platform.linux.bindings.sockaddr_in6;
import org.multiprocessing4j.platform.linux.bindings.sockaddr_un;

/**
 * Stream sockets on Linux: AF_UNIX, AF_INET and AF_INET6 sockets, bind and listen, accept,
 * connect (with or without a timeout) and the local address. Works on descriptor numbers, like
 * {@link LinuxIo}, whose {@code poll} and {@code close} it uses. Thread-safe.
 *
 * <p>bind/connect/getsockname take glibc's transparent union {@code __SOCKADDR_ARG}, which
 * jextract renders as a union passed by value; a union of pointers is passed exactly as a pointer
 * on every ABI we support, so these handles use the symbol with a pointer parameter.
 */
final class LinuxSockets {
    private static final class Socket {
        static final MethodHandle MH = Calls.errno(Libc.socket$address(), Libc.socket$descriptor());
    }

    private static final class Fchmod {
        static final MethodHandle MH = Calls.errno(Libc.fchmod$address(), Libc.fchmod$descriptor());
    }

    private static final class Bind {
        static final MethodHandle MH = Calls.errno(Libc.bind$address(),
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    private static final class Listen {
        static final MethodHandle MH = Calls.errno(Libc.listen$address(), Libc.listen$descriptor());
    }

    private static final class Accept4 {
        static final MethodHandle MH = Calls.errno(Libc.accept4$address(),
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    }

    private static final class Connect {
        static final MethodHandle MH = Calls.errno(Libc.connect$address(),
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    }

    private static final class Getsockname {
        static final MethodHandle MH = Calls.errno(Libc.getsockname$address(),
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    }

    private static final class Setsockopt {
        static final MethodHandle MH =
                Calls.errno(Libc.setsockopt$address(), Libc.setsockopt$descriptor());
    }

    private static final class Getsockopt {
        static final MethodHandle MH =
                Calls.errno(Libc.getsockopt$address(), Libc.getsockopt$descriptor());
    }

    private final LinuxIo io;

    LinuxSockets(LinuxIo io) {
        this.io = io;
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


    /** {@code socket(family of address, SOCK_STREAM|SOCK_CLOEXEC[|SOCK_NONBLOCK])}. */
    int socket(java.net.SocketAddress address, boolean nonBlocking) throws IOException {
        int family = family(address);
        int type = Libc.SOCK_STREAM() | Libc.SOCK_CLOEXEC() | (nonBlocking ? Libc.SOCK_NONBLOCK() : 0);
        return (int) Calls.orThrow("socket(" + family + ", SOCK_STREAM)",
                st -> (int) Socket.MH.invokeExact(st, family, type, 0));
    }

    private static void setIntOption(int fd, int level, int option, int value, String what)
            throws IOException {
        Calls.inArena(a -> {
            MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, value);
            return Calls.orThrow("setsockopt(" + fd + ", " + what + ")",
                    st -> (int) Setsockopt.MH.invokeExact(st, fd, level, option, v, 4));
        });
    }

    /** Binds (SO_REUSEADDR for TCP; a Unix socket file is 0600 from the start) and listens. */
    void bindAndListen(int fd, java.net.SocketAddress address, int backlog) throws IOException {
        if (address instanceof java.net.InetSocketAddress) {
            setIntOption(fd, Libc.SOL_SOCKET(), Libc.SO_REUSEADDR(), 1, "SO_REUSEADDR");
        }
        Calls.inArena(a -> {
            MemorySegment sa = sockaddr(address, a);
            if (address instanceof java.net.UnixDomainSocketAddress) {
                // bind() creates the file with the socket inode's mode less the umask: 0600 from
                // the start, instead of a chmod after it (a window in which others may connect).
                Calls.orThrow("fchmod(" + fd + ", 0600)",
                        st -> (int) Fchmod.MH.invokeExact(st, fd, 0600));
            }
            Calls.orThrow("bind(" + address + ")",
                    st -> (int) Bind.MH.invokeExact(st, fd, sa, (int) sa.byteSize()));
            return Calls.orThrow("listen(" + address + ")",
                    st -> (int) Listen.MH.invokeExact(st, fd, backlog));
        });
    }

    /**
     * {@code accept4(SOCK_CLOEXEC)} on a non-blocking listener, skipping clients that gave up.
     *
     * @return the new descriptor (TCP_NODELAY for TCP), or -1 if none is pending
     */
    int accept(int fd) throws IOException {
        for (;;) {
            int r = (int) Calls.retrying(st -> (int) Accept4.MH.invokeExact(st, fd,
                    MemorySegment.NULL, MemorySegment.NULL, Libc.SOCK_CLOEXEC()));
            if (r >= 0) {
                noDelayIfTcp(r);
                return r;
            }
            int e = Calls.lastErrno();
            if (e == Errno.EAGAIN) {
                return -1;
            }
            if (e != Libc.ECONNABORTED() && e != Libc.EPROTO()) {
                throw Errno.exception("accept4(" + fd + ")", e);
            }
            // that client gave up before we accepted it: take the next one
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
                io.close(fd);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** A blocking connect (TCP_NODELAY for TCP); an interrupted one is waited for. */
    void connect(int fd, java.net.SocketAddress address) throws IOException {
        Calls.inArena(a -> {
            MemorySegment sa = sockaddr(address, a);
            MemorySegment st = STATE.get();
            int r = (int) Connect.MH.invokeExact(st, fd, sa, (int) sa.byteSize());
            if (r != 0) {
                int e = errno(st);
                if (e != Errno.EINTR && e != Libc.EINPROGRESS()) {
                    throw Errno.exception("connect(" + address + ")", e);
                }
                // interrupted: the connection goes on in the background; wait for its outcome
                io.poll(new int[] {fd}, new short[] {(short) Libc.POLLOUT()}, new short[1], -1);
                checkConnected(fd, address, a);
            }
            if (address instanceof java.net.InetSocketAddress) {
                setIntOption(fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
            }
            return null;
        });
    }

    /**
     * A connect that waits at most {@code timeoutNanos}; the socket is blocking again afterwards.
     *
     * @return false on timeout, or if a Unix-domain listener's queue is full ({@code EAGAIN})
     */
    boolean connect(int fd, java.net.SocketAddress address, long timeoutNanos) throws IOException {
        int flags = fcntl(fd, Libc.F_GETFL(), 0, "F_GETFL");
        fcntl(fd, Libc.F_SETFL(), flags | Libc.O_NONBLOCK(), "F_SETFL, O_NONBLOCK");
        try {
            return Calls.inArena(a -> {
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
                    if (io.poll(new int[] {fd}, new short[] {(short) Libc.POLLOUT()}, new short[1],
                            Math.max(0, timeoutNanos)) == 0) {
                        return false;
                    }
                    checkConnected(fd, address, a);
                }
                if (address instanceof java.net.InetSocketAddress) {
                    setIntOption(fd, Libc.IPPROTO_TCP(), Libc.TCP_NODELAY(), 1, "TCP_NODELAY");
                }
                return true;
            });
        } finally {
            fcntl(fd, Libc.F_SETFL(), flags, "F_SETFL");
        }
    }

    /** Throws the error of a connection that completed in the background, if it failed. */
    private static void checkConnected(int fd, java.net.SocketAddress address, Arena a)
            throws IOException {
        MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
        MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 4);
        Calls.orThrow("getsockopt(SO_ERROR)", st -> (int) Getsockopt.MH.invokeExact(st, fd,
                Libc.SOL_SOCKET(), Libc.SO_ERROR(), v, len));
        int soError = v.get(ValueLayout.JAVA_INT, 0);
        if (soError != 0) {
            throw Errno.exception("connect(" + address + ")", soError);
        }
    }

    private static int fcntl(int fd, int command, int argument, String what) throws IOException {
        return (int) Calls.orThrow("fcntl(" + fd + ", " + what + ")",
                st -> (int) Calls.FcntlInt.MH.invokeExact(st, fd, command, argument));
    }

    /** {@code getsockname}, as a Java address. */
    java.net.SocketAddress localAddress(int fd) throws IOException {
        return Calls.inArena(a -> {
            MemorySegment sa = a.allocate(128, 8); // sockaddr_storage
            MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 128);
            Calls.orThrow("getsockname(" + fd + ")",
                    st -> (int) Getsockname.MH.invokeExact(st, fd, sa, len));
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
        });
    }
}
