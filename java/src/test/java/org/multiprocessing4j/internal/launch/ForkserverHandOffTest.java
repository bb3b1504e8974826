package org.multiprocessing4j.internal.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The receiving side of a forkserver hand-off ({@link ChildBootstrap#receiveHandOff}) over a real
 * socket pair, message by message: a 4-byte count carrying that many descriptors, a 4-byte frame
 * length, the frame. (The whole path across processes: {@link ForkserverChildProcessTest}.)
 */
class ForkserverHandOffTest {
    private static final Platform OS = Platform.current();
    private static final ValueLayout.OfInt BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Handle[] pair;
    private Arena arena;

    @BeforeEach
    void open() throws IOException {
        pair = OS.socketPair();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() throws IOException {
        arena.close();
        for (Handle fd : pair) {
            if (fd != null) {
                OS.close(fd);
            }
        }
    }

    private MemorySegment ints(int... values) {
        MemorySegment m = arena.allocate(4L * values.length);
        for (int i = 0; i < values.length; i++) {
            m.set(BE, 4L * i, values[i]);
        }
        return m;
    }

    private MemorySegment bytes(int n, int from) {
        MemorySegment m = arena.allocate(n);
        for (int i = 0; i < n; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) (from + i));
        }
        return m;
    }

    private static byte[] expected(int n, int from) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private ChildBootstrap.HandOff receive(long bufferSize) throws IOException {
        return ChildBootstrap.receiveHandOff(OS, pair[1], arena.allocate(bufferSize));
    }

    @Test
    void aMessageSentInPiecesArrivesWholeWithItsDescriptor() throws IOException {
        Handle passed = OS.duplicate(pair[0]);
        try {
            OS.sendWithHandles(pair[0], ints(1), 4, new Handle[] {passed}); // count alone
        } finally {
            OS.close(passed);
        }
        OS.writeFully(pair[0], ints(300), 4);                                   // then the length
        OS.writeFully(pair[0], bytes(300, 7), 300);                             // then the frame
        ChildBootstrap.HandOff h = receive(64); // smaller than the frame: the rest is read after it
        assertEquals(1, h.handles().length);
        assertTrue(Files.exists(Path.of("/proc/self/fd/" + h.handles()[0].value())));
        OS.close(h.handles()[0]);
        assertArrayEquals(expected(300, 7), h.frame());
    }

    @Test
    void aCountThatDisagreesWithTheDescriptorsFailsAndClosesThem() throws IOException {
        Handle passed = OS.duplicate(pair[0]);
        MemorySegment message = arena.allocate(8);
        message.set(BE, 0, 2);
        message.set(BE, 4, 0);
        try {
            OS.sendWithHandles(pair[0], message, 8, new Handle[] {passed});
        } finally {
            OS.close(passed);
        }
        IOException e = assertThrows(IOException.class, () -> receive(1024));
        assertTrue(e.getMessage().contains("announced 2 handles but 1 arrived"), e.getMessage());
        // the received descriptor was closed: the class's leak check finds no extra descriptor
    }

    @Test
    void endOfStreamBeforeOrInsideTheMessageIsNoHandOff() throws IOException {
        OS.writeFully(pair[0], ints(0, 100), 8);
        OS.writeFully(pair[0], bytes(50, 0), 50);
        OS.close(pair[0]);
        pair[0] = null;
        assertNull(receive(1024), "the frame was cut short");
        assertNull(receive(1024), "nothing at all");
    }

    @Test
    void moreBytesThanTheFrameIsAProtocolError() throws IOException {
        MemorySegment m = arena.allocate(16);
        m.set(BE, 0, 0);
        m.set(BE, 4, 4);
        OS.writeFully(pair[0], m, 16); // a 4-byte frame followed by 4 stray bytes
        IOException e = assertThrows(IOException.class, () -> receive(1024));
        assertTrue(e.getMessage().contains("bad hand-off frame"), e.getMessage());
    }

    @Test
    void anEmptyFrameIsAFrame() throws IOException {
        OS.writeFully(pair[0], ints(0, 0), 8);
        ChildBootstrap.HandOff h = receive(1024);
        assertEquals(0, h.frame().length);
        assertFalse(h.handles().length > 0);
    }
}
