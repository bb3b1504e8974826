package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.linux.bindings.Libc.C_INT;
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
import org.multiprocessing4j.platform.linux.bindings.Libc;

/**
 * How the Linux backend calls the C library: downcall handles that capture {@code errno}, the
 * per-thread capture state, and the one shape every call has — invoke, retry {@code EINTR},
 * turn a failure into the exception {@link Errno} chooses — written once here instead of at each
 * call. Shared by the capability classes ({@link LinuxIo}, {@link LinuxSockets},
 * {@link LinuxProcesses}, …) that {@link LinuxPlatform} delegates to.
 *
 * <p>Hot paths (read, write, poll) keep their loops explicit and allocation-free; every other
 * call goes through {@link #orThrow} or {@link #retrying} with a lambda.
 */
final class Calls {
    static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** The errno capture state of each thread, allocated once per thread. */
    static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private Calls() {
    }

    /**
     * {@code long syscall(long number, long a1, void *a2, long a3, long a4, long a5, long a6)}:
     * the one downcall shape of the calls a child makes before its first message (read, write,
     * recvfrom, sendto, prctl, getpid, getppid) and as it ends (shutdown, close). A JVM links
     * every distinct shape on its first use (a stub and a chain of method handles, ~7-10 ms
     * each, which no JDK 25 archive can hold): one shape instead of five made a spawned child
     * reach its first message ~20 ms sooner (86-93 ms against 107-112 ms, measured side by
     * side; bench/RESULTS.md: spawn + archive 110 → 99 ms).
     *
     * <p>ABI: {@code syscall} is variadic from its second parameter, and on x86_64 and aarch64
     * Linux a variadic pointer or integer argument travels in the next general register either
     * way, so the kernel gets exactly what it would from {@code read(fd, buf, n)}. The buffer is
     * the second argument of every call that has one, and it is a pointer here — not a raw
     * address — so the FFM keeps its segment alive and open for the call, as with a typed
     * {@code read}. Calls whose second argument is an integer pass it as the address of a
     * zero-length segment ({@link #asPointer}).
     */
    static final class Sys {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.syscall.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG,
                        C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

        private Sys() {
        }
    }

    /**
     * {@code int fcntl(int fd, int cmd, ...)} in the shape of {@link Sys}, for the one fcntl a
     * spawned child makes before its task runs (close-on-exec on its inherited descriptors):
     * the same function descriptor and options reuse the linkage {@code Sys} already paid for,
     * where a typed {@code fcntl} shape cost a starting child ~15 ms. The same ABI argument
     * holds: the arguments travel in the first general registers, named or variadic, the
     * extra ones are ignored, and the result is the low 32 bits of the return register.
     */
    static final class FcntlAsSys {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.fcntl.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG,
                        C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

        private FcntlAsSys() {
        }
    }

    /** {@code int fcntl(int fd, int cmd, int arg)}. */
    static final class FcntlInt {
        static final MethodHandle MH = LINKER.downcallHandle(Libc.fcntl.address(),
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT), Linker.Option.firstVariadicArg(2),
                Linker.Option.captureCallState("errno"));

        private FcntlInt() {
        }
    }

    /** {@return an integer argument in the pointer slot of {@link Sys}} */
    static MemorySegment asPointer(long value) {
        return MemorySegment.ofAddress(value);
    }

    /** {@return a downcall handle for {@code address} that captures errno} */
    static MethodHandle errno(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, Linker.Option.captureCallState("errno"));
    }

    /** {@return the errno a call captured into {@code state}} */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /**
     * {@return what to throw for a {@link Throwable} out of {@code invokeExact}}: runtime
     * exceptions as they are, errors thrown at once, anything else (never expected from a
     * downcall) wrapped.
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** One downcall: its result, negative on failure with errno in {@code state}. */
    @FunctionalInterface
    interface Call {
        /**
         * Makes the call.
         *
         * @param state the errno capture state to pass
         * @return the call's result, widened
         * @throws Throwable whatever {@code invokeExact} throws
         */
        long invoke(MemorySegment state) throws Throwable;
    }

    /**
     * Makes {@code call}, again while it fails with {@code EINTR}.
     *
     * @return its result; negative on failure, with errno in {@link #STATE}'s segment
     */
    static long retrying(Call call) {
        MemorySegment st = STATE.get();
        for (;;) {
            long r;
            try {
                r = call.invoke(st);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (r >= 0 || errno(st) != Errno.EINTR) {
                return r;
            }
        }
    }

    /**
     * Makes {@code call}, again while it fails with {@code EINTR}; any other failure throws.
     *
     * @param what the call and its arguments, for the message
     * @return its (non-negative) result
     * @throws IOException the exception {@link Errno} chooses for its errno
     */
    static long orThrow(String what, Call call) throws IOException {
        long r = retrying(call);
        if (r < 0) {
            throw Errno.exception(what, lastErrno());
        }
        return r;
    }

    /**
     * Makes {@code call} once, without retrying {@code EINTR} (for {@code close}, after which the
     * descriptor is gone whatever the result).
     *
     * @return its result; negative on failure, with errno in {@link #STATE}'s segment
     */
    static long once(Call call) {
        try {
            return call.invoke(STATE.get());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@return the errno of this thread's last call made through this class} */
    static int lastErrno() {
        return errno(STATE.get());
    }

    /**
     * Runs {@code body} (which allocates its arguments in a confined arena and calls
     * {@code invokeExact}), passing {@link IOException}s and runtime exceptions through and
     * translating anything else as {@link #rethrow} does.
     *
     * @throws IOException what {@code body} throws
     */
    static <T> T inArena(ArenaBody<T> body) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return body.run(a);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A body for {@link #inArena}. */
    @FunctionalInterface
    interface ArenaBody<T> {
        /**
         * Runs with a confined arena that closes afterwards.
         *
         * @throws Throwable anything; see {@link #inArena}
         */
        T run(Arena arena) throws Throwable;
    }
}
