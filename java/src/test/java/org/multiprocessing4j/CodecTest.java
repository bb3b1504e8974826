package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CodecTest {

    record Point(int x, long y, String label) implements Serializable {
    }

    record Node(Node next) implements Serializable {
    }

    static final class Holder implements Serializable {
        final Object payload;

        Holder(Object payload) {
            this.payload = payload;
        }
    }

    static final class NotSerializable {
    }

    private final Codec codec = Codec.defaults();
    private final ByteSink sink = new ByteSink(16);

    @AfterEach
    void closeSink() {
        sink.close();
    }

    private Object roundTrip(Codec c, Object value) throws CodecException {
        sink.reset();
        c.encode(value, sink);
        return c.decode(sink.segment());
    }

    private Object roundTrip(Object value) throws CodecException {
        return roundTrip(codec, value);
    }

    private byte[] encoded(Object value) throws CodecException {
        sink.reset();
        codec.encode(value, sink);
        return sink.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    private static MemorySegment heap(byte[] bytes) {
        return MemorySegment.ofArray(bytes);
    }

    private static MemorySegment heap(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return MemorySegment.ofArray(bytes);
    }

    @Test
    void nullRoundTripsAsOneTagByte() throws CodecException {
        assertNull(roundTrip(null));
        assertArrayEquals(new byte[] {0x00}, encoded(null));
    }

    @Test
    void byteArraysRoundTripIncludingEmpty() throws CodecException {
        assertArrayEquals(new byte[0], (byte[]) roundTrip(new byte[0]));
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        assertArrayEquals(data, (byte[]) roundTrip(data));
    }

    @Test
    void stringsRoundTripIncludingEmptyNonAsciiAndHuge() throws CodecException {
        assertEquals("", roundTrip(""));
        String mixed = "héllo wörld — 日本語 \u0000 😀 Ω";
        assertEquals(mixed, roundTrip(mixed));
        String huge = mixed.repeat(200_000); // ~ 6 M chars, > 10 MB of UTF-8
        assertEquals(huge, roundTrip(huge));
    }

    @Test
    void stringsAreEncodedAsTaggedUtf8() throws CodecException {
        assertArrayEquals(new byte[] {0x02, 0, 0, 0, 3, 'a', (byte) 0xC3, (byte) 0xA9}, encoded("aé"));
    }

    @Test
    void stringWithUnpairedSurrogateRoundTripsUnchanged() throws CodecException {
        String lone = "a\uD800b\uDC00c";
        assertEquals(lone, roundTrip(lone));
    }

    @Test
    void boxedPrimitivesRoundTripWithTheirType() throws CodecException {
        List<Object> values = List.of(0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, 42L,
                (short) -2, (byte) 0x7F, 'x', '\uFFFF', 1.5f, Float.NaN, -0.0d, Double.MAX_VALUE,
                true, false);
        for (Object v : values) {
            Object back = roundTrip(v);
            assertEquals(v, back, () -> "value " + v);
            assertEquals(v.getClass(), back.getClass());
        }
        assertArrayEquals(new byte[] {0x03, 0x12, 0x34, 0x56, 0x78}, encoded(0x12345678));
        assertEquals(1, encoded(true).length);
    }

    @Test
    void nanPayloadOfDoubleIsPreserved() throws CodecException {
        double odd = Double.longBitsToDouble(0x7FF8_0000_0000_1234L);
        assertEquals(Double.doubleToRawLongBits(odd), Double.doubleToRawLongBits((Double) roundTrip(odd)));
    }

    @Test
    void memorySegmentDecodesToHeapCopyOfItsBytes() throws CodecException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(10);
            for (int i = 0; i < 10; i++) {
                native_.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            MemorySegment back = (MemorySegment) roundTrip(native_);
            assertTrue(back.heapBase().isPresent());
            assertInstanceOf(byte[].class, back.heapBase().get());
            assertEquals(-1, native_.mismatch(back));
        }
    }

    @Test
    void recordOfFastPathComponentsRoundTripsAsRecord() throws CodecException {
        Point p = new Point(7, 1L << 40, "p");
        assertEquals(p, roundTrip(p));
        assertEquals(0x0E, encoded(p)[0]); // CodecRecordTest covers the RECORD tag
    }

    @Test
    void otherSerializableObjectsRoundTripThroughJavaSerialization() throws CodecException {
        Holder h = (Holder) roundTrip(new Holder(new Point(1, 2, "in a holder")));
        assertEquals(new Point(1, 2, "in a holder"), h.payload);
        assertEquals(0x0D, encoded(new Holder("x"))[0]);
    }

    @Test
    void collectionsRoundTrip() throws CodecException {
        List<Object> list = new ArrayList<>(List.of("a", 1, new Point(1, 2, "c")));
        assertEquals(list, roundTrip(list));
    }

    @Test
    void serializableLambdaRoundTripsAndRuns() throws CodecException {
        String captured = "world";
        Supplier<String> lambda = (Supplier<String> & Serializable) () -> "hello " + captured;
        @SuppressWarnings("unchecked")
        Supplier<String> back = (Supplier<String>) roundTrip(lambda);
        assertEquals("hello world", back.get());
    }

    @Test
    void nonSerializableValueThrowsAndLeavesSinkUnchanged() throws CodecException {
        sink.reset();
        sink.writeInt(0xCAFEBABE);
        sink.writeByte(1);
        long before = sink.size();
        CodecException e = assertThrows(CodecException.class,
                () -> codec.encode(new Holder(new NotSerializable()), sink));
        assertEquals(before, sink.size());
        assertTrue(e.getMessage().contains(NotSerializable.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains(Holder.class.getName()), e.getMessage());
        assertEquals(0xCAFEBABE, sink.segment().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(
                java.nio.ByteOrder.BIG_ENDIAN), 0));
    }

    @Test
    void nonSerializableLambdaThrows() {
        Function<String, String> plain = s -> s;
        assertThrows(CodecException.class, () -> codec.encode(plain, sink));
        assertEquals(0, sink.size());
    }

    @Test
    void encodeThatOverflowsTheSinkThrowsAndLeavesSinkUnchanged() throws CodecException {
        try (ByteSink small = new ByteSink(8, 64)) {
            small.writeByte(9);
            CodecException e = assertThrows(CodecException.class, () -> codec.encode(new byte[100], small));
            assertTrue(e.getMessage().contains("maximum capacity"), e.getMessage());
            assertEquals(1, small.size());
            assertThrows(CodecException.class, () -> codec.encode(new Point(1, 2, "x".repeat(100)), small));
            assertEquals(1, small.size());
        }
    }

    @Test
    void allowListRejectsClassNotOnIt() throws CodecException {
        Codec strict = Codec.builder().allow("java.lang.String").build();
        for (Object v : List.of(new Point(1, 2, "x"), new Holder("x"))) { // RECORD, SERIALIZED
            sink.reset();
            strict.encode(v, sink);
            CodecException e = assertThrows(CodecException.class, () -> strict.decode(sink.segment()));
            assertTrue(e.getMessage().contains(v.getClass().getName()), e.getMessage());
            assertTrue(e.getMessage().contains("allow("), e.getMessage());
        }
    }

    @Test
    void allowListAdmitsClassesOnIt() throws CodecException {
        Codec strict = Codec.builder().allow(Point.class.getName()).build();
        Point p = new Point(1, 2, "x");
        assertEquals(p, roundTrip(strict, p));
        assertEquals("fast paths ignore the allow-list", roundTrip(strict, "fast paths ignore the allow-list"));
    }

    @Test
    void allowListJudgesObjectArraysByElementAndAdmitsPrimitiveArrays() throws CodecException {
        Codec strict = Codec.builder().allow(Point.class.getName()).build();
        Point[] points = {new Point(1, 2, "a")};
        assertArrayEquals(points, (Point[]) roundTrip(strict, points));
        int[] ints = {1, 2, 3};
        assertArrayEquals(ints, (int[]) roundTrip(strict, ints));
        assertThrows(CodecException.class, () -> roundTrip(strict, new Node[] {new Node(null)}));
    }

    @Test
    void malformedAllowListPatternIsRejectedByTheBuilder() {
        assertThrows(IllegalArgumentException.class, () -> Codec.builder().allow("maxdepth=x"));
        assertThrows(IllegalArgumentException.class, () -> Codec.builder().allow(""));
    }

    @Test
    void graphDeeperThanTheLimitIsRejectedWithHowToRaiseIt() throws CodecException {
        Node chain = null;
        for (int i = 0; i < 100; i++) {
            chain = new Node(chain);
        }
        codec.encode(chain, sink);
        CodecException e = assertThrows(CodecException.class, () -> codec.decode(sink.segment()));
        assertTrue(e.getMessage().contains("depth"), e.getMessage());
        assertTrue(e.getMessage().contains("maxDepth"), e.getMessage());

        Codec deep = Codec.builder().maxDepth(500).build();
        assertEquals(chain, deep.decode(sink.segment()));
    }

    @Test
    void arrayLongerThanTheLimitIsRejected() throws CodecException {
        Codec small = Codec.builder().maxArrayLength(10).build();
        small.encode(new long[11], sink);
        CodecException e = assertThrows(CodecException.class, () -> small.decode(sink.segment()));
        assertTrue(e.getMessage().contains("maxArrayLength"), e.getMessage());
    }

    @Test
    void tooManyReferencesAreRejected() throws CodecException {
        Codec small = Codec.builder().maxReferences(50).build();
        List<Point> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(new Point(i, i, "p" + i));
        }
        small.encode(many, sink);
        CodecException e = assertThrows(CodecException.class, () -> small.decode(sink.segment()));
        assertTrue(e.getMessage().contains("maxReferences"), e.getMessage());
    }

    @Test
    void classesResolveThroughTheThreadContextClassLoader() throws Exception {
        for (Object v : List.of(new Point(1, 2, "x"), new Holder(new Point(1, 2, "x")))) { // RECORD, SERIALIZED
            sink.reset();
            codec.encode(v, sink);
            Thread t = Thread.currentThread();
            ClassLoader saved = t.getContextClassLoader();
            ClassLoader empty = new ClassLoader(null) {
            };
            t.setContextClassLoader(empty);
            try {
                CodecException e = assertThrows(CodecException.class, () -> codec.decode(sink.segment()));
                assertTrue(e.getMessage().contains("not found"), e.getMessage());
            } finally {
                t.setContextClassLoader(saved);
            }
            t.setContextClassLoader(null);
            try {
                Object back = codec.decode(sink.segment());
                assertEquals(new Point(1, 2, "x"), back instanceof Holder h ? h.payload : back);
            } finally {
                t.setContextClassLoader(saved);
            }
        }
    }

    @Test
    void unknownTagThrows() {
        CodecException e = assertThrows(CodecException.class, () -> codec.decode(heap(0x7E, 1, 2)));
        assertTrue(e.getMessage().contains("0x7E"), e.getMessage());
    }

    @Test
    void emptyInputThrows() {
        assertThrows(CodecException.class, () -> codec.decode(MemorySegment.NULL));
        assertThrows(CodecException.class, () -> codec.decode(heap(new byte[0])));
    }

    @Test
    void truncatedPayloadThrows() throws CodecException {
        for (Object v : List.of(123, 5L, (short) 1, 'c', 2.0, 1f, (byte) 1, "hello", new byte[] {1, 2, 3},
                new Point(1, 2, "x"), new Holder("x"), MemorySegment.ofArray(new byte[] {4, 5}))) {
            byte[] whole = encoded(v);
            for (int cut = 1; cut < whole.length; cut++) {
                byte[] part = java.util.Arrays.copyOf(whole, cut);
                int at = cut;
                assertThrows(CodecException.class, () -> codec.decode(heap(part)),
                        () -> v + " cut at " + at);
            }
        }
    }

    @Test
    void trailingBytesThrow() throws CodecException {
        for (Object v : List.of(123, "hello", new byte[] {1}, new Point(1, 2, "x"), new Holder("x"), true)) {
            byte[] whole = encoded(v);
            byte[] longer = java.util.Arrays.copyOf(whole, whole.length + 1);
            assertThrows(CodecException.class, () -> codec.decode(heap(longer)), () -> "after " + v);
        }
    }

    @Test
    void negativeLengthThrows() {
        assertThrows(CodecException.class, () -> codec.decode(heap(0x01, 0xFF, 0xFF, 0xFF, 0xFF)));
        assertThrows(CodecException.class, () -> codec.decode(heap(0x0C, 0x80, 0, 0, 0, 0, 0, 0, 0)));
    }

    @Test
    void garbageSerializationStreamThrows() {
        assertThrows(CodecException.class, () -> codec.decode(heap(0x0D, 1, 2, 3, 4, 5, 6)));
    }

    @Test
    void decodeReadsFromNativeSegments() throws CodecException {
        codec.encode(new Point(3, 4, "native"), sink);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(sink.size());
            copy.copyFrom(sink.segment());
            assertEquals(new Point(3, 4, "native"), codec.decode(copy));
        }
    }

    @Test
    void encodingAppendsAfterExistingBytes() throws CodecException {
        sink.reset();
        long header = sink.skip(4);
        codec.encode("x", sink);
        sink.writeIntAt(header, (int) (sink.size() - 4));
        assertEquals(6, sink.segment().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0));
        assertEquals("x", codec.decode(sink.segment().asSlice(4)));
    }

    @Test
    void defaultCodecIsUsableFromManyThreads() throws Exception {
        Thread[] threads = new Thread[4];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads.length; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                try (ByteSink own = new ByteSink(32)) {
                    for (int i = 0; i < 500; i++) {
                        own.reset();
                        Point p = new Point(id, i, "t" + id);
                        codec.encode(p, own);
                        assertEquals(p, codec.decode(own.segment()));
                    }
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw new AssertionError(failure[0]);
            }
        }
    }
}
