package org.multiprocessing4j.platform.windows;

import static java.nio.charset.StandardCharsets.UTF_16LE;
import static org.multiprocessing4j.platform.windows.WindowsNative.pointer;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.windows.WindowsHandles.Kind;
import org.multiprocessing4j.platform.windows.bindings.OVERLAPPED;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * Pipes and the I/O on them. Both {@code pipe()} and {@code socketPair()} are named pipes, as
 * CPython's {@code multiprocessing.connection.Pipe} on Windows: {@code CreateNamedPipeW} with a
 * fresh name ({@link WindowsPipeNames}), {@code FILE_FLAG_FIRST_PIPE_INSTANCE}, one instance,
 * byte mode, {@code PIPE_REJECT_REMOTE_CLIENTS} and the current-user-only DACL
 * ({@link WindowsSecurity}); the other end is opened at once with {@code CreateFileW} and the
 * server end connected ({@code ConnectNamedPipe}, which reports {@code ERROR_PIPE_CONNECTED}).
 * Every end is overlapped ({@code FILE_FLAG_OVERLAPPED}), so that any number of threads may read
 * and write one handle and {@code CancelIoEx} can wake them. Why named pipes rather than
 * {@code AF_UNIX} socket pairs: Windows has no {@code socketpair}; a pair of {@code AF_UNIX}
 * sockets needs a listener on a file, whose directory must be private, and a connect/accept per
 * pair (three handles, a file and a directory for every connection); a pipe pair is two calls,
 * needs no file system, works on every Windows 10 and is what CPython uses, whose behaviour
 * ({@code ERROR_BROKEN_PIPE} as end of stream) the probes show. Sockets remain for
 * {@code Listener}/{@code Client} ({@link WindowsSockets}).
 *
 * <p>Blocking I/O on an overlapped handle: {@code ReadFile}/{@code WriteFile} with an
 * {@code OVERLAPPED} and a fresh manual-reset event per call, then
 * {@code GetOverlappedResult(wait = TRUE)} if the call is pending. The end of stream is
 * {@code ERROR_BROKEN_PIPE} (the other end closed, or its process died); a read cancelled by
 * {@link #shutdown} also reads as end of stream. Thread-safe; stateless but for the handle kinds.
 * Loaded only on Windows; unproven (see the package comment).
 */
final class WindowsIo {
    /** Pipe buffer size in each direction, as a socket's default buffer here. */
    static final int BUFFER = 64 * 1024;

    static final MethodHandle PEEK =
            WindowsNative.capturing(Win32.PeekNamedPipe$address(), Win32.PeekNamedPipe$descriptor());
    private static final MethodHandle CREATE_PIPE =
            WindowsNative.capturing(Win32.CreateNamedPipeW$address(), Win32.CreateNamedPipeW$descriptor());
    private static final MethodHandle CREATE_FILE =
            WindowsNative.capturing(Win32.CreateFileW$address(), Win32.CreateFileW$descriptor());
    private static final MethodHandle CONNECT =
            WindowsNative.capturing(Win32.ConnectNamedPipe$address(), Win32.ConnectNamedPipe$descriptor());
    private static final MethodHandle READ =
            WindowsNative.capturing(Win32.ReadFile$address(), Win32.ReadFile$descriptor());
    private static final MethodHandle WRITE =
            WindowsNative.capturing(Win32.WriteFile$address(), Win32.WriteFile$descriptor());
    private static final MethodHandle RESULT =
            WindowsNative.capturing(Win32.GetOverlappedResult$address(), Win32.GetOverlappedResult$descriptor());
    private static final MethodHandle CREATE_EVENT =
            WindowsNative.capturing(Win32.CreateEventW$address(), Win32.CreateEventW$descriptor());

    private WindowsIo() {
    }

    /**
     * Creates a pipe pair.
     *
     * @param duplex both ends read and write ({@code socketPair}); else {@code {read end, write end}}
     * @return two handles, not inheritable
     * @throws IOException if the OS refuses
     */
    static Handle[] pipe(boolean duplex, int pid) throws IOException {
        String name = WindowsPipeNames.next(pid);
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment wide = scratch.allocateFrom(name, UTF_16LE);
            int open = (duplex ? Win32.PIPE_ACCESS_DUPLEX() : Win32.PIPE_ACCESS_INBOUND())
                    | Win32.FILE_FLAG_OVERLAPPED() | Win32.FILE_FLAG_FIRST_PIPE_INSTANCE();
            int mode = Win32.PIPE_TYPE_BYTE() | Win32.PIPE_READMODE_BYTE() | Win32.PIPE_WAIT()
                    | Win32.PIPE_REJECT_REMOTE_CLIENTS();
            MemorySegment server = (MemorySegment) CREATE_PIPE.invokeExact(state, wide, open, mode, 1, BUFFER, BUFFER, 0,
                    WindowsSecurity.currentUserOnly());
            if (WindowsNative.invalid(server)) {
                throw WindowsNative.failure("CreateNamedPipeW(\"" + name + "\")", state);
            }
            Handle serverEnd = WindowsHandles.register(WindowsNative.handle(server), Kind.PIPE);
            try {
                int access = duplex ? Win32.GENERIC_READ() | Win32.GENERIC_WRITE()
                        : Win32.GENERIC_WRITE() | Win32.FILE_READ_ATTRIBUTES();
                MemorySegment client = (MemorySegment) CREATE_FILE.invokeExact(state, wide, access, 0,
                        MemorySegment.NULL, Win32.OPEN_EXISTING(), Win32.FILE_FLAG_OVERLAPPED(), MemorySegment.NULL);
                if (WindowsNative.invalid(client)) {
                    throw WindowsNative.failure("CreateFileW(\"" + name + "\")", state);
                }
                Handle clientEnd = WindowsHandles.register(WindowsNative.handle(client), Kind.PIPE);
                try {
                    connect(server, name, scratch);
                } catch (IOException | RuntimeException | Error e) {
                    WindowsHandles.closeQuietly(clientEnd);
                    throw e;
                }
                return new Handle[] {serverEnd, clientEnd};
            } catch (IOException | RuntimeException | Error e) {
                WindowsHandles.closeQuietly(serverEnd);
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** Completes the server end's connection; the client end is already open. */
    private static void connect(MemorySegment server, String name, Arena scratch) throws Throwable {
        MemorySegment state = WindowsNative.state();
        MemorySegment ov = OVERLAPPED.allocate(scratch);
        MemorySegment event = event();
        try {
            OVERLAPPED.hEvent(ov, event);
            if ((int) CONNECT.invokeExact(state, server, ov) != 0) {
                return;
            }
            int error = WindowsNative.lastError(state);
            if (error == Win32.ERROR_PIPE_CONNECTED()) {
                return;
            }
            if (error != Win32.ERROR_IO_PENDING()) {
                throw WindowsErrors.exception("ConnectNamedPipe(\"" + name + "\")", error);
            }
            MemorySegment count = scratch.allocate(ValueLayout.JAVA_INT);
            if ((int) RESULT.invokeExact(state, server, ov, count, 1) == 0) {
                throw WindowsNative.failure("ConnectNamedPipe(\"" + name + "\") completion", state);
            }
        } finally {
            Win32.CloseHandle(event);
        }
    }

    /** {@return a new manual-reset event, not signalled, for one overlapped call} */
    static MemorySegment event() throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            MemorySegment e = (MemorySegment) CREATE_EVENT.invokeExact(state, MemorySegment.NULL, 1, 0, MemorySegment.NULL);
            if (e.address() == 0) {
                throw WindowsNative.failure("CreateEventW", state);
            }
            return e;
        } catch (IOException | RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Reads up to {@code length} bytes, blocking for at least one.
     *
     * @return bytes read; 0 at end of stream (or after {@link #shutdown})
     */
    static long read(Handle handle, MemorySegment buffer, long length) throws IOException {
        if (WindowsHandles.kind(handle) == Kind.SOCKET) {
            return WindowsSockets.recv(handle, buffer, length, 0);
        }
        return transfer(READ, "ReadFile", handle, buffer, (int) Math.min(length, Integer.MAX_VALUE));
    }

    /** Writes all {@code length} bytes. */
    static void writeFully(Handle handle, MemorySegment buffer, long length) throws IOException {
        if (WindowsHandles.kind(handle) == Kind.SOCKET) {
            WindowsSockets.sendFully(handle, buffer, length);
            return;
        }
        long done = 0;
        while (done < length) {
            int n = (int) Math.min(length - done, Integer.MAX_VALUE);
            long wrote = transfer(WRITE, "WriteFile", handle, buffer.asSlice(done, n), n);
            if (wrote <= 0) {
                throw new EOFException("WriteFile(" + handle + "): the pipe is closed");
            }
            done += wrote;
        }
    }

    /**
     * One overlapped {@code ReadFile} or {@code WriteFile}, waited for.
     *
     * @return bytes moved; 0 for a read at end of stream (a write then throws {@link EOFException})
     */
    private static long transfer(MethodHandle call, String name, Handle handle, MemorySegment buffer, int length)
            throws IOException {
        boolean write = call == WRITE;
        MemorySegment h = pointer(handle);
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment ov = OVERLAPPED.allocate(scratch);
            MemorySegment count = scratch.allocate(ValueLayout.JAVA_INT);
            MemorySegment event = event();
            try {
                OVERLAPPED.hEvent(ov, event);
                int ok = (int) call.invokeExact(state, h, buffer, length, MemorySegment.NULL, ov);
                if (ok == 0) {
                    int error = WindowsNative.lastError(state);
                    if (error != Win32.ERROR_IO_PENDING()) {
                        return endOrFail(write, name, handle, error);
                    }
                }
                if ((int) RESULT.invokeExact(state, h, ov, count, 1) == 0) {
                    return endOrFail(write, name, handle, WindowsNative.lastError(state));
                }
                return Integer.toUnsignedLong(count.get(ValueLayout.JAVA_INT, 0));
            } finally {
                Win32.CloseHandle(event);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    private static long endOrFail(boolean write, String name, Handle handle, int error) throws IOException {
        boolean end = error == Win32.ERROR_BROKEN_PIPE() || error == Win32.ERROR_PIPE_NOT_CONNECTED()
                || error == Win32.ERROR_NO_DATA() || error == Win32.ERROR_OPERATION_ABORTED();
        if (end && !write) {
            return 0;
        }
        if (end) {
            throw new EOFException(name + "(" + handle + ") failed: the reading end is closed ("
                    + WindowsErrors.name(error) + ")");
        }
        throw WindowsErrors.exception(name + "(" + handle + ")", error);
    }

    /**
     * {@return the bytes a read of the pipe {@code handle} would return now: at least 1 when data
     * is there, 0 when there is none, -1 at end of stream (or on an error the read will report)}
     * ({@code PeekNamedPipe})
     */
    static long available(Handle handle) {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment avail = scratch.allocate(ValueLayout.JAVA_INT);
            int ok = (int) PEEK.invokeExact(state, pointer(handle), MemorySegment.NULL, 0, MemorySegment.NULL, avail,
                    MemorySegment.NULL);
            return ok == 0 ? -1 : Integer.toUnsignedLong(avail.get(ValueLayout.JAVA_INT, 0));
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Copies up to {@code length} bytes that a read would return now into {@code into}, without
     * consuming them ({@code PeekNamedPipe}, or {@code recv(MSG_PEEK)} on a socket).
     *
     * @return bytes copied; 0 if none are there or at end of stream
     */
    static long peek(Handle handle, MemorySegment into, long length) throws IOException {
        if (WindowsHandles.kind(handle) == Kind.SOCKET) {
            return WindowsSockets.peek(handle, into, length);
        }
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment read = scratch.allocate(ValueLayout.JAVA_INT);
            int ok = (int) PEEK.invokeExact(state, pointer(handle), into, (int) Math.min(length, Integer.MAX_VALUE),
                    read, MemorySegment.NULL, MemorySegment.NULL);
            if (ok == 0) {
                int error = WindowsNative.lastError(state);
                if (error == Win32.ERROR_BROKEN_PIPE() || error == Win32.ERROR_PIPE_NOT_CONNECTED()) {
                    return 0;
                }
                throw WindowsErrors.exception("PeekNamedPipe(" + handle + ")", error);
            }
            return Integer.toUnsignedLong(read.get(ValueLayout.JAVA_INT, 0));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Reads without blocking.
     *
     * @return bytes read; 0 at end of stream; -1 if nothing is there now
     */
    static long readNow(Handle handle, MemorySegment buffer, long length) throws IOException {
        if (WindowsHandles.kind(handle) == Kind.SOCKET) {
            return WindowsSockets.recvNow(handle, buffer, length);
        }
        long avail = available(handle);
        if (avail == 0) {
            return -1;
        }
        return read(handle, buffer, avail < 0 ? length : Math.min(length, avail));
    }

    /**
     * Ends the I/O of {@code handle}: a socket is shut down both ways; on a pipe, reads and writes
     * of this process in flight are cancelled ({@code CancelIoEx}, they read as end of stream) and
     * the server end is disconnected ({@code DisconnectNamedPipe}: the other end sees end of
     * stream; on a client end it fails and is ignored).
     */
    static void shutdown(Handle handle) throws IOException {
        if (WindowsHandles.kind(handle) == Kind.SOCKET) {
            WindowsSockets.shutdown(handle);
            return;
        }
        if (WindowsHandles.kind(handle) == Kind.PIPE) {
            Win32.CancelIoEx(pointer(handle), MemorySegment.NULL);
            Win32.DisconnectNamedPipe(pointer(handle));
        }
    }
}
