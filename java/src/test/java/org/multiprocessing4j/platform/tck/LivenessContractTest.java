package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Liveness, proof against pid reuse: a process is alive for a shared region while its mark for
 * its token is placed there; a killed process's mark is gone, and a token whose pid is alive but
 * whose mark is absent (what a reused pid looks like) is dead.
 */
class LivenessContractTest {
    private final Platform os = Tck.platform();

    @Test
    void aMarkIsSeenByOthersWhileItsProcessLivesAndGoneWhenItIsKilled() throws IOException {
        Handle region = os.createAnonymousMemory("tck-marks", os.pageSize());
        Handle[] report = os.pipe();
        Handle own = null;
        int pid = -1;
        try {
            long token = 0x1234_5678L;
            pid = Tck.spawnChild(new Handle[] {region, report[1]}, "mark", Long.toString(token));
            assertEquals("marked", Tck.readLine(report[0]));
            own = os.openPrivateHandle(region);
            assertTrue(os.markPlaced(own, token), "the child's mark");
            os.stop(pid, Platform.Stop.KILL);
            Tck.awaitExit(pid);
            pid = -1;
            assertFalse(os.markPlaced(own, token), "the mark of a killed process");
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(own, report[0], report[1], region);
        }
    }

    @Test
    void aLivePidWithoutItsMarkIsDead() throws IOException {
        // A reused pid: a process runs under the pid that a token names, but it is not the
        // process that wrote the token, so it holds no mark for it.
        Handle region = os.createAnonymousMemory("tck-marks", os.pageSize());
        Handle[] report = os.pipe();
        Handle own = null;
        int pid = -1;
        try {
            pid = Tck.spawnChild(new Handle[] {report[1]}, "sleep", "say");
            assertEquals("running", Tck.readLine(report[0]));
            long start = os.processStartTime(pid);
            assertTrue(start >= 0, "a running child's start time: " + start);
            long predecessor = ((long) pid << 32) | ((start + 1) & 0xFFFF_FFFFL);
            own = os.openPrivateHandle(region);
            assertFalse(os.markPlaced(own, predecessor));
            assertNotEquals(-1L, os.processStartTime(pid), "the child runs");
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(own, report[0], report[1], region);
        }
    }

    @Test
    void aReapedChildHasNoStartTime() throws IOException {
        int pid = Tck.spawnChild(new Handle[0], "exit", "0");
        Tck.awaitExit(pid);
        assertEquals(-1L, os.processStartTime(pid));
    }
}
