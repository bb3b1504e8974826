package org.multiprocessing4j.platform.windows;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Names of the named pipes behind {@code pipe()} and {@code socketPair()}:
 * {@code \\.\pipe\mp4j-<pid>-<32 hex digits>}, 128 random bits from a {@link SecureRandom}, so
 * that no other process can guess a name and connect first (the server end is also created with
 * {@code FILE_FLAG_FIRST_PIPE_INSTANCE}, one instance, {@code PIPE_REJECT_REMOTE_CLIENTS} and a
 * current-user-only DACL, and the client end is opened at once by the creating process). The
 * pid only helps a person reading a handle list. Pure: no native call, thread-safe.
 */
final class WindowsPipeNames {
    /** The named-pipe file system's prefix. */
    static final String PREFIX = "\\\\.\\pipe\\";

    /** Random bytes per name. */
    static final int RANDOM_BYTES = 16;

    private static final class Random {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    private WindowsPipeNames() {
    }

    /** {@return a fresh pipe name for process {@code pid}} */
    static String next(int pid) {
        byte[] bits = new byte[RANDOM_BYTES];
        Random.INSTANCE.nextBytes(bits);
        return of(pid, bits);
    }

    /**
     * {@return the pipe name for {@code pid} and these random bytes}
     *
     * @throws IllegalArgumentException unless {@code random} holds {@link #RANDOM_BYTES} bytes
     */
    static String of(int pid, byte[] random) {
        if (random.length != RANDOM_BYTES) {
            throw new IllegalArgumentException("a pipe name takes " + RANDOM_BYTES + " random bytes, not " + random.length);
        }
        return PREFIX + "mp4j-" + Integer.toUnsignedString(pid) + "-" + HexFormat.of().formatHex(random);
    }
}
