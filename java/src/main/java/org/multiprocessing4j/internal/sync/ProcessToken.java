package org.multiprocessing4j.internal.sync;

import org.multiprocessing4j.platform.Platform;

/**
 * Names a process in one 64-bit word that fits a compare-and-set: the backend's
 * {@link Platform#processToken()}, which holds the pid in bits 32 to 61 and, in the low 32 bits,
 * what tells the process apart from others that had or will have its pid. A token names one
 * process for its whole life and never its successor. Token 0 names no process. Bits 62 and 63
 * are always 0: bit 62 is free for {@link MutexLayout#TAKING}, and -1 is never a token.
 *
 * <p>Liveness is not proved by the pid (which means nothing in another PID namespace) but by a
 * mark the OS keeps for this token on each region's file: see {@link LivenessMark}.
 */
public final class ProcessToken {
    private static final Platform OS = Platform.current();

    private ProcessToken() {
    }

    /**
     * {@return this process's token} Computed once per JVM.
     *
     * @throws IllegalStateException if the backend cannot tell this process's identity
     */
    public static long self() {
        return Self.TOKEN;
    }

    /**
     * {@return the pid named by {@code token}, for messages} Ignores {@link MutexLayout#TAKING}
     * (and bit 63), so that it may be given a mutex's owner word.
     */
    public static int pid(long token) {
        return (int) (token >>> 32) & 0x3FFF_FFFF;
    }

    private static final class Self {
        static final long TOKEN = OS.processToken();
    }
}
