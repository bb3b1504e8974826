package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Waiting on several handles as one operation: it reports which handles are readable (data, or a
 * closed peer), a process sentinel once its process ends, and nothing, after no less than the
 * timeout, when nothing happens; a handle that is not open is an error, not "ready".
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
            assertArrayEquals(new boolean[] {false, true, true}, ready);
        } finally {
            Tck.closeAll(p1[0], p1[1], p2[0], p2[1], s[0], s[1]);
        }
    }

    @Test
    void aHandleWhosePeerClosedIsReportedReadable() throws IOException {
        Handle[] p = os.pipe();
        Handle[] s = os.socketPair();
        try {
            os.close(p[1]);
            p[1] = null;
            os.close(s[0]);
            s[0] = null;
            boolean[] ready = new boolean[2];
            assertEquals(2, os.awaitReadable(new Handle[] {p[0], s[1]}, ready, Tck.PATIENCE));
            assertArrayEquals(new boolean[] {true, true}, ready);
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
                assertFalse(ready[0]);
                assertTrue(elapsed >= timeout, "timed out after " + elapsed + " of " + timeout + " ns");
            }
        } finally {
            Tck.closeAll(p[0], p[1]);
        }
    }

    @Test
    void aProcessSentinelIsReadableOnceItsProcessEnds() throws IOException {
        Handle[] p = os.pipe();
        int pid = -1;
        Handle sentinel = null;
        try {
            pid = Tck.spawnChild(new Handle[] {p[1]}, "sleep", "say");
            assertEquals("running", Tck.readLine(p[0]));
            sentinel = os.openProcessHandle(pid);
            assertFalse(os.awaitReadable(sentinel, 0), "a running process's sentinel");
            os.stop(pid, Platform.Stop.KILL);
            assertTrue(os.awaitReadable(sentinel, Tck.PATIENCE));
            assertEquals("SIGKILL", os.signalName(Tck.awaitExit(pid).signal()));
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(sentinel, p[0], p[1]);
        }
    }

    @Test
    void waitingOnAClosedHandleIsAnError() throws IOException {
        Handle[] p = os.pipe();
        os.close(p[0]);
        os.close(p[1]);
        assertThrows(ClosedChannelException.class,
                () -> os.awaitReadable(new Handle[] {p[0]}, new boolean[1], 0));
    }
}
