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
final class PosixErrno {
    static final int EINTR = Posix.EINTR();
    static final int EAGAIN = Posix.EAGAIN();
    static final int EWOULDBLOCK = Posix.EWOULDBLOCK();
    static final int ETIMEDOUT = Posix.ETIMEDOUT();
    static final int ECHILD = Posix.ECHILD();
    static final int ESRCH = Posix.ESRCH();
    static final int EBADF = Posix.EBADF();
    static final int ENOTSOCK = Posix.ENOTSOCK();
    static final int ENOTCONN = Posix.ENOTCONN();
    static final int ECONNRESET = Posix.ECONNRESET();
    static final int ENOENT = Posix.ENOENT();
    static final int EINPROGRESS = Posix.EINPROGRESS();
    static final int ECONNABORTED = Posix.ECONNABORTED();
    static final int EOWNERDEAD = Posix.EOWNERDEAD();
    static final int EINVAL = Posix.EINVAL();

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
    static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }

    /** {@return the C library's text for {@code errno}} */
    static String text(int errno) {
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
    static IOException exception(String call, int errno) {
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
