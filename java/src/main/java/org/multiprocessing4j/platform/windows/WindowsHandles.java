package org.multiprocessing4j.platform.windows;

import static org.multiprocessing4j.platform.windows.WindowsNative.pointer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.ConcurrentHashMap;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * What kind of object a handle names, and the calls every kind shares: close, duplicate,
 * inheritance. Windows has one handle type for everything but treats sockets apart
 * ({@code closesocket}, {@code recv}/{@code send}, {@code WSAPoll}), and pipes are read and
 * waited on differently from waitable objects (processes, events): the seam's {@link Handle} is
 * a bare value, so this class remembers the kind of every handle the backend made or received
 * ({@link #register}), and asks the OS for one it does not know (an inherited handle:
 * {@code GetFileType}, then {@code PeekNamedPipe}, which only a pipe accepts). Thread-safe (a
 * concurrent map); a closed handle is forgotten, so a value the OS reuses is asked again.
 * Loaded only on Windows; unproven (see the package comment).
 */
final class WindowsHandles {
    /** The kinds the backend tells apart. */
    enum Kind {
        /** An end of a named pipe: {@code ReadFile}/{@code WriteFile}, {@code PeekNamedPipe}. */
        PIPE,
        /** A Winsock socket: {@code recv}/{@code send}, {@code WSAPoll}, {@code closesocket}. */
        SOCKET,
        /** Anything else: waitable objects (a process is signalled when it ends), mappings. */
        OBJECT
    }

    private static final ConcurrentHashMap<Long, Kind> KINDS = new ConcurrentHashMap<>();
    private static final MethodHandle DUPLICATE =
            WindowsNative.capturing(Win32.DuplicateHandle$address(), Win32.DuplicateHandle$descriptor());
    private static final MethodHandle CLOSE =
            WindowsNative.capturing(Win32.CloseHandle$address(), Win32.CloseHandle$descriptor());
    private static final MethodHandle SET_INFORMATION =
            WindowsNative.capturing(Win32.SetHandleInformation$address(), Win32.SetHandleInformation$descriptor());

    private WindowsHandles() {
    }

    /** Records that {@code handle} is of {@code kind}; returns it. */
    static Handle register(Handle handle, Kind kind) {
        KINDS.put(handle.value(), kind);
        return handle;
    }

    /** {@return the kind of {@code handle}, asked of the OS the first time} */
    static Kind kind(Handle handle) {
        Kind k = KINDS.get(handle.value());
        return k != null ? k : KINDS.computeIfAbsent(handle.value(), v -> probe(handle));
    }

    private static Kind probe(Handle handle) {
        if (Win32.GetFileType(pointer(handle)) != Win32.FILE_TYPE_PIPE()) {
            return Kind.OBJECT;
        }
        // sockets report FILE_TYPE_PIPE too; getsockname tells them apart (WSAENOTSOCK on a pipe)
        return WindowsSockets.isSocket(handle) ? Kind.SOCKET : Kind.PIPE;
    }

    /**
     * Closes {@code handle} as its kind requires ({@code closesocket} or {@code CloseHandle}) and
     * forgets it.
     *
     * @throws IOException if the OS reports an error (the handle is gone all the same)
     */
    static void close(Handle handle) throws IOException {
        Kind k = KINDS.remove(handle.value());
        if (k == null) {
            k = probe(handle);
        }
        if (k == Kind.SOCKET) {
            WindowsSockets.closeSocket(handle);
            return;
        }
        MemorySegment state = WindowsNative.state();
        try {
            if ((int) CLOSE.invokeExact(state, pointer(handle)) == 0) {
                throw WindowsNative.failure("CloseHandle(" + handle + ")", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /** Closes {@code handle}, ignoring any error (clean-up after a failure). */
    static void closeQuietly(Handle handle) {
        try {
            close(handle);
        } catch (IOException | RuntimeException ignored) {
            // clean-up only: the first failure is the one reported
        }
    }

    /**
     * {@return a new handle in this process on what {@code handle} names, of the same kind}
     * ({@code DuplicateHandle} with {@code DUPLICATE_SAME_ACCESS})
     *
     * @param inheritable whether children created with {@code bInheritHandles} may inherit it
     *     (only for the duplicates a spawn lists, closed right after)
     * @throws IOException if the OS refuses
     */
    static Handle duplicate(Handle handle, boolean inheritable) throws IOException {
        MemorySegment self = Win32.GetCurrentProcess();
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment out = scratch.allocate(ValueLayout.ADDRESS);
            if ((int) DUPLICATE.invokeExact(state, self, pointer(handle), self, out, 0, inheritable ? 1 : 0,
                    Win32.DUPLICATE_SAME_ACCESS()) == 0) {
                throw WindowsNative.failure("DuplicateHandle(" + handle + ")", state);
            }
            return register(WindowsNative.handle(out.get(ValueLayout.ADDRESS, 0)), kind(handle));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Moves handle {@code value} of process {@code source} (a handle with
     * {@code PROCESS_DUP_HANDLE}) into this process, closing it in the source
     * ({@code DUPLICATE_CLOSE_SOURCE}); the new handle is not inheritable.
     *
     * @throws IOException if the OS refuses (for example the source process has ended)
     */
    static Handle takeFrom(MemorySegment source, long value, int sourcePid) throws IOException {
        MemorySegment state = WindowsNative.state();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment out = scratch.allocate(ValueLayout.ADDRESS);
            if ((int) DUPLICATE.invokeExact(state, source, MemorySegment.ofAddress(value), Win32.GetCurrentProcess(),
                    out, 0, 0, Win32.DUPLICATE_SAME_ACCESS() | Win32.DUPLICATE_CLOSE_SOURCE()) == 0) {
                throw WindowsNative.failure("DuplicateHandle(process " + sourcePid + ", handle " + value
                        + ", DUPLICATE_CLOSE_SOURCE)", state);
            }
            Handle h = WindowsNative.handle(out.get(ValueLayout.ADDRESS, 0));
            KINDS.remove(h.value());   // a value reused: ask again
            return h;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }

    /**
     * Makes {@code handle} inheritable or not ({@code SetHandleInformation(HANDLE_FLAG_INHERIT)}).
     *
     * @throws IOException if the OS refuses (for example the handle is not open)
     */
    static void setInheritable(Handle handle, boolean inheritable) throws IOException {
        MemorySegment state = WindowsNative.state();
        try {
            if ((int) SET_INFORMATION.invokeExact(state, pointer(handle), Win32.HANDLE_FLAG_INHERIT(),
                    inheritable ? Win32.HANDLE_FLAG_INHERIT() : 0) == 0) {
                throw WindowsNative.failure("SetHandleInformation(" + handle + ", HANDLE_FLAG_INHERIT)", state);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
    }
}
