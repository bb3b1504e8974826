package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.ProcessMark;

/**
 * Liveness, proof against pid reuse: a process is alive for a shared region while its mark for
 * its token is placed there; a killed process's mark is gone, and a token whose pid is alive but
 * whose mark is absent (what a reused pid looks like) is dead.
 */
class LivenessContractTest {
    private final Platform os = Tck.platform();

    @Test
    void aMarkIsSeenByOthersWhileItsProcessLivesAndGoneWhenItIsKilled() throws IOException {
        var region = os.createAnonymousMemory("tck-marks", os.pageSize());
        var report = os.pipe();
        int pid = -1;
        try (ProcessMark own = os.placeMark(region, 1)) {
            long token = 0x1234_5678L;
            pid = Tck.spawnChild(new Handle[] {region, report[1]}, "mark", Long.toString(token));
            assertEquals("marked " + token, Tck.readLine(report[0]));
            assertTrue(own.isPlaced(token), "the child's mark (it closed its descriptor of the file)");
            os.stop(pid, Platform.Stop.KILL);
            Tck.awaitExit(pid);
            pid = -1;
            assertFalse(own.isPlaced(token), "the mark of a killed process");
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(report[0], report[1], region);
        }
    }

    @Test
    void aLivePidWithoutItsMarkIsDead() throws IOException {
        // A reused pid: a process runs under the pid that a token names, but it is not the
        // process that wrote the token (other low bits), so it holds no mark for it.
        var region = os.createAnonymousMemory("tck-marks", os.pageSize());
        var report = os.pipe();
        int pid = -1;
        try (ProcessMark own = os.placeMark(region, 1)) {
            pid = Tck.spawnChild(new Handle[] {region, report[1]}, "mark", "self");
            String line = Tck.readLine(report[0]);
            assertTrue(line.startsWith("marked "), line);
            long token = Long.parseLong(line.substring("marked ".length()));
            assertEquals(pid, (int) (token >>> 32) & 0x3FFF_FFFF, "the pid is in bits 32 to 61");
            assertTrue(own.isPlaced(token), "the child's own token");
            long predecessor = (token & ~0xFFFF_FFFFL) | ((token + 1) & 0xFFFF_FFFFL);
            assertFalse(own.isPlaced(predecessor), "same pid, another process");
            // Ended before our mark closes, so that what the child left of its mark goes with it
            // (posix: its lock file, which the survivor that closes a mark on the region removes).
            os.stop(pid, Platform.Stop.KILL);
            Tck.awaitExit(pid);
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(report[0], report[1], region);
        }
    }

    @Test
    void aTokenNamesThisProcessAndLeavesTwoBitsFree() {
        long token = os.processToken();
        assertEquals(token, os.processToken(), "constant");
        assertTrue(token > 0 && token < 1L << 62, Long.toHexString(token));
        assertEquals(os.pid(), (int) (token >>> 32) & 0x3FFF_FFFF);
    }
}
