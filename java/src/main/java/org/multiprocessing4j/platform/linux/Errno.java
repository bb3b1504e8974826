package org.multiprocessing4j.platform.linux;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.Map;
import org.multiprocessing4j.platform.OsException;
import org.multiprocessing4j.platform.linux.bindings.Libc;

/**
 * The one place where Linux errno values become exceptions: {@code ENOENT} →
 * {@link NoSuchFileException}, {@code EEXIST} → {@link FileAlreadyExistsException},
 * {@code EACCES} → {@link AccessDeniedException}, peer closed ({@code EPIPE},
 * {@code ECONNRESET}) → {@link EOFException}, everything else → {@link OsException}. Messages
 * read {@code call failed: NAME (text)}.
 */
final class Errno {
    static final int EINTR = Libc.EINTR();
    static final int EAGAIN = Libc.EAGAIN();
    static final int ETIMEDOUT = Libc.ETIMEDOUT();
    static final int ECHILD = Libc.ECHILD();
    static final int ESRCH = Libc.ESRCH();
    static final int ENOTSOCK = Libc.ENOTSOCK();
    static final int ENOTCONN = Libc.ENOTCONN();
    static final int ENOSYS = Libc.ENOSYS();
    static final int ECONNRESET = Libc.ECONNRESET();

    private static final Map<Integer, String> NAMES = new HashMap<>();

    static {
        name(Libc.EPERM(), "EPERM");
        name(Libc.ENOENT(), "ENOENT");
        name(Libc.ESRCH(), "ESRCH");
        name(Libc.EINTR(), "EINTR");
        name(Libc.EIO(), "EIO");
        name(Libc.EBADF(), "EBADF");
        name(Libc.ECHILD(), "ECHILD");
        name(Libc.EAGAIN(), "EAGAIN");
        name(Libc.ENOMEM(), "ENOMEM");
        name(Libc.EACCES(), "EACCES");
        name(Libc.EFAULT(), "EFAULT");
        name(Libc.EBUSY(), "EBUSY");
        name(Libc.EEXIST(), "EEXIST");
        name(Libc.EINVAL(), "EINVAL");
        name(Libc.ENFILE(), "ENFILE");
        name(Libc.EMFILE(), "EMFILE");
        name(Libc.ENOSPC(), "ENOSPC");
        name(Libc.EPIPE(), "EPIPE");
        name(Libc.ERANGE(), "ERANGE");
        name(Libc.ENOSYS(), "ENOSYS");
        name(Libc.ETIMEDOUT(), "ETIMEDOUT");
        name(Libc.ECONNRESET(), "ECONNRESET");
        name(Libc.ECONNREFUSED(), "ECONNREFUSED");
        name(Libc.ENOTCONN(), "ENOTCONN");
        name(Libc.EADDRINUSE(), "EADDRINUSE");
        name(Libc.EOWNERDEAD(), "EOWNERDEAD");
        name(Libc.EOPNOTSUPP(), "EOPNOTSUPP");
        name(Libc.EMSGSIZE(), "EMSGSIZE");
        name(Libc.ENAMETOOLONG(), "ENAMETOOLONG");
        name(Libc.ENOTSOCK(), "ENOTSOCK");
        name(Libc.EISDIR(), "EISDIR");
    }

    private Errno() {
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
        MemorySegment s = Libc.strerror(errno);
        return s.equals(MemorySegment.NULL) ? "?" : s.reinterpret(1024).getString(0);
    }

    /**
     * Translates a failed call.
     *
     * @param call what was called, with its arguments as far as useful, e.g.
     *     {@code shm_open("/mp-x", O_CREAT|O_EXCL)}
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
