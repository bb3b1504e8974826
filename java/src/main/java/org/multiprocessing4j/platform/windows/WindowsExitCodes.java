package org.multiprocessing4j.platform.windows;

import org.multiprocessing4j.platform.Platform;

/**
 * Exit codes on Windows, decoded as CPython's {@code multiprocessing} reports them. A Windows
 * process has no signals: {@code GetExitCodeProcess} gives one 32-bit code, whatever ended the
 * process. CPython's {@code popen_spawn_win32} ends a child with
 * {@code TerminateProcess(handle, TERMINATE)}, {@code TERMINATE = 0x10000}, for both
 * {@code terminate()} and {@code kill()} ({@code kill = terminate}), and its {@code wait()}
 * reports that code as {@code -signal.SIGTERM}, that is {@code -15}.
 *
 * <p>This backend does the same for a terminate request ({@code 0x10000}, reported {@code -15}),
 * and keeps POSIX's distinction for a kill: {@code TerminateProcess(handle, 0x10009)}, reported
 * {@code -9}. A process that exits with one of these two codes by itself is reported the same
 * way (as in CPython). Every other code is the exit code, as a signed 32-bit value: an exit with
 * {@code -1} reads back as {@code 0xFFFFFFFF} and is reported as {@code -1}, as in CPython, where
 * {@code _winapi.GetExitCodeProcess} returns it unsigned (4294967295) — the one place this
 * backend differs, on purpose, so that {@code System.exit(-1)} reads {@code -1} everywhere.
 * Pure and stateless: thread-safe, no native call.
 */
final class WindowsExitCodes {
    /** CPython's {@code popen_spawn_win32.TERMINATE}, the exit code of a terminated child. */
    static final int TERMINATE = 0x10000;
    /** The exit code this backend gives a killed child ({@code TERMINATE} + 9). */
    static final int KILL = 0x10009;
    /** The POSIX signal number a terminate request is reported with. */
    static final int SIGTERM = 15;
    /** The POSIX signal number a kill is reported with. */
    static final int SIGKILL = 9;

    private WindowsExitCodes() {
    }

    /**
     * {@return the status a {@code GetExitCodeProcess} value stands for}
     *
     * @param code the value {@code GetExitCodeProcess} stored, a {@code DWORD} read as an int
     */
    static Platform.ExitStatus decode(int code) {
        return switch (code) {
            case TERMINATE -> new Platform.ExitStatus(0, SIGTERM);
            case KILL -> new Platform.ExitStatus(0, SIGKILL);
            default -> new Platform.ExitStatus(code, 0);
        };
    }

    /**
     * {@return the exit code {@code TerminateProcess} is given for a forced stop}
     *
     * @param how {@link Platform.Stop#TERMINATE} or {@link Platform.Stop#KILL}
     * @throws IllegalArgumentException for {@link Platform.Stop#INTERRUPT}, which is a request the
     *         child answers itself, never a {@code TerminateProcess}
     */
    static int terminateCode(Platform.Stop how) {
        return switch (how) {
            case TERMINATE -> TERMINATE;
            case KILL -> KILL;
            case INTERRUPT -> throw new IllegalArgumentException(
                    "an interrupt is delivered to the child, not forced with TerminateProcess");
        };
    }
}
