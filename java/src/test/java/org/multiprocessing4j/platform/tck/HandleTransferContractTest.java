package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Handle transfer: a handle given to a running process works there, the sender keeps its own,
 * and several travel in one message in order.
 */
class HandleTransferContractTest {
    private final Platform os = Tck.platform();

    @Test
    void aHandleSentToARunningProcessWorksThere() throws IOException {
        Handle[] link = os.socketPair();
        Handle[] out = os.pipe();
        int pid = -1;
        try {
            pid = Tck.spawnChild(new Handle[] {link[1]}, "receive");
            os.close(link[1]);
            link[1] = null;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment one = a.allocate(1);
                os.sendWithHandles(link[0], one, 1, new Handle[] {out[1]});
            }
            os.close(out[1]); // the child's copy is now the only write end
            out[1] = null;
            assertEquals("hello", Tck.readToEnd(out[0]));
            assertEquals(0, Tck.awaitExit(pid).exitCode());
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            Tck.closeAll(link[0], link[1], out[0], out[1]);
        }
    }

    @Test
    void moreHandlesThanOneMessageCarriesAreRefusedAtTheCall() throws IOException {
        Handle[] link = os.socketPair();
        try (Arena a = Arena.ofConfined()) {
            Handle[] many = new Handle[os.maxHandlesPerMessage() + 1];
            java.util.Arrays.fill(many, link[0]);
            MemorySegment one = a.allocate(1);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> os.sendWithHandles(link[0], one, 1, many));
        } finally {
            Tck.closeAll(link[0], link[1]);
        }
    }

    @Test
    void handlesTravelInOrderAndTheSenderKeepsItsOwn() throws IOException {
        Handle[] link = os.socketPair();
        Handle[] a1 = os.pipe();
        Handle[] a2 = os.socketPair();
        Handle[] received = new Handle[0];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 'x', (byte) 'y');
            os.sendWithHandles(link[0], msg, 2, new Handle[] {a1[1], a2[0]});
            MemorySegment buf = a.allocate(2);
            Platform.Received r = os.receiveWithHandles(link[1], buf, 2);
            received = r.handles();
            assertEquals(2, received.length);
            assertArrayEquals(new long[] {os.inode(a1[1]), os.inode(a2[0])},
                    new long[] {os.inode(received[0]), os.inode(received[1])});
            // The sender's handles still work: write on the original, read the pipe.
            Tck.write(a1[1], "z");
            MemorySegment b = a.allocate(1);
            assertEquals(1, os.read(a1[0], b, 1));
        } finally {
            Tck.closeAll(received);
            Tck.closeAll(link[0], link[1], a1[0], a1[1], a2[0], a2[1]);
        }
    }
}
