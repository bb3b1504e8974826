package org.multiprocessing4j.internal.sync;

import org.multiprocessing4j.platform.Platform;

/**
 * Names a process in one 64-bit word that fits a compare-and-set: the pid in the high 32 bits and
 * the low 32 bits of its start time (Linux: clock ticks since boot) in the low 32 bits. A pid that
 * the kernel reuses for a new process gets a different start time, so a token names one process
 * for its whole life and never its successor (a collision would need a reused pid started exactly
 * 2<sup>32</sup> ticks — about 497 days at 100 Hz — after the first). Token 0 names no process. Bits 62 and
 * 63 are always 0 (Linux pids are below 2<sup>22</sup>): bit 62 is free for
 * {@link MutexLayout#TAKING}, and -1 is never a token.
 *
 * <p>Liveness is not proved by the pid (which means nothing in another PID namespace) but by a
 * mark the kernel keeps for this token on each region's file: see {@link LivenessMark}.
 */
public final class ProcessToken {
    private static final Platform OS = Platform.current();

    private ProcessToken() {
    }

    /** {@return this process's token} Computed once per JVM. */
    public static long self() {
        return Self.TOKEN;
    }

    /** {@return the token of a process given its pid and start time} */
    public static long of(int pid, long startTime) {
        return ((long) pid << 32) | (startTime & 0xFFFF_FFFFL);
    }

    /**
     * {@return the pid named by {@code token}} Ignores {@link MutexLayout#TAKING} (and bit 63),
     * so that it may be given a mutex's owner word.
     */
    public static int pid(long token) {
        return (int) (token >>> 32) & 0x3FFF_FFFF;
    }

    private static final class Self {
        static final long TOKEN = compute();

        private static long compute() {
            int pid = OS.pid();
            long start = OS.processStartTime(pid);
            if (start < 0) { // -1 or START_TIME_UNKNOWN
                throw new IllegalStateException("cannot read this process's start time (pid "
                        + pid + "): process-shared locks need /proc/<pid>/stat");
            }
            return of(pid, start);
        }
    }
}
