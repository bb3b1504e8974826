package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Exit statuses as CPython reports them ({@code Process.exitcode}): the exit code of a child that
 * exited, {@code -N} for one ended by signal N, also when it handled a stop request and exited
 * through its hooks after reporting it; reaping does not wait when told not to, and a
 * child is reaped once.
 */
class ExitStatusContractTest {
    private final Platform os = Tck.platform();

    @Test
    void anExitCodeIsReportedAsTheCodeWithNoSignal() throws IOException {
        for (int code : new int[] {0, 3, 255}) {
            int pid = Tck.spawnChild(new Handle[0], "exit", Integer.toString(code));
            try {
                Platform.ExitStatus s = Tck.awaitExit(pid);
                assertEquals(new Platform.ExitStatus(code, 0), s);
                assertEquals(code, s.pythonExitCode());
                pid = -1;
            } finally {
                Tck.killAndReap(pid);
            }
        }
    }

    @Test
    void aChildKilledBySignalReportsTheSignalAndMinusItsNumber() throws IOException {
        assertKilledBy(Platform.Stop.KILL, "SIGKILL", List.of());
        // -Xrs: the JVM leaves SIGTERM's default action (death) in place.
        assertKilledBy(Platform.Stop.TERMINATE, "SIGTERM", List.of("-Xrs"));
    }

    @Test
    void reapingWithoutBlockingReturnsNothingWhileTheChildRuns() throws IOException {
        Handle[] p = os.pipe();
        int pid = -1;
        try {
            pid = Tck.spawnChild(new Handle[] {p[1]}, "sleep", "say");
            assertEquals("running", Tck.readLine(p[0]));
            assertNull(os.waitForExit(pid, false));
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(p[0], p[1]);
        }
    }

    @Test
    void aChildIsReapedOnceThenItIsNoLongerAChild() throws IOException {
        int pid = Tck.spawnChild(new Handle[0], "exit", "0");
        Tck.awaitExit(pid);
        assertThrows(IOException.class, () -> os.waitForExit(pid, false));
    }

    @Test
    void signallingAChildThatIsGoneIsNotAnError() throws IOException {
        int pid = Tck.spawnChild(new Handle[0], "exit", "0");
        Tck.awaitExit(pid);
        os.stop(pid, Platform.Stop.TERMINATE); // reaped: the pid names nobody now
    }

    @Test
    void aChildThatHandlesAStopRequestIsReportedAsEndedByItsSignal() throws IOException {
        Handle[] p = os.pipe();
        int pid = -1;
        try {
            pid = Tck.spawnChild(new Handle[] {p[1]}, "stop-report");
            assertEquals("running", Tck.readLine(p[0]));
            os.stop(pid, Platform.Stop.TERMINATE);
            String said = Tck.readLine(p[0]);
            assertTrue(said.startsWith("stopping "), said);
            int reported = Integer.parseInt(said.substring("stopping ".length()));
            Platform.ExitStatus s = Tck.awaitExit(pid);
            pid = -1;
            Platform.ExitStatus decoded = os.afterStopReport(s, reported);
            assertEquals("SIGTERM", os.signalName(decoded.signal()), decoded.toString());
            assertEquals(-reported, decoded.pythonExitCode(), decoded.toString());
            assertEquals(s, os.afterStopReport(s, 0), "no report: the status as it is");
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(p[0], p[1]);
        }
    }

    private void assertKilledBy(Platform.Stop how, String name, List<String> jvmOptions)
            throws IOException {
        Handle[] p = os.pipe();
        int pid = -1;
        try {
            pid = Tck.spawnChild(jvmOptions, new Handle[] {p[1]}, "sleep", "say");
            assertEquals("running", Tck.readLine(p[0]));
            os.stop(pid, how);
            Platform.ExitStatus s = Tck.awaitExit(pid);
            pid = -1;
            assertEquals(name, os.signalName(s.signal()), s.toString());
            assertEquals(-1, s.exitCode(), s.toString());
            assertEquals(-s.signal(), s.pythonExitCode(), s.toString());
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(p[0], p[1]);
        }
    }
}
