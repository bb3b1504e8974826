package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.posix.bindings.Posix.C_LONG;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.posix.Native;

/**
 * The downcall shapes only Linux has. Everything else about a call — errno captured per thread,
 * {@code EINTR} retried, a failure translated — is the posix backend's {@link Native}, shared
 * with it.
 */
final class LinuxCalls {
    private LinuxCalls() {
    }

    /**
     * {@code long syscall(long number, long a1, void *a2, long a3, long a4, long a5, long a6)}:
     * the one downcall shape of the calls a child makes before its first message (read, write,
     * recvfrom, sendto, prctl, getpid, getppid) and as it ends (shutdown, close), and of the
     * liveness marks' openat and fcntl. A JVM links every distinct shape on its first use (a stub
     * and a chain of method handles, ~7-10 ms each, which no JDK 25 archive can hold): one shape
     * instead of five made a spawned child reach its first message ~20 ms sooner (86-93 ms
     * against 107-112 ms, measured side by side; bench/RESULTS.md: spawn + archive 110 → 99 ms).
     * That is why this backend does not inherit the posix backend's typed {@code read} and
     * {@code write}: they are as fast per call, but each costs a starting child its own link.
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
        static final MethodHandle MH = Linker.nativeLinker().downcallHandle(Libc.syscall.address(),
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
        static final MethodHandle MH = Linker.nativeLinker().downcallHandle(
                org.multiprocessing4j.platform.posix.bindings.Posix.fcntl.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG,
                        C_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

        private FcntlAsSys() {
        }
    }

    /** {@return an integer argument in the pointer slot of {@link Sys}} */
    static MemorySegment asPointer(long value) {
        return MemorySegment.ofAddress(value);
    }
}
