package org.multiprocessing4j.platform.windows;

import static org.multiprocessing4j.platform.windows.bindings.Win32.*;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import org.multiprocessing4j.platform.OsException;

/**
 * The translation of {@code GetLastError} values into exceptions, in one place, as
 * {@code PosixErrno} does for errno: {@code ERROR_FILE_NOT_FOUND}/{@code ERROR_PATH_NOT_FOUND} →
 * {@link NoSuchFileException}, {@code ERROR_ALREADY_EXISTS}/{@code ERROR_FILE_EXISTS} →
 * {@link FileAlreadyExistsException}, {@code ERROR_ACCESS_DENIED} → {@link AccessDeniedException},
 * the peer-closed errors of a pipe ({@code ERROR_BROKEN_PIPE}, {@code ERROR_NO_DATA},
 * {@code ERROR_PIPE_NOT_CONNECTED}) → {@link EOFException}, everything else an
 * {@link OsException} carrying the error's name and number. Messages read like
 * {@code CreateFileMappingW("Local\mp4j-…") failed: ERROR_ACCESS_DENIED (5)}.
 * {@code ERROR_IO_PENDING} and {@code WAIT_TIMEOUT} are results, never passed here.
 * Thread-safe (immutable). Loaded only on Windows; unproven (see the package comment).
 */
final class WindowsErrors {
    /** The names of the errors the backend meets; the values come from the bindings. */
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(ERROR_FILE_NOT_FOUND(), "ERROR_FILE_NOT_FOUND"),
            Map.entry(ERROR_PATH_NOT_FOUND(), "ERROR_PATH_NOT_FOUND"),
            Map.entry(ERROR_ACCESS_DENIED(), "ERROR_ACCESS_DENIED"),
            Map.entry(ERROR_INVALID_HANDLE(), "ERROR_INVALID_HANDLE"),
            Map.entry(ERROR_NOT_ENOUGH_MEMORY(), "ERROR_NOT_ENOUGH_MEMORY"),
            Map.entry(ERROR_INVALID_PARAMETER(), "ERROR_INVALID_PARAMETER"),
            Map.entry(ERROR_BROKEN_PIPE(), "ERROR_BROKEN_PIPE"),
            Map.entry(ERROR_INSUFFICIENT_BUFFER(), "ERROR_INSUFFICIENT_BUFFER"),
            Map.entry(ERROR_ALREADY_EXISTS(), "ERROR_ALREADY_EXISTS"),
            Map.entry(ERROR_FILE_EXISTS(), "ERROR_FILE_EXISTS"),
            Map.entry(ERROR_PIPE_BUSY(), "ERROR_PIPE_BUSY"),
            Map.entry(ERROR_NO_DATA(), "ERROR_NO_DATA"),
            Map.entry(ERROR_PIPE_CONNECTED(), "ERROR_PIPE_CONNECTED"),
            Map.entry(ERROR_PIPE_NOT_CONNECTED(), "ERROR_PIPE_NOT_CONNECTED"),
            Map.entry(ERROR_MORE_DATA(), "ERROR_MORE_DATA"),
            Map.entry(ERROR_SEM_TIMEOUT(), "ERROR_SEM_TIMEOUT"),
            Map.entry(ERROR_OPERATION_ABORTED(), "ERROR_OPERATION_ABORTED"),
            Map.entry(ERROR_IO_INCOMPLETE(), "ERROR_IO_INCOMPLETE"),
            Map.entry(ERROR_COMMITMENT_LIMIT(), "ERROR_COMMITMENT_LIMIT"));

    /** The Winsock errors the backend meets. */
    private static final Map<Integer, String> SOCKET_NAMES = Map.ofEntries(
            Map.entry(WSAEWOULDBLOCK(), "WSAEWOULDBLOCK"),
            Map.entry(WSAEINPROGRESS(), "WSAEINPROGRESS"),
            Map.entry(WSAECONNREFUSED(), "WSAECONNREFUSED"),
            Map.entry(WSAECONNRESET(), "WSAECONNRESET"),
            Map.entry(WSAECONNABORTED(), "WSAECONNABORTED"),
            Map.entry(WSAENOTSOCK(), "WSAENOTSOCK"),
            Map.entry(WSAENOTCONN(), "WSAENOTCONN"),
            Map.entry(WSAEADDRINUSE(), "WSAEADDRINUSE"));

    private WindowsErrors() {
    }

    /**
     * {@return the exception for the Winsock call {@code call} having failed with {@code error}
     * ({@code WSAGetLastError})}: a refused connection is a {@link java.net.ConnectException}, a
     * reset or aborted one an {@link EOFException}, an address in use a
     * {@link java.net.BindException}, the rest an {@link OsException}
     */
    static IOException socketException(String call, int error) {
        String name = SOCKET_NAMES.getOrDefault(error, "WSA_" + error);
        String message = call + " failed: " + name + " (" + error + ")";
        if (error == WSAECONNREFUSED()) {
            return new java.net.ConnectException(message);
        }
        if (error == WSAECONNRESET() || error == WSAECONNABORTED()) {
            return new EOFException(message);
        }
        if (error == WSAEADDRINUSE()) {
            return new java.net.BindException(message);
        }
        return new OsException(message, name, error);
    }

    /** {@return the error's name as winerror.h spells it, or {@code "ERROR_<n>"} for one not listed} */
    static String name(int error) {
        return NAMES.getOrDefault(error, "ERROR_" + Integer.toUnsignedString(error));
    }

    /**
     * {@return the exception for {@code call} having failed with {@code error}}
     *
     * @param call  the call and its telling arguments
     * @param error the captured {@code GetLastError} value
     */
    static IOException exception(String call, int error) {
        String message = call + " failed: " + name(error) + " (" + Integer.toUnsignedString(error) + ")";
        if (error == ERROR_FILE_NOT_FOUND() || error == ERROR_PATH_NOT_FOUND()) {
            return new NoSuchFileException(call, null, message);
        }
        if (error == ERROR_ALREADY_EXISTS() || error == ERROR_FILE_EXISTS()) {
            return new FileAlreadyExistsException(call, null, message);
        }
        if (error == ERROR_ACCESS_DENIED()) {
            return new AccessDeniedException(call, null, message);
        }
        if (error == ERROR_BROKEN_PIPE() || error == ERROR_NO_DATA() || error == ERROR_PIPE_NOT_CONNECTED()) {
            return new EOFException(message);
        }
        return new OsException(message, name(error), error);
    }
}
