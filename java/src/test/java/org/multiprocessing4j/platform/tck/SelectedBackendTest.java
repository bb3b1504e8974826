package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The TCK tests the backend the run selected ({@value Platform#BACKEND_PROPERTY}), in the test
 * JVM and in the children it starts: a run meant for one backend that silently tested another
 * would prove nothing.
 */
class SelectedBackendTest {
    private final Platform os = Tck.platform();

    @Test
    void theBackendUnderTestIsTheOneTheRunSelected() {
        String chosen = System.getProperty(Platform.BACKEND_PROPERTY);
        if (chosen != null && !chosen.isBlank()) {
            assertEquals(chosen.strip(), os.backendId());
        }
        System.out.println("Platform TCK: backend " + os.backendId() + " (" + os.name() + ")");
    }

    @Test
    void childrenOfTheTckRunOnTheSameBackend() throws IOException {
        Handle[] p = os.pipe();
        int pid = -1;
        try {
            pid = Tck.spawnChild(new Handle[] {p[1]}, "backend");
            os.close(p[1]);
            p[1] = null;
            assertEquals(os.backendId(), Tck.readToEnd(p[0]));
            assertEquals(0, Tck.awaitExit(pid).exitCode());
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(p[0], p[1]);
        }
    }
}
