package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Waiting on several handles as one operation: it reports which handles are readable (data, or a
 * closed peer), a process sentinel once its process ends, and nothing, after no less than the
 * timeout, when nothing happens.
 */
class MultiHandleWaitContractTest {
    private final Platform os = Tck.platform();

    @Test
    void aWaitReportsExactlyTheHandlesThatAreReadable() throws IOException {
        Handle[] p1 = os.pipe();
        Handle[] p2 = os.pipe();
        Handle[] s = os.socketPair();
        try {
            Tck.write(p2[1], "x");
            Tck.write(s[0], "y");
            boolean[] ready = new boolean[3];
            int n = os.awaitReadable(new Handle[] {p1[0], p2[0], s[1]}, ready, Tck.PATIENCE);
            assertEquals(2, n);
            assertFalse(ready[0]);
            assertTrue(ready[1]);
            assertTrue(ready[2]);
        } finally {
            Tck.closeAll(p1[0], p1[1], p2[0], p2[1], s[0], s[1]);
        }
    }

    @Test
    void aHandleWhosePeerClosedIsReportedReady() throws IOException {
        Handle[] p = os.pipe();
        Handle[] s = os.socketPair();
        try {
            os.close(p[1]);
            p[1] = null;
            os.close(s[0]);
            s[0] = null;
            boolean[] ready = new boolean[2];
            int n = os.awaitReadable(new Handle[] {p[0], s[1]}, ready, Tck.PATIENCE);
            assertEquals(2, n);
            for (boolean r : ready) {
                assertTrue(r, "a handle whose peer closed is ready");
            }
        } finally {
            Tck.closeAll(p[0], p[1], s[0], s[1]);
        }
    }

    @Test
    void aWaitWithNothingReadyTimesOutNeverEarly() throws IOException {
        Handle[] p = os.pipe();
        try {
            for (long timeout : new long[] {0, 1, TimeUnit.MILLISECONDS.toNanos(1),
                    TimeUnit.MILLISECONDS.toNanos(30)}) {
                boolean[] ready = {true};
                long start = System.nanoTime();
                int n = os.awaitReadable(new Handle[] {p[0]}, ready, timeout);
                long elapsed = System.nanoTime() - start;
                assertEquals(0, n);
                assertArrayEquals(new boolean[] {false}, ready);
                assertTrue(elapsed >= timeout, "timed out after " + elapsed + " of " + timeout + " ns");
            }
        } finally {
            Tck.closeAll(p[0], p[1]);
        }
    }

    @Test
    void aProcessSentinelIsReadyOnceItsProcessEnds() throws IOException {
        Handle[] p = os.pipe();
        int pid = -1;
        Handle sentinel = null;
        try {
            pid = Tck.spawnChild(new Handle[] {p[1]}, "sleep", "say");
            assertEquals("running", Tck.readLine(p[0]));
            sentinel = os.openProcessHandle(pid);
            boolean[] ready = new boolean[1];
            assertEquals(0, os.awaitReadable(new Handle[] {sentinel}, ready, 0),
                    "a running process's sentinel");
            os.stop(pid, Platform.Stop.KILL);
            assertEquals(1, os.awaitReadable(new Handle[] {sentinel}, ready, Tck.PATIENCE));
            assertTrue(ready[0]);
            assertEquals("SIGKILL", os.signalName(Tck.awaitExit(pid).signal()));
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(sentinel, p[0], p[1]);
        }
    }
}
