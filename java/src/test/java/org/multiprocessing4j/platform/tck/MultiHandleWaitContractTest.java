package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
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
        int[] p1 = os.pipe();
        int[] p2 = os.pipe();
        int[] s = os.socketPair();
        try {
            Tck.write(p2[1], "x");
            Tck.write(s[0], "y");
            short[] ready = new short[3];
            int n = os.poll(new int[] {p1[0], p2[0], s[1]},
                    new short[] {Platform.POLL_IN, Platform.POLL_IN, Platform.POLL_IN}, ready, Tck.PATIENCE);
            assertEquals(2, n);
            assertEquals(0, ready[0]);
            assertTrue((ready[1] & Platform.POLL_IN) != 0);
            assertTrue((ready[2] & Platform.POLL_IN) != 0);
        } finally {
            Tck.closeAll(p1[0], p1[1], p2[0], p2[1], s[0], s[1]);
        }
    }

    @Test
    void aHandleWhosePeerClosedIsReportedReady() throws IOException {
        int[] p = os.pipe();
        int[] s = os.socketPair();
        try {
            os.close(p[1]);
            p[1] = -1;
            os.close(s[0]);
            s[0] = -1;
            short[] ready = new short[2];
            int n = os.poll(new int[] {p[0], s[1]}, new short[] {Platform.POLL_IN, Platform.POLL_IN},
                    ready, Tck.PATIENCE);
            assertEquals(2, n);
            for (short r : ready) {
                assertNotEquals(0, r & (Platform.POLL_IN | Platform.POLL_HUP), Integer.toHexString(r));
            }
        } finally {
            Tck.closeAll(p[0], p[1], s[0], s[1]);
        }
    }

    @Test
    void aWaitWithNothingReadyTimesOutNeverEarly() throws IOException {
        int[] p = os.pipe();
        try {
            for (long timeout : new long[] {0, 1, TimeUnit.MILLISECONDS.toNanos(1),
                    TimeUnit.MILLISECONDS.toNanos(30)}) {
                short[] ready = {-1};
                long start = System.nanoTime();
                int n = os.poll(new int[] {p[0]}, new short[] {Platform.POLL_IN}, ready, timeout);
                long elapsed = System.nanoTime() - start;
                assertEquals(0, n);
                assertArrayEquals(new short[] {0}, ready);
                assertTrue(elapsed >= timeout, "timed out after " + elapsed + " of " + timeout + " ns");
            }
        } finally {
            Tck.closeAll(p[0], p[1]);
        }
    }

    @Test
    void aProcessSentinelIsReadyOnceItsProcessEnds() throws IOException {
        int[] p = os.pipe();
        int pid = -1;
        int sentinel = -1;
        try {
            pid = Tck.spawnChild(new int[] {p[1]}, "sleep", "say");
            assertEquals("running", Tck.readLine(p[0]));
            sentinel = os.openProcessHandle(pid);
            short[] ready = new short[1];
            assertEquals(0, os.poll(new int[] {sentinel}, new short[] {Platform.POLL_IN}, ready, 0),
                    "a running process's sentinel");
            os.signal(pid, Platform.SIGKILL);
            assertEquals(1, os.poll(new int[] {sentinel}, new short[] {Platform.POLL_IN}, ready, Tck.PATIENCE));
            assertTrue((ready[0] & (Platform.POLL_IN | Platform.POLL_HUP)) != 0);
            assertEquals(Platform.SIGKILL, Tck.awaitExit(pid).signal());
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(sentinel, p[0], p[1]);
        }
    }
}
