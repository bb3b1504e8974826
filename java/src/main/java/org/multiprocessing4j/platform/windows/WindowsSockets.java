package org.multiprocessing4j.platform.windows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.windows.WindowsHandles.Kind;
import org.multiprocessing4j.platform.windows.bindings.Win32;
import org.multiprocessing4j.platform.windows.bindings.WSAData;
import org.multiprocessing4j.platform.windows.bindings.pollfd;
import org.multiprocessing4j.platform.windows.bindings.sockaddr_in;
import org.multiprocessing4j.platform.windows.bindings.sockaddr_in6;
import org.multiprocessing4j.platform.windows.bindings.sockaddr_un;

/**
 * Stream sockets for {@code Listener} and {@code Client}: Winsock 2.2 ({@code WSAStartup} once),
 * {@code WSASocketW} with {@code WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT} (never
 * inherited), {@code AF_UNIX} (Windows 10 1803 and later; the socket file lives in the
 * listener's private directory, whose owner-only ACL is what keeps others out) or {@code AF_INET}
 * / {@code AF_INET6}. Non-blocking mode by {@code ioctlsocket(FIONBIO)}; waiting by
 * {@code WSAPoll}. Not set: {@code SO_REUSEADDR}, which on Windows lets another socket steal a
 * bound port (Windows does not hold a closed listener's port the way POSIX's {@code TIME_WAIT}
 * does, so the option is not needed for a restart). Errors are {@code WSAGetLastError} values,
 * translated by {@link WindowsErrors#socketException}. Thread-safe (stateless but for the handle
 * kinds). Loaded only on Windows; unproven (see the package comment).
 */
final class WindowsSockets {
    /** {@code MSG_PEEK}. */
    private static final int MSG_PEEK = 2;
    private static final long INVALID_SOCKET = -1;
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final MethodHandle SOCKET = socketCall(Win32.WSASocketW$address(), Win32.WSASocketW$descriptor());
    private static final MethodHandle BIND = socketCall(Win32.bind$address(), Win32.bind$descriptor());
    private static final MethodHandle LISTEN = socketCall(Win32.listen$address(), Win32.listen$descriptor());
    private static final MethodHandle ACCEPT = socketCall(Win32.accept$address(), Win32.accept$descriptor());
    private static final MethodHandle CONNECT = socketCall(Win32.connect$address(), Win32.connect$descriptor());
    private static final MethodHandle NAME = socketCall(Win32.getsockname$address(), Win32.getsockname$descriptor());
    private static final MethodHandle OPTION = socketCall(Win32.setsockopt$address(), Win32.setsockopt$descriptor());
    private static final MethodHandle IOCTL = socketCall(Win32.ioctlsocket$address(), Win32.ioctlsocket$descriptor());
    private static final MethodHandle RECV = socketCall(Win32.recv$address(), Win32.recv$descriptor());
    private static final MethodHandle SEND = socketCall(Win32.send$address(), Win32.send$descriptor());
    private static final MethodHandle SHUTDOWN = socketCall(Win32.shutdown$address(), Win32.shutdown$descriptor());
    private static final MethodHandle CLOSE = socketCall(Win32.closesocket$address(), Win32.closesocket$descriptor());
    private static final MethodHandle POLL = socketCall(Win32.WSAPoll$address(), Win32.WSAPoll$descriptor());

    static {
        int error = Win32.WSAStartup((short) 0x0202, WSAData.allocate(Arena.global()));
        if (error != 0) {
            throw new IllegalStateException("WSAStartup(2.2) failed: " + error);
        }
    }

    private WindowsSockets() {
    }

    private static MethodHandle socketCall(MemorySegment address, java.lang.foreign.FunctionDescriptor descriptor) {
        return WindowsNative.capturingSocket(address, descriptor);
    }

    private static IOException failure(String call, MemorySegment state) {
        return WindowsErrors.socketException(call, WindowsNative.lastSocketError(state));
    }

    private static int family(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            return Win32.AF_UNIX();
        }
        if (address instanceof InetSocketAddress inet && !inet.isUnresolved()) {
            return inet.getAddress() instanceof java.net.Inet6Address ? Win32.AF_INET6() : Win32.AF_INET();
        }
        throw new IllegalArgumentException("not a Unix-domain or resolved internet address: " + address);
    }

    /** {@code Platform.socket}. */
    static Handle socket(SocketAddress address, boolean nonBlocking) throws IOException {
        int family = family(address);
        MemorySegment state = WindowsNative.state();
        long s;
        try {
            s = (long) SOCKET.invokeExact(state, family, Win32.SOCK_STREAM(), 0, MemorySegment.NULL, 0,
                    Win32.WSA_FLAG_OVERLAPPED() | Win32.WSA_FLAG_NO_HANDLE_INHERIT());
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
        if (s == INVALID_SOCKET) {
            throw failure("WSASocketW(" + family + ", SOCK_STREAM)", state);
        }
        Handle h = WindowsHandles.register(Handle.of(s), Kind.SOCKET);
        try {
            if (nonBlocking) {
                setNonBlocking(h, true);
            }
            return h;
        } catch (IOException | RuntimeException e) {
            WindowsHandles.closeQuietly(h);
            throw e;
        }
    }

    static void setNonBlocking(Handle socket, boolean on) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment arg = scratch.allocateFrom(ValueLayout.JAVA_INT, on ? 1 : 0);
            if ((int) IOCTL.invokeExact(state, socket.value(), Win32.FIONBIO(), arg) != 0) {
                throw failure("ioctlsocket(" + socket + ", FIONBIO)", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@return {@code address} as a native {@code sockaddr}} */
    static MemorySegment sockaddr(SocketAddress address, Arena arena) {
        if (address instanceof UnixDomainSocketAddress unix) {
            byte[] path = unix.getPath().toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment sa = sockaddr_un.allocate(arena);
            if (path.length >= sockaddr_un.sun_path(sa).byteSize()) {
                throw new IllegalArgumentException("socket path longer than " + (sockaddr_un.sun_path(sa).byteSize() - 1)
                        + " bytes: " + unix.getPath());
            }
            sockaddr_un.sun_family(sa, (short) Win32.AF_UNIX());
            MemorySegment.copy(path, 0, sockaddr_un.sun_path(sa), ValueLayout.JAVA_BYTE, 0, path.length);
            return sa;
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        byte[] ip = inet.getAddress().getAddress();
        if (ip.length == 4) {
            MemorySegment sa = sockaddr_in.allocate(arena);
            sockaddr_in.sin_family(sa, (short) Win32.AF_INET());
            sa.set(NET_SHORT, sockaddr_in.sin_port$offset(), (short) inet.getPort());
            MemorySegment.copy(ip, 0, sockaddr_in.sin_addr(sa), ValueLayout.JAVA_BYTE, 0, 4);
            return sa;
        }
        MemorySegment sa = sockaddr_in6.allocate(arena);
        sockaddr_in6.sin6_family(sa, (short) Win32.AF_INET6());
        sa.set(NET_SHORT, sockaddr_in6.sin6_port$offset(), (short) inet.getPort());
        MemorySegment.copy(ip, 0, sockaddr_in6.sin6_addr(sa), ValueLayout.JAVA_BYTE, 0, 16);
        return sa;
    }

    /** {@code Platform.bindAndListen}. */
    static void bindAndListen(Handle socket, SocketAddress address, int backlog) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, scratch);
            if ((int) BIND.invokeExact(state, socket.value(), sa, (int) sa.byteSize()) != 0) {
                throw failure("bind(" + address + ")", state);
            }
            if ((int) LISTEN.invokeExact(state, socket.value(), backlog) != 0) {
                throw failure("listen(" + address + ", " + backlog + ")", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code Platform.accept}: {@code null} if nothing is pending. */
    static Handle accept(Handle listener) throws IOException {
        MemorySegment state = WindowsNative.state();
        long s;
        try {
            s = (long) ACCEPT.invokeExact(state, listener.value(), MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
        if (s == INVALID_SOCKET) {
            if (WindowsNative.lastSocketError(state) == Win32.WSAEWOULDBLOCK()) {
                return null;
            }
            throw failure("accept(" + listener + ")", state);
        }
        Handle h = WindowsHandles.register(Handle.of(s), Kind.SOCKET);
        try {
            WindowsHandles.setInheritable(h, false);
            setNonBlocking(h, false);   // an accepted socket inherits the listener's mode
            noDelay(h);
            return h;
        } catch (IOException | RuntimeException e) {
            WindowsHandles.closeQuietly(h);
            throw e;
        }
    }

    /** Sets {@code TCP_NODELAY} on an internet socket; a Unix-domain one refuses it, which is ignored. */
    private static void noDelay(Handle socket) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment on = scratch.allocateFrom(ValueLayout.JAVA_INT, 1);
            int ignored = (int) OPTION.invokeExact(WindowsNative.state(), socket.value(), Win32.IPPROTO_TCP(),
                    Win32.TCP_NODELAY(), on, 4);
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * {@code Platform.connect}, waiting at most {@code timeoutNanos} (negative: as long as the OS
     * takes). The socket is blocking afterwards.
     *
     * @return whether it connected in time
     */
    static boolean connect(Handle socket, SocketAddress address, long timeoutNanos) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment sa = sockaddr(address, scratch);
            if (timeoutNanos >= 0) {
                setNonBlocking(socket, true);
            }
            int r = (int) CONNECT.invokeExact(state, socket.value(), sa, (int) sa.byteSize());
            if (r != 0) {
                int error = WindowsNative.lastSocketError(state);
                if (timeoutNanos < 0 || error != Win32.WSAEWOULDBLOCK()) {
                    throw WindowsErrors.socketException("connect(" + address + ")", error);
                }
                int ms = (int) Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000);
                MemorySegment fd = pollfd.allocate(scratch);
                pollfd.fd(fd, socket.value());
                pollfd.events(fd, (short) Win32.POLLWRNORM());
                int n = (int) POLL.invokeExact(state, fd, 1, ms);
                if (n < 0) {
                    throw failure("WSAPoll(connect " + address + ")", state);
                }
                if (n == 0) {
                    return false;
                }
                if ((pollfd.revents(fd) & (Win32.POLLERR() | Win32.POLLHUP())) != 0) {
                    throw new java.net.ConnectException("connect(" + address + ") failed: nobody accepted it");
                }
            }
            if (timeoutNanos >= 0) {
                setNonBlocking(socket, false);
            }
            noDelay(socket);
            return true;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@return whether {@code handle} is a socket: {@code getsockname} fails on anything else with {@code WSAENOTSOCK}} */
    static boolean isSocket(Handle handle) {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment sa = scratch.allocate(Math.max(sockaddr_un.sizeof(), sockaddr_in6.sizeof()), 8);
            MemorySegment len = scratch.allocateFrom(ValueLayout.JAVA_INT, (int) sa.byteSize());
            return (int) NAME.invokeExact(state, handle.value(), sa, len) == 0
                    || WindowsNative.lastSocketError(state) != Win32.WSAENOTSOCK();
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code Platform.localAddress}. */
    static SocketAddress localAddress(Handle socket) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment sa = scratch.allocate(Math.max(sockaddr_un.sizeof(), sockaddr_in6.sizeof()), 8);
            MemorySegment len = scratch.allocateFrom(ValueLayout.JAVA_INT, (int) sa.byteSize());
            if ((int) NAME.invokeExact(state, socket.value(), sa, len) != 0) {
                throw failure("getsockname(" + socket + ")", state);
            }
            int family = sa.get(ValueLayout.JAVA_SHORT, 0);
            if (family == Win32.AF_UNIX()) {
                return UnixDomainSocketAddress.of(sockaddr_un.sun_path(sa).getString(0, StandardCharsets.UTF_8));
            }
            boolean v4 = family == Win32.AF_INET();
            int port = Short.toUnsignedInt(sa.get(NET_SHORT, v4 ? sockaddr_in.sin_port$offset() : sockaddr_in6.sin6_port$offset()));
            byte[] ip = (v4 ? sockaddr_in.sin_addr(sa) : sockaddr_in6.sin6_addr(sa)).toArray(ValueLayout.JAVA_BYTE);
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** Blocking {@code recv}; 0 at end of stream (a reset counts as the end). */
    static long recv(Handle socket, MemorySegment buffer, long length, int flags) throws IOException {
        MemorySegment state = WindowsNative.state();
        int n;
        try {
            n = (int) RECV.invokeExact(state, socket.value(), buffer, (int) Math.min(length, Integer.MAX_VALUE), flags);
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
        if (n < 0) {
            int error = WindowsNative.lastSocketError(state);
            if (error == Win32.WSAECONNRESET() || error == Win32.WSAECONNABORTED()) {
                return 0;
            }
            throw WindowsErrors.socketException("recv(" + socket + ")", error);
        }
        return n;
    }

    /** {@code recv} without blocking: -1 if nothing is there. */
    static long recvNow(Handle socket, MemorySegment buffer, long length) throws IOException {
        return poll(List.of(socket), 0) > 0 ? recv(socket, buffer, length, 0) : -1;
    }

    /** {@code recv(MSG_PEEK)} of what is there now: 0 if nothing (or the end). */
    static long peek(Handle socket, MemorySegment into, long length) throws IOException {
        return poll(List.of(socket), 0) > 0 ? recv(socket, into, length, MSG_PEEK) : 0;
    }

    /** Sends all {@code length} bytes. */
    static void sendFully(Handle socket, MemorySegment buffer, long length) throws IOException {
        MemorySegment state = WindowsNative.state();
        long done = 0;
        while (done < length) {
            int n;
            try {
                n = (int) SEND.invokeExact(state, socket.value(), buffer.asSlice(done),
                        (int) Math.min(length - done, Integer.MAX_VALUE), 0);
            } catch (Throwable t) {
                throw WindowsNative.unchecked(t);
            }
            if (n < 0) {
                throw failure("send(" + socket + ")", state);
            }
            done += n;
        }
    }

    /**
     * {@return how many of {@code sockets} are readable (data, a pending connection, a hang-up or
     * an error) after at most {@code ms} milliseconds} ({@code WSAPoll}; {@code Integer.MAX_VALUE}
     * waits without limit)
     */
    static int poll(List<Handle> sockets, int ms) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment fds = pollfd.allocateArray(sockets.size(), scratch);
            for (int i = 0; i < sockets.size(); i++) {
                MemorySegment fd = pollfd.asSlice(fds, i);
                pollfd.fd(fd, sockets.get(i).value());
                pollfd.events(fd, (short) Win32.POLLRDNORM());
            }
            int n = (int) POLL.invokeExact(state, fds, sockets.size(), ms == Integer.MAX_VALUE ? -1 : ms);
            if (n < 0) {
                throw failure("WSAPoll(" + sockets.size() + " sockets)", state);
            }
            return n;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@return whether {@code socket} reported a hang-up or an error within {@code ms}} */
    static boolean hungUp(Handle socket, int ms) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment fd = pollfd.allocate(scratch);
            pollfd.fd(fd, socket.value());
            pollfd.events(fd, (short) 0);
            int n = (int) POLL.invokeExact(state, fd, 1, ms);
            if (n < 0) {
                return true;   // the socket is unusable: the caller treats it as closed
            }
            return (pollfd.revents(fd) & (Win32.POLLHUP() | Win32.POLLERR() | Win32.POLLNVAL())) != 0;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code shutdown(SD_BOTH)}; "not connected" is ignored. */
    static void shutdown(Handle socket) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            if ((int) SHUTDOWN.invokeExact(state, socket.value(), Win32.SD_BOTH()) != 0
                    && WindowsNative.lastSocketError(state) != Win32.WSAENOTCONN()) {
                throw failure("shutdown(" + socket + ", SD_BOTH)", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** {@code closesocket}. */
    static void closeSocket(Handle socket) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            if ((int) CLOSE.invokeExact(state, socket.value()) != 0) {
                throw failure("closesocket(" + socket + ")", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }
}
