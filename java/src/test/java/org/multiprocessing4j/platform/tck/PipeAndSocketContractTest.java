package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Pipes and socket pairs: what was written is read, then end of stream once the other end is
 * closed; writing to a closed reader is an {@link EOFException} (never a signal that kills the
 * JVM); closing a handle twice is harmless.
 */
class PipeAndSocketContractTest {
    private final Platform os = Tck.platform();

    @Test
    void aPipeDeliversWhatWasWrittenThenEndOfStream() throws IOException {
        Handle[] p = os.pipe();
        try {
            Tck.write(p[1], "abc");
            os.close(p[1]);
            p[1] = null;
            assertEquals("abc", Tck.readToEnd(p[0]));
        } finally {
            Tck.closeAll(p[0], p[1]);
        }
    }

    @Test
    void aSocketPairDeliversBothWaysThenEndOfStream() throws IOException {
        Handle[] s = os.socketPair();
        try {
            Tck.write(s[0], "ping\n");
            assertEquals("ping", Tck.readLine(s[1]));
            Tck.write(s[1], "pong");
            os.close(s[1]);
            s[1] = null;
            assertEquals("pong", Tck.readToEnd(s[0]));
        } finally {
            Tck.closeAll(s[0], s[1]);
        }
    }

    @Test
    void writingToAPipeOrSocketWhoseReaderIsClosedIsEndOfStream() throws IOException {
        Handle[] p = os.pipe();
        Handle[] s = os.socketPair();
        try (Arena a = Arena.ofConfined()) {
            os.close(p[0]);
            p[0] = null;
            os.close(s[1]);
            s[1] = null;
            MemorySegment data = a.allocate(1);
            assertThrows(EOFException.class, () -> os.writeFully(p[1], data, 1));
            assertThrows(EOFException.class, () -> os.writeFully(s[0], data, 1));
            assertThrows(EOFException.class, () -> os.sendFully(s[0], data, 1));
            assertThrows(EOFException.class, () -> os.writeFully(s[0], data, data));
        } finally {
            Tck.closeAll(p[0], p[1], s[0], s[1]);
        }
    }

    @Test
    void closingAHandleTwiceIsHarmless() throws IOException {
        Handle[] p = os.pipe();
        os.close(p[0]);
        os.close(p[1]);
        // A second close has nothing to close: a typed failure at most, and no harm. (Nothing may
        // be opened in between: a plain descriptor number may be reused at once.)
        for (Handle fd : p) {
            try {
                os.close(fd);
            } catch (IOException expected) {
                // the contract allows reporting it
            }
        }
        Handle[] q = os.pipe();
        try {
            Tck.write(q[1], "still fine\n");
            assertEquals("still fine", Tck.readLine(q[0]));
        } finally {
            Tck.closeAll(q[0], q[1]);
        }
    }
}
