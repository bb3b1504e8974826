package org.multiprocessing4j.platform.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/** The handle half of the seam as the Linux backend implements it: handles, waits, transfer. */
@Timeout(30)
class LinuxHandlesTest {
    private static final Platform OS = Platform.current();

    @Test
    void aHandleIsAValueAndNeverNegative() {
        assertEquals(Handle.of(7), Handle.of(7));
        assertEquals(Handle.of(7).hashCode(), Handle.of(7).hashCode());
        assertNotEquals(Handle.of(7), Handle.of(8));
        assertThrows(IllegalArgumentException.class, () -> Handle.of(-1));
    }

    @Test
    void awaitReadableReportsExactlyTheReadableHandles() throws IOException {
        Handle[] a = OS.pipe();
        Handle[] b = OS.pipe();
        try (Arena arena = Arena.ofConfined()) {
            Handle[] readEnds = {a[0], b[0]};
            boolean[] ready = new boolean[2];
            assertEquals(0, OS.awaitReadable(readEnds, ready, 0), "nothing yet");
            assertArrayEquals(new boolean[] {false, false}, ready);
            OS.writeFully(b[1], arena.allocate(1), 1);
            assertEquals(1, OS.awaitReadable(readEnds, ready, -1));
            assertArrayEquals(new boolean[] {false, true}, ready);
            OS.close(a[1]);
            a[1] = null;
            assertEquals(2, OS.awaitReadable(readEnds, ready, -1), "end of stream is readable");
            assertArrayEquals(new boolean[] {true, true}, ready);
        } finally {
            closeAll(a);
            closeAll(b);
        }
    }

    @Test
    void awaitReadableOnAHandleThatIsNotOpenThrowsClosedChannelException() throws IOException {
        Handle[] p = OS.pipe();
        try {
            Handle notOpen = Handle.of(Integer.MAX_VALUE); // beyond any descriptor limit
            assertThrows(ClosedChannelException.class,
                    () -> OS.awaitReadable(new Handle[] {p[0], notOpen}, new boolean[2], 0));
        } finally {
            closeAll(p);
        }
    }

    @Test
    void awaitHangUpReturnsOnceThePeerClosedAndLeavesTheDataUnread() throws IOException {
        Handle[] pair = OS.socketPair();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(3);
            data.fill((byte) 42);
            OS.sendFully(pair[0], data, 3);
            OS.close(pair[0]);
            pair[0] = null;
            OS.awaitHangUp(pair[1]);
            MemorySegment in = arena.allocate(8);
            assertEquals(3, OS.read(pair[1], in, 8), "the data is still there");
            assertEquals(0, OS.read(pair[1], in, 8));
        } finally {
            closeAll(pair);
        }
    }

    @Test
    void handlesTravelWithTheirByteAndArriveAsNewHandles() throws IOException {
        Handle[] pair = OS.socketPair();
        Handle[] pipe = OS.pipe();
        Handle[] got = new Handle[0];
        try (Arena arena = Arena.ofConfined()) {
            OS.sendWithHandles(pair[0], arena.allocate(1), 1, new Handle[] {pipe[1]});
            Platform.Received r = OS.receiveWithHandles(pair[1], arena.allocate(4), 4);
            got = r.handles();
            assertEquals(1, r.bytes());
            assertEquals(1, got.length);
            assertNotEquals(pipe[1], got[0], "a new handle on the same pipe");
            MemorySegment one = arena.allocate(1);
            one.fill((byte) 5);
            OS.writeFully(got[0], one, 1);
            assertEquals(1, OS.read(pipe[0], arena.allocate(1), 1));
        } finally {
            closeAll(got);
            closeAll(pipe);
            closeAll(pair);
        }
    }

    @Test
    void moreHandlesThanOneMessageCarriesAreRefusedBeforeSending() throws IOException {
        Handle[] pair = OS.socketPair();
        try (Arena arena = Arena.ofConfined()) {
            Handle[] many = new Handle[OS.maxHandlesPerMessage() + 1];
            java.util.Arrays.fill(many, pair[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OS.sendWithHandles(pair[0], arena.allocate(1), 1, many));
            assertEquals("at most " + OS.maxHandlesPerMessage() + " handles per message, got "
                    + many.length, e.getMessage());
            assertEquals(0, OS.awaitReadable(new Handle[] {pair[1]}, new boolean[1], 0),
                    "nothing was sent");
        } finally {
            closeAll(pair);
        }
    }

    private static void closeAll(Handle[] handles) throws IOException {
        for (Handle h : handles) {
            if (h != null) {
                OS.close(h);
            }
        }
    }
}
