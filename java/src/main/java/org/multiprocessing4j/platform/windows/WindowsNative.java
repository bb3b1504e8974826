package org.multiprocessing4j.platform.windows;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one call shape of this backend: a downcall built from a generated binding's
 * {@code X$address()} and {@code X$descriptor()} with
 * {@link Linker.Option#captureCallState captureCallState("GetLastError")}, so the error a failing
 * call leaves is read from the calling thread's capture buffer right after the call (the
 * generated handles do not capture it, and a separate {@code GetLastError} downcall could see a
 * value the JVM itself set in between). The failure is translated by {@link WindowsErrors}.
 * Thread-safe: the capture buffer is per thread.
 *
 * <p>Loaded only on Windows: the capture layout has a {@code GetLastError} member only there.
 * Unproven (compiled, never run: see the package comment).
 */
final class WindowsNative {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle LAST_ERROR =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("GetLastError"));
    private static final Linker.Option CAPTURE_LAST_ERROR = Linker.Option.captureCallState("GetLastError");
    private static final VarHandle WSA_LAST_ERROR =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("WSAGetLastError"));
    private static final Linker.Option CAPTURE_WSA_ERROR = Linker.Option.captureCallState("WSAGetLastError");
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private WindowsNative() {
    }

    /**
     * {@return a downcall handle for {@code address} whose first parameter is the capture buffer}
     *
     * @param address    a binding's {@code X$address()}
     * @param descriptor its {@code X$descriptor()}
     */
    static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, CAPTURE_LAST_ERROR);
    }

    /**
     * {@return a downcall handle for a Winsock function at {@code address} whose first parameter
     * is the capture buffer, capturing {@code WSAGetLastError}}
     */
    static MethodHandle capturingSocket(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, CAPTURE_WSA_ERROR);
    }

    /** {@return the {@code WSAGetLastError} value the last socket call with {@code state} captured} */
    static int lastSocketError(MemorySegment state) {
        return (int) WSA_LAST_ERROR.get(state, 0L);
    }

    /** {@return the native pointer a handle's value is} */
    static MemorySegment pointer(org.multiprocessing4j.platform.Handle handle) {
        return MemorySegment.ofAddress(handle.value());
    }

    /** {@return the handle a native pointer is} */
    static org.multiprocessing4j.platform.Handle handle(MemorySegment pointer) {
        return org.multiprocessing4j.platform.Handle.of(pointer.address());
    }

    /** {@return whether {@code h} is {@code NULL} or {@code INVALID_HANDLE_VALUE}, a failed call's result} */
    static boolean invalid(MemorySegment h) {
        return h.address() == 0 || h.address() == -1;
    }

    /** {@return this thread's capture buffer, the first argument of every {@link #capturing} handle} */
    static MemorySegment state() {
        return STATE.get();
    }

    /** {@return the {@code GetLastError} value the last call with {@code state} captured} */
    static int lastError(MemorySegment state) {
        return (int) LAST_ERROR.get(state, 0L);
    }

    /**
     * {@return the exception for a failed call, from the error it captured}
     *
     * @param call  the call and its telling arguments, as the message should name it
     * @param state the buffer the call captured into
     */
    static java.io.IOException failure(String call, MemorySegment state) {
        return WindowsErrors.exception(call, lastError(state));
    }

    /** {@return {@code t} rethrown as it is if unchecked, else wrapped: a downcall throws nothing checked} */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
