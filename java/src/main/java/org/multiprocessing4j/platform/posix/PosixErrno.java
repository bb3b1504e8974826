package org.multiprocessing4j.platform.posix;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.Map;
import org.multiprocessing4j.platform.OsException;
import org.multiprocessing4j.platform.posix.bindings.Posix;

/**
 * The one place where POSIX errno values become exceptions, as in the Linux backend:
 * {@code ENOENT} → {@link NoSuchFileException}, {@code EEXIST} →
 * {@link FileAlreadyExistsException}, {@code EACCES} → {@link AccessDeniedException}, peer closed
 * ({@code EPIPE}, {@code ECONNRESET}) → {@link EOFException}, {@code ECONNREFUSED} →
 * {@link java.net.ConnectException}, {@code EADDRINUSE}/{@code EADDRNOTAVAIL} →
 * {@link java.net.BindException}, everything else → {@link OsException}. Messages read
 * {@code call failed: NAME (text)}. The values come from the generated bindings (they differ
 * between systems: {@code EAGAIN} is 11 on Linux and 35 on macOS).
 */
public final class PosixErrno {
    /** {@code EINTR}, this system's value. */
    public static final int EINTR = Posix.EINTR();
    /** {@code EAGAIN}, this system's value. */
    public static final int EAGAIN = Posix.EAGAIN();
    /** {@code EWOULDBLOCK}, this system's value. */
    public static final int EWOULDBLOCK = Posix.EWOULDBLOCK();
    /** {@code ETIMEDOUT}, this system's value. */
    public static final int ETIMEDOUT = Posix.ETIMEDOUT();
    /** {@code ECHILD}, this system's value. */
    public static final int ECHILD = Posix.ECHILD();
    /** {@code ESRCH}, this system's value. */
    public static final int ESRCH = Posix.ESRCH();
    /** {@code EBADF}, this system's value. */
    public static final int EBADF = Posix.EBADF();
    /** {@code ENOTSOCK}, this system's value. */
    public static final int ENOTSOCK = Posix.ENOTSOCK();
    /** {@code ENOTCONN}, this system's value. */
    public static final int ENOTCONN = Posix.ENOTCONN();
    /** {@code ECONNRESET}, this system's value. */
    public static final int ECONNRESET = Posix.ECONNRESET();
    /** {@code ENOENT}, this system's value. */
    public static final int ENOENT = Posix.ENOENT();
    /** {@code EINPROGRESS}, this system's value. */
    public static final int EINPROGRESS = Posix.EINPROGRESS();
    /** {@code ECONNABORTED}, this system's value. */
    public static final int ECONNABORTED = Posix.ECONNABORTED();
    /** {@code EOWNERDEAD}, this system's value. */
    public static final int EOWNERDEAD = Posix.EOWNERDEAD();
    /** {@code EINVAL}, this system's value. */
    public static final int EINVAL = Posix.EINVAL();
    /** {@code EPROTO}, this system's value. */
    public static final int EPROTO = Posix.EPROTO();
    /** {@code ENOSYS}, this system's value. */
    public static final int ENOSYS = Posix.ENOSYS();

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        name(Posix.EPERM(), "EPERM");
        name(Posix.ENOENT(), "ENOENT");
        name(Posix.ESRCH(), "ESRCH");
        name(Posix.EINTR(), "EINTR");
        name(Posix.EIO(), "EIO");
        name(Posix.EBADF(), "EBADF");
        name(Posix.ECHILD(), "ECHILD");
        name(Posix.EAGAIN(), "EAGAIN");
        name(Posix.ENOMEM(), "ENOMEM");
        name(Posix.EACCES(), "EACCES");
        name(Posix.EFAULT(), "EFAULT");
        name(Posix.EBUSY(), "EBUSY");
        name(Posix.EEXIST(), "EEXIST");
        name(Posix.ENOTDIR(), "ENOTDIR");
        name(Posix.EISDIR(), "EISDIR");
        name(Posix.EINVAL(), "EINVAL");
        name(Posix.ENFILE(), "ENFILE");
        name(Posix.EMFILE(), "EMFILE");
        name(Posix.ENOSPC(), "ENOSPC");
        name(Posix.EPIPE(), "EPIPE");
        name(Posix.ERANGE(), "ERANGE");
        name(Posix.EDEADLK(), "EDEADLK");
        name(Posix.ENAMETOOLONG(), "ENAMETOOLONG");
        name(Posix.ENOSYS(), "ENOSYS");
        name(Posix.ETIMEDOUT(), "ETIMEDOUT");
        name(Posix.ECONNRESET(), "ECONNRESET");
        name(Posix.ECONNREFUSED(), "ECONNREFUSED");
        name(Posix.ECONNABORTED(), "ECONNABORTED");
        name(Posix.EPROTO(), "EPROTO");
        name(Posix.ENOTCONN(), "ENOTCONN");
        name(Posix.EADDRINUSE(), "EADDRINUSE");
        name(Posix.EADDRNOTAVAIL(), "EADDRNOTAVAIL");
        name(Posix.EINPROGRESS(), "EINPROGRESS");
        name(Posix.EALREADY(), "EALREADY");
        name(Posix.EMSGSIZE(), "EMSGSIZE");
        name(Posix.ENOTSOCK(), "ENOTSOCK");
        name(Posix.ENOTSUP(), "ENOTSUP");
        name(Posix.EOPNOTSUPP(), "EOPNOTSUPP");
        name(Posix.EOWNERDEAD(), "EOWNERDEAD");
        name(Posix.ENOTRECOVERABLE(), "ENOTRECOVERABLE");
    }

    private PosixErrno() {
    }

    private static void name(int value, String name) {
        NAMES.putIfAbsent(value, name);
    }

    /** {@return the symbolic name of {@code errno}, or {@code "errno N"}} */
    public static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }

    /** {@return the C library's text for {@code errno}} */
    public static String text(int errno) {
        MemorySegment s = Posix.strerror(errno);
        return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(1024).getString(0);
    }

    /**
     * Translates a failed call.
     *
     * @param call what was called, with its arguments as far as useful
     * @param errno the error
     * @return the exception to throw
     */
    public static IOException exception(String call, int errno) {
        String name = name(errno);
        String message = call + " failed: " + name + " (" + text(errno) + ")";
        return switch (name) {
            case "ENOENT" -> new NoSuchFileException(message);
            case "EEXIST" -> new FileAlreadyExistsException(message);
            case "EACCES" -> new AccessDeniedException(message);
            case "EPIPE", "ECONNRESET" -> new EOFException(message);
            case "ECONNREFUSED" -> new java.net.ConnectException(message);
            case "EADDRINUSE", "EADDRNOTAVAIL" -> new java.net.BindException(message);
            default -> new OsException(message, name, errno);
        };
    }
}
