package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.bindings.Libc.C_LONG;
import static org.multiprocessing4j.platform.linux.bindings.Libc.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.function.Supplier;
import org.multiprocessing4j.platform.linux.bindings.Libc;

/**
 * The one shape of a failing downcall, for the capability classes of this backend
 * ({@link LinuxMemory}, {@link LinuxLiveness}, …): a per-thread errno capture segment, downcall
 * handles that capture errno, {@code EINTR} retried, a failure translated by {@link Errno} with the
 * call spelled out, and a {@code Throwable} from {@code invokeExact} rethrown unchecked.
 */
final class LinuxCalls {
    static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private LinuxCalls() {
    }

    /**
     * The {@code syscall(2)} shape of {@code LinuxPlatform} ({@code long syscall(long, long,
     * void *, long, long, long, long)}, errno captured): the same descriptor and options share
     * the linkage a JVM already made for it. The second argument is a pointer; an integer goes
     * there as {@link #asPointer}.
     */
    static final class Sys {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.syscall.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG,
                        C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

        private Sys() {
        }
    }

    /** {@return an integer argument in the pointer slot of {@link Sys}} */
    static MemorySegment asPointer(long value) {
        return MemorySegment.ofAddress(value);
    }

    /** {@return a downcall handle that captures errno} */
    static MethodHandle downcall(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, Linker.Option.captureCallState("errno"));
    }

    /** {@return this thread's errno capture segment, to pass as a handle's first argument} */
    static MemorySegment state() {
        return STATE.get();
    }

    /** {@return the errno captured in {@code state}} */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** One downcall, given this thread's capture segment; returns the call's result. */
    @FunctionalInterface
    interface Call {
        /** Makes the call. @throws Throwable whatever {@code invokeExact} throws */
        long invoke(MemorySegment state) throws Throwable;
    }

    /**
     * Makes {@code call} until it does not fail with {@code EINTR}.
     *
     * @param what the call as a message spells it, for example {@code shm_unlink("/x")}
     * @return its result, not negative
     * @throws IOException if it fails (a negative result), translated by {@link Errno}
     */
    static long retrying(Call call, Supplier<String> what) throws IOException {
        MemorySegment st = STATE.get();
        for (;;) {
            long r = invoke(call, st);
            if (r >= 0) {
                return r;
            }
            if (errno(st) != Errno.EINTR) {
                throw Errno.exception(what.get(), errno(st));
            }
        }
    }

    /**
     * Makes {@code call} once ({@code EINTR} is a failure too: for calls that never report it or
     * must not be repeated).
     *
     * @return its result, not negative
     * @throws IOException if it fails (a negative result), translated by {@link Errno}
     */
    static long once(Call call, Supplier<String> what) throws IOException {
        MemorySegment st = STATE.get();
        long r = invoke(call, st);
        if (r < 0) {
            throw Errno.exception(what.get(), errno(st));
        }
        return r;
    }

    private static long invoke(Call call, MemorySegment st) {
        try {
            return call.invoke(st);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
