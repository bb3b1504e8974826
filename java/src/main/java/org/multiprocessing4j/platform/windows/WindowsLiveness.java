package org.multiprocessing4j.platform.windows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.multiprocessing4j.platform.windows.bindings.FILETIME;
import org.multiprocessing4j.platform.windows.bindings.Win32;

/**
 * Process identity and liveness on Windows, proof against pid reuse: a process is named by its
 * pid and its creation time ({@code GetProcessTimes}), which no later process with the same pid
 * can share. Thread-safe (stateless). Loaded only on Windows; unproven (see the package
 * comment); what it relies on is shown by {@code native/probes/windows/process_times.c}
 * (the creation time is the same through any handle, and readable after exit).
 *
 * <p>The token ({@code Platform.processToken()}'s contract): bits 32 to 61 the pid (Windows pids
 * are multiples of 4 well below 2<sup>30</sup>), the low 32 bits the creation time in
 * milliseconds since 1601, modulo 2<sup>32</sup> (it repeats after about 49.7 days; two processes
 * with one pid created a multiple of that apart, both using one region, are not told apart).
 *
 * <p>Alive means: {@code OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE)} succeeds,
 * the process has not ended ({@code WaitForSingleObject(h, 0)} is {@code WAIT_TIMEOUT}; a handle
 * someone still holds keeps an ended process's object, and its pid, alive) and its creation time
 * matches the token. A pid that does not open ({@code ERROR_INVALID_PARAMETER}) is dead; one this
 * user may not open ({@code ERROR_ACCESS_DENIED}) is not a process of this user, so not the one
 * the token names. This is the Windows form of the seam's liveness mark: nothing has to be
 * placed, and nothing is left behind by a process that dies.
 */
final class WindowsLiveness {
    private static final MethodHandle OPEN_PROCESS =
            WindowsNative.capturing(Win32.OpenProcess$address(), Win32.OpenProcess$descriptor());
    /** FILETIME units (100 ns) per millisecond. */
    private static final long TICKS_PER_MS = 10_000;

    private WindowsLiveness() {
    }

    /**
     * {@return this process's token}
     *
     * @throws IllegalStateException if the pid is 2<sup>30</sup> or more, or the creation time
     *     cannot be read
     */
    static long processToken() {
        int pid = Win32.GetCurrentProcessId();
        if (pid <= 0 || pid >= 1 << 30) {
            throw new IllegalStateException("pid " + Integer.toUnsignedString(pid) + " does not fit a process token");
        }
        long created = creationMillis(Win32.GetCurrentProcess());
        if (created < 0) {
            throw new IllegalStateException("GetProcessTimes failed for this process");
        }
        return (long) pid << 32 | (created & 0xFFFF_FFFFL);
    }

    /**
     * {@return whether the process {@code token} names is running}
     *
     * @param token a token from {@link #processToken()} in some process
     * @throws IOException if the OS gives an answer that is neither (any error of
     *     {@code OpenProcess} but the two above)
     */
    static boolean isAlive(long token) throws IOException {
        int pid = (int) (token >>> 32) & ((1 << 30) - 1);
        MemorySegment state = WindowsNative.state();
        MemorySegment h;
        try {
            h = (MemorySegment) OPEN_PROCESS.invokeExact(state,
                    Win32.PROCESS_QUERY_LIMITED_INFORMATION() | Win32.SYNCHRONIZE(), 0, pid);
        } catch (Throwable t) {
            throw WindowsNative.unchecked(t);
        }
        if (h.equals(MemorySegment.NULL)) {
            int error = WindowsNative.lastError(state);
            if (error == Win32.ERROR_INVALID_PARAMETER() || error == Win32.ERROR_ACCESS_DENIED()) {
                return false;
            }
            throw WindowsErrors.exception("OpenProcess(" + pid + ")", error);
        }
        try {
            if (Win32.WaitForSingleObject(h, 0) != Win32.WAIT_TIMEOUT()) {
                return false;   // ended (WAIT_OBJECT_0), or not waitable
            }
            long created = creationMillis(h);
            return created >= 0 && (created & 0xFFFF_FFFFL) == (token & 0xFFFF_FFFFL);
        } finally {
            Win32.CloseHandle(h);
        }
    }

    /** {@return the creation time of {@code process} in milliseconds since 1601, or -1 if unreadable} */
    static long creationMillis(MemorySegment process) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment created = FILETIME.allocate(scratch);
            MemorySegment exited = FILETIME.allocate(scratch);
            MemorySegment kernel = FILETIME.allocate(scratch);
            MemorySegment user = FILETIME.allocate(scratch);
            if (Win32.GetProcessTimes(process, created, exited, kernel, user) == 0) {
                return -1;
            }
            long ticks = (long) FILETIME.dwHighDateTime(created) << 32
                    | (FILETIME.dwLowDateTime(created) & 0xFFFF_FFFFL);
            return ticks / TICKS_PER_MS;
        }
    }
}
