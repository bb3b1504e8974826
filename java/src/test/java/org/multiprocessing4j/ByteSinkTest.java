package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class ByteSinkTest {

    private static byte[] bytes(ByteSink sink) {
        return sink.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void writesAreBigEndianAndAppended() throws CodecException {
        try (ByteSink sink = new ByteSink(4)) {
            sink.writeByte(0x1FF);
            sink.writeShort(0x0102);
            sink.writeInt(0x03040506);
            sink.writeLong(0x0708090A0B0C0D0EL);
            sink.write(new byte[] {9, 0x10, 0x11, 9}, 1, 2);
            assertArrayEquals(new byte[] {(byte) 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x10, 0x11},
                    bytes(sink));
            assertEquals(17, sink.size());
        }
    }

    @Test
    void growsByDoublingAndKeepsContents() throws CodecException {
        try (ByteSink sink = new ByteSink(0)) {
            for (int i = 0; i < 10_000; i++) {
                sink.writeInt(i);
            }
            assertEquals(40_000, sink.size());
            assertTrue(sink.capacity() >= 40_000 && sink.capacity() < 2 * 40_000 + 64, "capacity " + sink.capacity());
            MemorySegment s = sink.segment();
            for (int i = 0; i < 10_000; i++) {
                assertEquals(i, s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 4L * i));
            }
        }
    }

    @Test
    void growthInvalidatesEarlierSegmentsInsteadOfCrashing() throws CodecException {
        try (ByteSink sink = new ByteSink(8)) {
            sink.writeLong(1);
            MemorySegment before = sink.segment();
            sink.write(new byte[1024], 0, 1024);
            assertThrows(IllegalStateException.class, () -> before.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void writingItsOwnSegmentThatForcesGrowthCopiesCorrectly() throws CodecException {
        try (ByteSink sink = new ByteSink(4)) {
            sink.write(new byte[] {1, 2, 3, 4}, 0, 4);
            sink.write(sink.segment());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 1, 2, 3, 4}, bytes(sink));
        }
    }

    @Test
    void skippedHeaderIsZeroedAndCanBePatched() throws CodecException {
        try (ByteSink sink = new ByteSink(16)) {
            sink.writeLong(-1L);
            sink.reset();
            long at = sink.skip(12);
            assertEquals(0, at);
            assertArrayEquals(new byte[12], bytes(sink));
            sink.writeByte(7);
            sink.writeIntAt(0, -1);
            sink.writeLongAt(4, 0x1122334455667788L);
            assertArrayEquals(new byte[] {-1, -1, -1, -1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88, 7},
                    bytes(sink));
            assertEquals(13, sink.size());
        }
    }

    @Test
    void patchingOutsideTheWrittenBytesThrows() throws CodecException {
        try (ByteSink sink = new ByteSink(16)) {
            sink.skip(4);
            assertThrows(IndexOutOfBoundsException.class, () -> sink.writeIntAt(1, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> sink.writeIntAt(-1, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> sink.writeLongAt(0, 0));
        }
    }

    @Test
    void truncateRollsBackAndRejectsGrowingSizes() throws CodecException {
        try (ByteSink sink = new ByteSink(16)) {
            sink.writeInt(1);
            sink.writeInt(2);
            sink.truncate(4);
            assertEquals(4, sink.size());
            sink.writeByte(3);
            assertArrayEquals(new byte[] {0, 0, 0, 1, 3}, bytes(sink));
            assertThrows(IndexOutOfBoundsException.class, () -> sink.truncate(6));
            assertThrows(IndexOutOfBoundsException.class, () -> sink.truncate(-1));
        }
    }

    @Test
    void growthBeyondMaximumCapacityThrowsAndLeavesSinkUnchanged() throws CodecException {
        try (ByteSink sink = new ByteSink(4, 10)) {
            sink.writeLong(5);
            CodecException e = assertThrows(CodecException.class, () -> sink.writeInt(1));
            assertTrue(e.getMessage().contains("maximum capacity is 10"), e.getMessage());
            assertEquals(8, sink.size());
            sink.writeShort(1);
            assertEquals(10, sink.size());
            assertThrows(CodecException.class, () -> sink.writeByte(1));
        }
    }

    @Test
    void outputStreamWritesStraightIntoTheSinkAndCloseDoesNotCloseIt() throws Exception {
        try (ByteSink sink = new ByteSink(4)) {
            OutputStream out = sink.asOutputStream();
            assertSame(out, sink.asOutputStream());
            try (ObjectOutputStream oos = new ObjectOutputStream(out)) {
                oos.writeObject("through the stream");
            }
            sink.writeByte(0); // still open
            byte[] written = bytes(sink);
            try (ObjectInputStream in = new ObjectInputStream(new java.io.ByteArrayInputStream(written))) {
                assertEquals("through the stream", in.readObject());
            }
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() throws CodecException {
        ByteSink sink = new ByteSink(8);
        sink.writeInt(1);
        MemorySegment view = sink.segment();
        OutputStream out = sink.asOutputStream();
        sink.close();
        sink.close();
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, sink::size);
        assertThrows(IllegalStateException.class, sink::segment);
        assertThrows(IllegalStateException.class, sink::reset);
        assertThrows(IllegalStateException.class, () -> sink.writeByte(1));
        assertThrows(IllegalStateException.class, () -> sink.writeIntAt(0, 1));
        assertThrows(IllegalStateException.class, () -> sink.skip(1));
        assertThrows(IllegalStateException.class, () -> out.write(1));
        assertThrows(IllegalStateException.class, sink::asOutputStream);
        assertThrows(IllegalStateException.class, () -> Codec.defaults().encode(1, sink));
    }

    @Test
    void invalidConstructorArgumentsThrow() {
        assertThrows(IllegalArgumentException.class, () -> new ByteSink(-1));
        assertThrows(IllegalArgumentException.class, () -> new ByteSink(16, 8));
    }

    @Test
    void sinkCanBeHandedToAnotherThread() throws Exception {
        try (ByteSink sink = new ByteSink(8)) {
            sink.writeInt(42);
            Thread t = new Thread(() -> {
                try {
                    sink.writeInt(43);
                } catch (CodecException e) {
                    throw new AssertionError(e);
                }
            });
            t.start();
            t.join();
            assertEquals(8, sink.size());
        }
    }
}
