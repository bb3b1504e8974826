package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Parent death: a child that asked to die with its parent dies when its parent is killed
 * (SIGKILL: no hook of the parent's runs), so no orphan survives.
 */
class ParentDeathContractTest {
    private final Platform os = Tck.platform();

    @Test
    void anOrphanDiesWithItsParent() throws Exception {
        Handle[] report = os.pipe();
        int parent = -1;
        Optional<ProcessHandle> orphan = Optional.empty();
        try {
            parent = Tck.spawnChild(new Handle[] {report[1]}, "orphan-parent");
            os.close(report[1]);
            report[1] = null;
            String line = Tck.readLine(report[0]);
            int orphanPid = Integer.parseInt(line.strip());
            orphan = ProcessHandle.of(orphanPid);
            assertTrue(orphan.isPresent(), "the orphan runs before its parent dies");
            os.stop(parent, Platform.Stop.KILL);
            Tck.awaitExit(parent);
            parent = -1;
            try {
                orphan.get().onExit().get(Tck.PATIENCE, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("the orphan " + orphanPid + " outlived its parent by "
                        + TimeUnit.NANOSECONDS.toSeconds(Tck.PATIENCE) + " s");
            }
            assertFalse(orphan.get().isAlive());
        } finally {
            Tck.killAndReap(parent);
            orphan.ifPresent(ProcessHandle::destroyForcibly);
            Tck.closeAll(report[0], report[1]);
        }
    }
}
