package org.multiprocessing4j.platform.linux;

import static org.multiprocessing4j.platform.posix.bindings.Posix.C_INT;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_LONG;
import static org.multiprocessing4j.platform.posix.bindings.Posix.C_POINTER;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.platform.linux.bindings.Libc;
import org.multiprocessing4j.platform.posix.Native;
import org.multiprocessing4j.platform.posix.PosixErrno;
import org.multiprocessing4j.platform.posix.bindings.timespec;

/**
 * The Linux wait channel: a shared (not {@code FUTEX_PRIVATE_FLAG}) futex on each word. The
 * kernel keys a shared futex by the word's page and offset in the mapped file, so processes that
 * map the region at different addresses meet on the same key, and it needs no state in the
 * region: {@link LinuxPlatform#waitChannelBytes()} is 0 and one instance serves every region.
 *
 * <p>{@code EAGAIN} (the word differed) and {@code EINTR} (a signal) return {@code true}: the
 * caller re-checks and, if it must, sleeps again for its remaining time; only
 * {@code ETIMEDOUT} reports a timeout, so a reported timeout is never early.
 */
final class LinuxWaitChannel implements WaitChannel {
    private static final ThreadLocal<MemorySegment> TIMEOUT =
            ThreadLocal.withInitial(() -> timespec.allocate(Arena.ofAuto()));
    private static final int FUTEX_WAIT = Libc.FUTEX_WAIT();
    private static final int FUTEX_WAKE = Libc.FUTEX_WAKE();

    /** {@code long syscall(SYS_futex, int *uaddr, int op, int val, timespec *t, int *u2, int v3)}. */
    private static final class SyscallFutex {
        static final MethodHandle MH = Linker.nativeLinker().downcallHandle(Libc.syscall.address(),
                FunctionDescriptor.of(C_LONG, C_LONG, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_INT),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    private final long sysFutex;

    LinuxWaitChannel(LinuxArch arch) {
        this.sysFutex = arch.syscalls().futex();
    }

    @Override
    public boolean await(MemorySegment word, int expected, long timeoutNanos) throws IOException {
        MemorySegment ts = MemorySegment.NULL;
        if (timeoutNanos >= 0) {
            ts = TIMEOUT.get();
            timespec.tv_sec(ts, timeoutNanos / 1_000_000_000L);
            timespec.tv_nsec(ts, timeoutNanos % 1_000_000_000L);
        }
        MemorySegment st = Native.state();
        long r = futex(st, word, FUTEX_WAIT, expected, ts);
        if (r == 0) {
            return true;
        }
        int e = Native.errno(st);
        if (e == PosixErrno.EAGAIN || e == PosixErrno.EINTR) {
            return true; // value differed, or a signal: the caller re-checks
        }
        if (e == PosixErrno.ETIMEDOUT) {
            return false;
        }
        throw PosixErrno.exception("futex(FUTEX_WAIT)", e);
    }

    @Override
    public int wake(MemorySegment word, int count) throws IOException {
        MemorySegment st = Native.state();
        long r = futex(st, word, FUTEX_WAKE, count, MemorySegment.NULL);
        if (r < 0) {
            throw PosixErrno.exception("futex(FUTEX_WAKE)", Native.errno(st));
        }
        return (int) r;
    }

    private long futex(MemorySegment st, MemorySegment word, int op, int value, MemorySegment ts) {
        try {
            return (long) SyscallFutex.MH.invokeExact(st, sysFutex, word, op, value, ts,
                    MemorySegment.NULL, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
