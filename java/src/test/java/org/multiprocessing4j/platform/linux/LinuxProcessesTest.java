package org.multiprocessing4j.platform.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.Platform.ExitStatus;

/** The process half of the seam as the Linux backend implements it: stop requests, names, statuses. */
@Timeout(30)
class LinuxProcessesTest {
    private static final Platform OS = Platform.current();

    @Test
    void eachStopRequestEndsAChildWithItsSignal() throws IOException {
        for (Platform.Stop how : Platform.Stop.values()) {
            int pid = OS.spawn(new Platform.SpawnRequest("/usr/bin/sleep",
                    List.of("sleep", "60"), List.of(), new org.multiprocessing4j.platform.Handle[0]));
            ExitStatus status;
            try {
                assertNull(OS.waitForExit(pid, false), "still running");
                OS.stop(pid, how);
            } finally {
                status = OS.waitForExit(pid, true); // reaped whatever happened above
            }
            String expected = switch (how) {
                case INTERRUPT -> "SIGINT";
                case TERMINATE -> "SIGTERM";
                case KILL -> "SIGKILL";
            };
            assertEquals(expected, OS.signalName(status.signal()), how.toString());
            assertEquals(-status.signal(), status.pythonExitCode());
        }
    }

    @Test
    void stoppingAChildThatHasEndedChangesNothing() throws IOException {
        int pid = OS.spawn(new Platform.SpawnRequest("/usr/bin/sleep", List.of("sleep", "0"),
                List.of(), new org.multiprocessing4j.platform.Handle[0]));
        ExitStatus status;
        try {
            var sentinel = OS.openProcessHandle(pid);
            try {
                assertTrue(OS.awaitReadable(sentinel, -1), "ended");
            } finally {
                OS.close(sentinel);
            }
            OS.stop(pid, Platform.Stop.KILL); // ended, not reaped: the pid is still this child's
        } finally {
            status = OS.waitForExit(pid, true);
        }
        assertEquals(0, status.pythonExitCode());
    }

    @Test
    void signalNamesAreTheKernelsAndUnknownOnesAreNumbered() {
        assertEquals("SIGTERM", OS.signalName(15));
        assertEquals("SIGKILL", OS.signalName(9));
        assertEquals("SIGINT", OS.signalName(2));
        assertEquals("SIGSEGV", OS.signalName(11));
        assertEquals("signal 77", OS.signalName(77));
    }

    @Test
    void aReportedStopFollowedByItsExitCodeIsAnEndBySignal() {
        ExitStatus afterHooks = new ExitStatus(128 + 15, 0);
        assertEquals(-15, OS.afterStopReport(afterHooks, 15).pythonExitCode());
        assertEquals(-2, OS.afterStopReport(new ExitStatus(128 + 2, 0), 2).pythonExitCode());
    }

    @Test
    void anythingElseIsReportedAsTheKernelSaysIt() {
        ExitStatus afterHooks = new ExitStatus(128 + 15, 0);
        assertEquals(143, OS.afterStopReport(afterHooks, 0).pythonExitCode(), "no report");
        assertEquals(143, OS.afterStopReport(afterHooks, 2).pythonExitCode(), "another signal");
        assertEquals(-9, OS.afterStopReport(new ExitStatus(-1, 9), 15).pythonExitCode(),
                "killed after reporting");
        assertEquals(1, OS.afterStopReport(new ExitStatus(1, 0), 15).pythonExitCode(),
                "exited otherwise after reporting");
    }
}
