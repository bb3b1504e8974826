package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.platform.Platform;

/**
 * In-process contract of {@link Connection} and {@link Pipe}: framing, errors, limits, polling,
 * close semantics. Every test closes what it opens (the leak-check extension verifies). The
 * timeout runs each test on a separate thread so that a thread stuck in a blocking system call
 * (which an interrupt does not wake) fails the test instead of hanging the build.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConnectionTest {

    record Point(int x, long y, String label) implements Serializable {
    }

    static final class NotSerializable {
    }

    /** Bounds every wait on another thread: a hang fails the test instead of stalling it. */
    private static final long WAIT_SECONDS = 30;

    // ------------------------------------------------------------------ objects

    @Test
    void duplexPipeCarriesObjectsBothWays() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection a = pipe.first();
            Connection b = pipe.second();
            assertTrue(a.readable() && a.writable() && b.readable() && b.writable());
            Point p = new Point(3, 1L << 40, "p");
            Object[] values = {"héllo", 42, null, new byte[] {1, 2, 3}, p, ""};
            for (Object v : values) {
                a.send(v);
            }
            for (Object v : values) {
                b.send(v);
            }
            for (Connection in : List.of(b, a)) {
                assertEquals("héllo", in.recv());
                assertEquals(42, in.recv());
                assertNull(in.recv());
                assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) in.recv());
                assertEquals(p, in.recv());
                assertEquals("", in.recv());
                assertFalse(in.poll());
            }
        }
    }

    @Test
    void codecFailureInSendThrowsAndLeavesConnectionUsable() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            assertThrows(CodecException.class, () -> pipe.first().send(new NotSerializable()));
            assertFalse(pipe.second().poll(), "nothing of the failed message was sent");
            pipe.first().send("after");
            assertEquals("after", pipe.second().recv());
            assertFalse(pipe.second().poll());
        }
    }

    @Test
    void undecodableMessageIsConsumedAndConnectionStaysUsable() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.first().sendBytes(new byte[] {(byte) 0xEE, 1, 2, 3}); // not a codec encoding
            pipe.first().send("next");
            assertThrows(CodecException.class, () -> pipe.second().recv());
            assertEquals("next", pipe.second().recv());
        }
    }

    // ------------------------------------------------------------------ bytes

    @Test
    void sendBytesWithOffsetAndLengthSendsOnlyThatRange() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            byte[] src = {0, 1, 2, 3, 4, 5, 6, 7};
            pipe.first().sendBytes(src, 2, 4);
            pipe.first().sendBytes(src, 8, 0);
            pipe.first().sendBytes(src);
            assertArrayEquals(new byte[] {2, 3, 4, 5}, pipe.second().recvBytes());
            assertArrayEquals(new byte[0], pipe.second().recvBytes());
            assertArrayEquals(src, pipe.second().recvBytes());
            assertThrows(IndexOutOfBoundsException.class, () -> pipe.first().sendBytes(src, 6, 3));
        }
    }

    @Test
    void sendBytesOfByteBufferSendsRemainingAndKeepsPosition() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            ByteBuffer heap = ByteBuffer.wrap(new byte[] {9, 8, 7, 6, 5});
            heap.position(1).limit(4);
            pipe.first().sendBytes(heap);
            assertEquals(1, heap.position());
            assertEquals(4, heap.limit());

            ByteBuffer direct = ByteBuffer.allocateDirect(1000);
            for (int i = 0; i < 1000; i++) {
                direct.put((byte) i);
            }
            direct.position(100);
            pipe.first().sendBytes(direct);
            assertEquals(100, direct.position());

            assertArrayEquals(new byte[] {8, 7, 6}, pipe.second().recvBytes());
            byte[] got = pipe.second().recvBytes();
            assertEquals(900, got.length);
            for (int i = 0; i < 900; i++) {
                assertEquals((byte) (i + 100), got[i]);
            }
        }
    }

    @Test
    void largeNativeSegmentSentFromAnotherThreadArrivesIntact() throws Exception {
        int size = 3 << 20;
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofShared()) {
            MemorySegment payload = arena.allocate(size);
            for (int i = 0; i < size; i += 4) {
                payload.set(ValueLayout.JAVA_INT_UNALIGNED, i, i * 31 + 7);
            }
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    pipe.first().sendBytes(payload);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] got = pipe.second().recvBytes();
            sender.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(size, got.length);
            assertEquals(-1L, MemorySegment.ofArray(got).mismatch(payload), "content differs");
        }
    }

    @Test
    void messagesSpanningSeveralReceiveChunksArriveIntactThroughEveryReceivePath() throws Exception {
        byte[] big = new byte[(5 << 20) + 3];
        new java.util.Random(7).nextBytes(big);
        try (Pipe pipe = Pipe.open()) {
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    pipe.first().send(big);
                    pipe.first().sendBytes(big);
                    pipe.first().sendBytes(big);
                    pipe.first().send("after");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertArrayEquals(big, (byte[]) pipe.second().recv());
            assertArrayEquals(big, pipe.second().recvBytes());
            BufferTooShortException e = assertThrows(BufferTooShortException.class,
                    () -> pipe.second().recvBytesInto(new byte[10]));
            assertArrayEquals(big, e.message());
            assertEquals("after", pipe.second().recv());
            sender.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ one-way pipes

    @Test
    void oneWayPipeFirstOnlyReceivesAndSecondOnlySends() throws Exception {
        try (Pipe pipe = Pipe.open(false)) {
            Connection reader = pipe.first();
            Connection writer = pipe.second();
            assertTrue(reader.readable());
            assertFalse(reader.writable());
            assertFalse(writer.readable());
            assertTrue(writer.writable());
            assertThrows(IllegalStateException.class, () -> reader.send("x"));
            assertThrows(IllegalStateException.class, () -> reader.sendBytes(new byte[1]));
            assertThrows(IllegalStateException.class, writer::recv);
            assertThrows(IllegalStateException.class, writer::recvBytes);
            assertThrows(IllegalStateException.class, writer::poll);
            writer.send("one way");
            assertEquals("one way", reader.recv());
        }
    }

    @Test
    void writingToOneWayPipeWithClosedReaderThrowsEofAndJvmSurvives() throws Exception {
        try (Pipe pipe = Pipe.open(false); Arena arena = Arena.ofConfined()) {
            pipe.first().close();
            assertThrows(EOFException.class, () -> pipe.second().sendBytes(new byte[10]));
            assertThrows(EOFException.class, () -> pipe.second().send("x"));
            // A native payload above the copy threshold takes the gathering-write path.
            assertThrows(EOFException.class, () -> pipe.second().sendBytes(arena.allocate(4096)));
        }
        // Still here: SIGPIPE did not kill the JVM.
        assertTrue(ProcessHandle.current().isAlive());
    }

    @Test
    void sendingOnDuplexWithClosedPeerThrowsEof() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            pipe.second().close();
            assertThrows(EOFException.class, () -> pipe.first().send("x"));
            assertThrows(EOFException.class, () -> pipe.first().sendBytes(arena.allocate(4096)));
        }
    }

    // ------------------------------------------------------------------ end of stream

    @Test
    void messagesSentBeforePeerClosedAreDeliveredThenEof() throws Exception {
        for (boolean duplex : new boolean[] {true, false}) {
            try (Pipe pipe = Pipe.open(duplex)) {
                pipe.second().send("first");
                pipe.second().sendBytes(new byte[60_000]); // most of the receive buffer
                pipe.second().send(3);
                pipe.second().close();
                assertEquals("first", pipe.first().recv());
                assertEquals(60_000, pipe.first().recvBytes().length);
                assertEquals(3, pipe.first().recv());
                assertThrows(EOFException.class, () -> pipe.first().recv());
                assertThrows(EOFException.class, () -> pipe.first().recvBytes());
                assertTrue(pipe.first().poll(), "end of stream counts as ready");
            }
        }
    }

    @Test
    void eofInTheMiddleOfAMessageThrowsEof() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(6);
            raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, 10);
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 6);
            pipe.second().close();
            assertThrows(EOFException.class, () -> pipe.first().recvBytes());
        }
    }

    @Test
    void afterATruncatedFrameEveryReceiveThrowsEof() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            // Header for 10 bytes, then only 6 of them (all zero: they must never be taken for
            // the header of an empty message), then end of stream.
            MemorySegment raw = arena.allocate(10);
            raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, 10);
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 10);
            pipe.second().close();
            assertThrows(EOFException.class, () -> pipe.first().recv());
            assertThrows(EOFException.class, () -> pipe.first().recv());
            assertThrows(EOFException.class, () -> pipe.first().recvBytes());
            assertThrows(EOFException.class, () -> pipe.first().recvBytesInto(new byte[64]));
            assertTrue(pipe.first().poll(), "end of stream is ready");
        }
    }

    // ------------------------------------------------------------------ limits and garbage

    @Test
    void recvBytesWithMaxLengthRefusesLongerMessageAndConnectionBecomesUnusable()
            throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.first().sendBytes(new byte[11]);
            pipe.first().sendBytes(new byte[1]);
            IOException e = assertThrows(IOException.class, () -> pipe.second().recvBytes(10));
            assertTrue(e.getMessage().contains("11"), e.getMessage());
            assertThrows(IOException.class, () -> pipe.second().recvBytes());
            assertThrows(IOException.class, () -> pipe.second().recv());
            assertThrows(IOException.class, () -> pipe.second().recvBytesInto(new byte[100]));
            // Sending the other way is unaffected.
            pipe.second().send("still sends");
            assertEquals("still sends", pipe.first().recv());
        }
    }

    @Test
    void recvBytesWithMaxLengthAcceptsMessageOfExactlyThatLength() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.first().sendBytes(new byte[10]);
            pipe.first().sendBytes(new byte[0]);
            assertEquals(10, pipe.second().recvBytes(10).length);
            assertEquals(0, pipe.second().recvBytes(0).length);
            assertThrows(IllegalArgumentException.class, () -> pipe.second().recvBytes(-1));
        }
    }

    @Test
    void maxFrameSizeRefusesLongerMessage() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.second().maxFrameSize(16);
            assertEquals(16, pipe.second().maxFrameSize());
            pipe.first().sendBytes(new byte[16]);
            pipe.first().sendBytes(new byte[17]);
            assertEquals(16, pipe.second().recvBytes().length);
            IOException e = assertThrows(IOException.class, () -> pipe.second().recvBytes());
            assertTrue(e.getMessage().contains("17"), e.getMessage());
            assertThrows(IOException.class, () -> pipe.second().recv());
            assertThrows(IllegalArgumentException.class, () -> pipe.second().maxFrameSize(0));
        }
    }

    @Test
    void defaultFrameLimitIsOneGibibyteAndRefusesAHugeHeaderAtOnce() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            assertEquals(1L << 30, pipe.first().maxFrameSize());
            MemorySegment raw = arena.allocate(4);
            raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, 0x7ffffff0);
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 4);
            IOException e = assertThrows(IOException.class, () -> pipe.first().recvBytesInto(new byte[64]));
            assertTrue(e.getMessage().contains(Integer.toString(0x7ffffff0))
                    && e.getMessage().contains("maxFrameSize"), e.getMessage());
        }
    }

    @Test
    void garbageHeaderThrowsIoExceptionNamingIt() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(4);
            raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, -2);
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 4);
            IOException e = assertThrows(IOException.class, () -> pipe.first().recvBytes());
            assertTrue(e.getMessage().contains("garbage") && e.getMessage().contains("-2"),
                    e.getMessage());
            IOException again = assertThrows(IOException.class, () -> pipe.first().recv());
            assertTrue(again.getMessage().contains("garbage"), again.getMessage());
        }
    }

    @Test
    void garbageLongHeaderThrowsIoExceptionNamingIt() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(12);
            raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, -1);
            raw.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, -1L);
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 12);
            IOException e = assertThrows(IOException.class, () -> pipe.first().recvBytes());
            assertTrue(e.getMessage().contains("garbage")
                    && e.getMessage().contains(Long.toUnsignedString(-1L)), e.getMessage());
        }
    }

    @Test
    void printableGarbageAboveFrameLimitIsRefusedWithoutAllocating() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            pipe.first().maxFrameSize(1 << 20);
            MemorySegment raw = arena.allocateFrom("GET / HTTP/1.0\r\n\r\n");
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 18);
            IOException e = assertThrows(IOException.class, () -> pipe.first().recvBytes());
            assertTrue(e.getMessage().contains(Integer.toString(0x47455420)), e.getMessage());
        }
    }

    @Test
    void largeFrameHeaderFormIsAccepted() throws Exception {
        try (Pipe pipe = Pipe.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(17);
            raw.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, -1);
            raw.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, 5L);
            raw.asSlice(12).copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5}));
            Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 17);
            pipe.second().sendBytes(new byte[] {6});
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, pipe.first().recvBytes());
            assertArrayEquals(new byte[] {6}, pipe.first().recvBytes());
        }
    }

    // ------------------------------------------------------------------ recvBytesInto

    @Test
    void recvBytesIntoTooShortBufferCarriesWholeMessageAndNextMessageStillArrives()
            throws Exception {
        try (Pipe pipe = Pipe.open()) {
            byte[] big = new byte[100];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            pipe.first().sendBytes(big);
            pipe.first().sendBytes(new byte[] {42, 43});
            byte[] small = new byte[10];
            BufferTooShortException e = assertThrows(BufferTooShortException.class,
                    () -> pipe.second().recvBytesInto(small));
            assertArrayEquals(big, e.message());
            assertArrayEquals(new byte[10], small, "the short buffer was not written");
            assertEquals(2, pipe.second().recvBytesInto(small));
            assertEquals(42, small[0]);
            assertEquals(43, small[1]);
        }
    }

    @Test
    void recvBytesIntoTooShortBufferWorksForMessagesBeyondTheReceiveBuffer() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            byte[] big = new byte[200_000];
            big[199_999] = 7;
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    pipe.first().sendBytes(big);
                    pipe.first().send("next");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            BufferTooShortException e = assertThrows(BufferTooShortException.class,
                    () -> pipe.second().recvBytesInto(new byte[1000]));
            assertArrayEquals(big, e.message());
            assertEquals("next", pipe.second().recv());
            sender.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    void recvBytesIntoWithOffsetWritesAtOffset() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.first().sendBytes(new byte[] {1, 2, 3});
            pipe.first().sendBytes(new byte[] {4, 5});
            pipe.first().sendBytes(new byte[0]);
            byte[] buf = new byte[6];
            assertEquals(3, pipe.second().recvBytesInto(buf, 3));
            assertArrayEquals(new byte[] {0, 0, 0, 1, 2, 3}, buf);
            // Only two bytes of room after offset 4: fits exactly.
            assertEquals(2, pipe.second().recvBytesInto(buf, 4));
            assertArrayEquals(new byte[] {0, 0, 0, 1, 4, 5}, buf);
            // Offset == length: room for an empty message only.
            assertEquals(0, pipe.second().recvBytesInto(buf, 6));
            assertThrows(IndexOutOfBoundsException.class, () -> pipe.second().recvBytesInto(buf, 7));
        }
    }

    @Test
    void recvBytesIntoWithOffsetTooShortThrows() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.first().sendBytes(new byte[] {1, 2, 3});
            byte[] buf = new byte[4];
            BufferTooShortException e = assertThrows(BufferTooShortException.class,
                    () -> pipe.second().recvBytesInto(buf, 2));
            assertArrayEquals(new byte[] {1, 2, 3}, e.message());
        }
    }

    // ------------------------------------------------------------------ polling and waiting

    @Test
    void pollIsFalseWhenEmptyTrueWithDataAndTrueAtEof() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            assertFalse(pipe.second().poll());
            assertFalse(pipe.second().poll(Duration.ofMillis(20)));
            pipe.first().send("x");
            assertTrue(pipe.second().poll());
            assertTrue(pipe.second().poll(), "polling does not consume");
            assertEquals("x", pipe.second().recv());
            assertFalse(pipe.second().poll());
            pipe.first().close();
            assertTrue(pipe.second().poll());
        }
    }

    @Test
    void pollIsTrueForMessageAlreadyBufferedLocally() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            pipe.first().send("a");
            pipe.first().send("b");
            assertEquals("a", pipe.second().recv()); // reads both into the receive buffer
            assertTrue(pipe.second().poll());
            assertEquals("b", pipe.second().recv());
            assertFalse(pipe.second().poll());
        }
    }

    @Test
    void pollWithTimeoutReturnsTrueWhenDataArrivesFromAnotherThread() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            CountDownLatch polling = new CountDownLatch(1);
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    polling.await();
                    Thread.sleep(50);
                    pipe.first().send("late");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            polling.countDown();
            assertTrue(pipe.second().poll(Duration.ofSeconds(WAIT_SECONDS)));
            assertEquals("late", pipe.second().recv());
            sender.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    void waitReturnsExactlyTheReadyConnectionsInOrder() throws Exception {
        try (Pipe a = Pipe.open(); Pipe b = Pipe.open(false); Pipe c = Pipe.open();
                Pipe d = Pipe.open()) {
            b.second().send("b");
            d.second().close(); // end of stream is ready too
            List<Connection> all = List.of(a.first(), b.first(), c.first(), d.first());
            assertEquals(List.of(b.first(), d.first()),
                    Connection.wait(all, Duration.ofSeconds(WAIT_SECONDS)));
            assertEquals(List.of(b.first(), d.first()), Connection.wait(all, null));
        }
    }

    @Test
    void waitIncludesLocallyBufferedAndSocketReadyConnections() throws Exception {
        try (Pipe a = Pipe.open(); Pipe b = Pipe.open(); Pipe c = Pipe.open()) {
            a.second().send(1);
            a.second().send(2);
            assertEquals(1, a.first().recv()); // message 2 is now in a's receive buffer
            c.second().send(3);
            List<Connection> all = List.of(a.first(), b.first(), c.first());
            assertEquals(List.of(a.first(), c.first()), Connection.wait(all, Duration.ZERO));
            assertEquals(2, a.first().recv());
            assertEquals(List.of(c.first()), Connection.wait(all, Duration.ZERO));
        }
    }

    @Test
    void waitReturnsEmptyAfterTimeoutWhenNothingIsReady() throws Exception {
        try (Pipe a = Pipe.open(); Pipe b = Pipe.open(false)) {
            List<Connection> all = List.of(a.first(), b.first(), a.second());
            assertEquals(List.of(), Connection.wait(all, Duration.ofMillis(30)));
            assertEquals(List.of(), Connection.wait(all, Duration.ZERO));
            assertThrows(IllegalArgumentException.class, () -> Connection.wait(List.of(), null));
            assertThrows(IllegalStateException.class,
                    () -> Connection.wait(List.of(b.second()), Duration.ZERO));
        }
    }

    // ------------------------------------------------------------------ handles

    @Test
    void aHandleSentBetweenMessagesArrivesInOrderAndWorks() throws Exception {
        try (Pipe pipe = Pipe.open(); Pipe carried = Pipe.open(false)) {
            Connection in = pipe.second().expectHandles();
            pipe.first().send("before");
            pipe.first().sendHandle(fd(carried.second()));
            pipe.first().send("after");
            assertEquals("before", in.recv());
            int handle = in.recvHandle();
            assertEquals("after", in.recv());
            assertTrue(handle != fd(carried.second()), "a new descriptor");
            try (Connection writer = new Connection(org.multiprocessing4j.platform.Handle.of(handle), false, true,
                    Codec.defaults())) {
                writer.send("through the handle");
            }
            assertEquals("through the handle", carried.first().recv());
        }
    }

    @Test
    void recvHandleWithNothingReadAheadNeedsNoPreparation() throws Exception {
        try (Pipe pipe = Pipe.open(); Pipe carried = Pipe.open(false)) {
            pipe.first().send("first");
            assertEquals("first", pipe.second().recv());
            pipe.first().sendHandle(fd(carried.first()));
            int handle = pipe.second().recvHandle();
            carried.second().send("x");
            List<Waitable> waitables = List.of(pipe.second(), Waitable.handle(handle));
            assertEquals(List.of(Waitable.handle(handle)),
                    Connection.wait(waitables, Duration.ofSeconds(WAIT_SECONDS)));
            try (Connection reader = new Connection(org.multiprocessing4j.platform.Handle.of(handle), true, false,
                    Codec.defaults())) {
                assertEquals("x", reader.recv());
            }
            assertThrows(IllegalArgumentException.class, () -> Waitable.handle(-1));
        }
    }

    @Test
    void recvHandleAfterReadingAheadUnpreparedThrowsInsteadOfHanging() throws Exception {
        try (Pipe pipe = Pipe.open(); Pipe carried = Pipe.open(false)) {
            pipe.first().send("m");
            pipe.first().sendHandle(fd(carried.first()));
            assertEquals("m", pipe.second().recv()); // read ahead over the handle: the kernel dropped it
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pipe.second().recvHandle());
            assertTrue(e.getMessage().contains("expectHandles"), e.getMessage());
        }
    }

    @Test
    void handlesNotYetReceivedAreClosedWithTheConnection() throws Exception {
        try (Pipe pipe = Pipe.open(); Pipe carried = Pipe.open(false)) {
            Connection in = pipe.second().expectHandles();
            pipe.first().sendHandle(fd(carried.second()));
            pipe.first().send("m");
            assertEquals("m", in.recv()); // the handle is queued meanwhile
            in.close();
            carried.second().close();
            assertTrue(carried.first().poll(Duration.ofSeconds(WAIT_SECONDS)));
            assertThrows(EOFException.class, () -> carried.first().recv(), "no copy of the write end is left");
        }
    }

    @Test
    void handlesNeedADuplexUnixConnection() throws Exception {
        try (Pipe oneWay = Pipe.open(false); Pipe duplex = Pipe.open()) {
            int any = fd(duplex.first());
            assertThrows(IllegalStateException.class, () -> oneWay.second().sendHandle(any));
            assertThrows(IllegalStateException.class, () -> oneWay.first().recvHandle());
            assertThrows(IllegalArgumentException.class, () -> duplex.first().sendHandle(-1));
            duplex.first().close();
            assertThrows(EOFException.class, () -> duplex.second().recvHandle());
        }
    }

    // ------------------------------------------------------------------ close

    @Test
    void useAfterCloseThrowsClosedChannelException() throws Exception {
        for (boolean duplex : new boolean[] {true, false}) {
            try (Pipe pipe = Pipe.open(duplex)) {
                Connection r = pipe.first();
                Connection w = pipe.second();
                r.close();
                w.close();
                assertTrue(r.isClosed() && w.isClosed());
                assertThrows(ClosedChannelException.class, () -> w.send("x"));
                assertThrows(ClosedChannelException.class, () -> w.sendBytes(new byte[1]));
                assertThrows(ClosedChannelException.class, r::recv);
                assertThrows(ClosedChannelException.class, r::recvBytes);
                assertThrows(ClosedChannelException.class, () -> r.recvBytesInto(new byte[1]));
                assertThrows(ClosedChannelException.class, r::poll);
                assertThrows(ClosedChannelException.class, () -> r.poll(Duration.ofMillis(1)));
                assertThrows(ClosedChannelException.class,
                        () -> Connection.wait(List.of(r), Duration.ZERO));
            }
        }
    }

    @Test
    void doubleCloseIsHarmless() throws Exception {
        Pipe pipe = Pipe.open();
        pipe.first().close();
        pipe.first().close();
        pipe.close();
        pipe.close();
        assertTrue(pipe.first().isClosed());
        assertTrue(pipe.second().isClosed());
        assertTrue(pipe.first().toString().contains("closed"));
    }

    @Test
    void closeFromAnotherThreadWakesThreadBlockedInRecvWithClosedChannelException()
            throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.first();
            CompletableFuture<Object> receiver = new CompletableFuture<>();
            Thread.ofPlatform().name("mp4j-recv-small").start(() -> {
                try {
                    receiver.complete(c.recv());
                } catch (Throwable e) {
                    receiver.complete(e);
                }
            });
            // Close once the receiver sleeps in read(); should /proc not show it, it sees the
            // closed state on entry instead — the outcome must be the same either way.
            awaitBlockedInSocketRead("mp4j-recv-small");
            c.close();
            Object outcome = receiver.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertInstanceOf(ClosedChannelException.class, outcome);
            // The peer sees end of stream.
            assertThrows(EOFException.class, () -> pipe.second().recv());
        }
    }

    @Test
    void closeFromAnotherThreadWakesThreadBlockedInLargeMessage() throws Exception {
        try (Pipe pipe = Pipe.open()) {
            Connection c = pipe.first();
            // Half a message: the receiver blocks reading the payload.
            pipe.second().sendBytes(new byte[10]);
            MemorySegment header = MemorySegment.ofArray(new byte[] {0, 1, 0, 0, 1, 2});
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment raw = arena.allocate(6).copyFrom(header);
                Platform.current().writeFully(pipe.second().descriptor().handle(), raw, 6);
            }
            assertEquals(10, c.recvBytes().length);
            CompletableFuture<Object> receiver = new CompletableFuture<>();
            Thread.ofPlatform().name("mp4j-recv-large").start(() -> {
                try {
                    receiver.complete(c.recvBytes());
                } catch (Throwable e) {
                    receiver.complete(e);
                }
            });
            awaitBlockedInSocketRead("mp4j-recv-large");
            c.close();
            assertInstanceOf(ClosedChannelException.class,
                    receiver.get(WAIT_SECONDS, TimeUnit.SECONDS));
        }
    }

    /**
     * Waits, for at most 10 s, until the thread named {@code name} sleeps in the kernel reading a
     * Unix-domain socket, as {@code /proc/self/task/<tid>/wchan} shows it.
     *
     * @return whether that state was seen (a kernel that hides wchan never shows it)
     */
    private static boolean awaitBlockedInSocketRead(String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
                         java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
                for (java.nio.file.Path task : tasks) {
                    try {
                        if (java.nio.file.Files.readString(task.resolve("comm")).strip().equals(name)
                                && java.nio.file.Files.readString(task.resolve("wchan")).startsWith("unix_stream")) {
                            return true;
                        }
                    } catch (IOException taskEnded) {
                        // another thread ended meanwhile
                    }
                }
            }
            Thread.sleep(2); // polling /proc for the state, not waiting for it to happen
        } while (System.nanoTime() - deadline < 0);
        return false;
    }

    @Test
    void concurrentSendersNeverInterleaveMessages() throws Exception {
        int threads = 4;
        int each = 200;
        try (Pipe pipe = Pipe.open()) {
            List<CompletableFuture<Void>> senders = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                byte fill = (byte) t;
                senders.add(CompletableFuture.runAsync(() -> {
                    byte[] msg = new byte[5000 + fill * 1000];
                    java.util.Arrays.fill(msg, fill);
                    try {
                        for (int i = 0; i < each; i++) {
                            pipe.first().sendBytes(msg);
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            int[] counts = new int[threads];
            for (int i = 0; i < threads * each; i++) {
                byte[] m = pipe.second().recvBytes();
                int t = m[0];
                assertEquals(5000 + t * 1000, m.length);
                for (byte x : m) {
                    assertEquals(t, x);
                }
                counts[t]++;
            }
            for (CompletableFuture<Void> s : senders) {
                s.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }
            for (int count : counts) {
                assertEquals(each, count);
            }
        }
    }

    /** {@return the descriptor number behind {@code c}, as the public API's raw handles are} */
    private static int fd(Connection c) {
        return (int) c.descriptor().handle().value();
    }
}
