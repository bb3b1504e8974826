package org.multiprocessing4j.platform.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.function.Supplier;

/**
 * The one shape of every failing POSIX call in this backend: a downcall that captures
 * {@code errno} ({@link Linker.Option#captureCallState}), returns -1 on failure, is retried on
 * {@code EINTR}, and whose failure becomes an exception through {@link PosixErrno}. Calls that
 * return an error number instead ({@code posix_spawn*}, {@code pthread_*}) go through
 * {@link #check}. Thread-safe: the capture buffer is per thread.
 *
 * <p>Public for the Linux backend, which makes every call the same way (and adds only its
 * {@code syscall(2)} shapes, in {@code LinuxCalls}); nothing outside {@code platform.<os>} uses it.
 */
public final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    /** A downcall given the capture buffer of the calling thread; returns the C result. */
    @FunctionalInterface
    public interface Call {
        /**
         * Makes the call.
         *
         * @param state where the call stores errno (its first argument)
         * @return the C result widened to long (-1 on failure)
         * @throws Throwable whatever the method handle throws
         */
        long invoke(MemorySegment state) throws Throwable;
    }

    private Native() {
    }

    /**
     * {@return this thread's errno capture buffer} For hot loops that invoke a handle directly
     * (no lambda, no allocation) and read the errno with {@link #errno(MemorySegment)}.
     */
    public static MemorySegment state() {
        return STATE.get();
    }

    /** {@return the errno a call captured into {@code state}} */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** {@return a downcall handle that captures errno} */
    public static MethodHandle downcall(MemorySegment address, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(address, descriptor, Linker.Option.captureCallState("errno"));
    }

    /** {@return a downcall handle of a variadic function, capturing errno} */
    public static MethodHandle variadic(MemorySegment address, FunctionDescriptor descriptor, int firstVariadic) {
        return LINKER.downcallHandle(address, descriptor, Linker.Option.firstVariadicArg(firstVariadic),
                Linker.Option.captureCallState("errno"));
    }

    /**
     * Makes {@code call} until it does not fail with {@code EINTR}.
     *
     * @param what the call and its arguments, for the message (built only on failure)
     * @return the result, never negative
     * @throws IOException the translated errno if it failed
     */
    public static long retrying(Supplier<String> what, Call call) throws IOException {
        for (;;) {
            long r = attempt(call);
            if (r >= 0) {
                return r;
            }
            if ((int) -r != PosixErrno.EINTR) {
                throw PosixErrno.exception(what.get(), (int) -r);
            }
        }
    }

    /**
     * Makes {@code call} once.
     *
     * @return the result if it is not negative, else {@code -errno}
     */
    public static long attempt(Call call) {
        MemorySegment st = STATE.get();
        long r;
        try {
            r = call.invoke(st);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return r >= 0 ? r : -errno(st);
    }

    /** Throws the exception for a call that returns an error number (0 = success). */
    public static void check(String call, int result) throws IOException {
        if (result != 0) {
            throw PosixErrno.exception(call, result);
        }
    }

    /** {@return {@code t} as an unchecked exception (an {@link Error} is thrown as is)} */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /**
     * {@return {@code strings} as a NULL-terminated array of C strings ({@code argv},
     * {@code envp}), allocated with {@code a}}
     *
     * @param a where the array and the strings live
     * @param strings the strings, none containing NUL
     */
    public static MemorySegment cStrings(SegmentAllocator a, List<String> strings) {
        MemorySegment array = a.allocate(ValueLayout.ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, a.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ValueLayout.ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    /**
     * Runs {@code body} (which allocates its arguments in a confined arena and invokes handles),
     * passing {@link IOException}s and runtime exceptions through and translating anything else
     * as {@link #rethrow} does.
     *
     * @param <T> what {@code body} returns
     * @param body the calls
     * @return what {@code body} returned
     * @throws IOException what {@code body} throws
     */
    public static <T> T inArena(ArenaBody<T> body) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return body.run(a);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * A body for {@link #inArena}.
     *
     * @param <T> what it returns
     */
    @FunctionalInterface
    public interface ArenaBody<T> {
        /**
         * Runs with a confined arena that closes afterwards.
         *
         * @param arena the arena
         * @return anything
         * @throws Throwable anything; see {@link #inArena}
         */
        T run(Arena arena) throws Throwable;
    }
}
