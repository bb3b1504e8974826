package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RECORD fast path of the default codec (tag 0x0E). */
class CodecRecordTest {

    private static final byte RECORD = 0x0E;
    private static final byte SERIALIZED = 0x0D;

    /** Constructions of {@link Counted}, {@link Wrapper}, {@link Pair}, {@link Other}, {@link Untouched}. */
    static final AtomicInteger CONSTRUCTED = new AtomicInteger();
    /** Static initializations of {@link Untouched}. */
    static final AtomicInteger INITIALIZED = new AtomicInteger();

    record Sample(int id, long stamp, String name) implements Serializable {
    }

    record AllKinds(boolean z, byte b, char c, short s, int i, long j, float f, double d,
            Boolean bz, Byte bb, Character bc, Short bs, Integer bi, Long bj, Float bf, Double bd,
            String str, byte[] bytes) implements Serializable {
    }

    record Inner(String label, int n) implements Serializable {
    }

    record Outer(Inner left, long id, Inner right) implements Serializable {
    }

    record Node(int value, Node next) implements Serializable {
    }

    record Empty() implements Serializable {
    }

    record Counted(int x) implements Serializable {
        Counted {
            CONSTRUCTED.incrementAndGet();
        }
    }

    record Other(int y) implements Serializable {
        Other {
            CONSTRUCTED.incrementAndGet();
        }
    }

    record Wrapper(String s, Counted counted) implements Serializable {
        Wrapper {
            CONSTRUCTED.incrementAndGet();
        }
    }

    record Pair(Counted first, Other second) implements Serializable {
        Pair {
            CONSTRUCTED.incrementAndGet();
        }
    }

    /** Never constructed by these tests except by decoding crafted bytes. */
    record Untouched(int x) implements Serializable {
        static {
            INITIALIZED.incrementAndGet();
        }

        Untouched {
            CONSTRUCTED.incrementAndGet();
        }
    }

    record Positive(int x) implements Serializable {
        Positive {
            if (x <= 0) {
                throw new IllegalArgumentException("x must be positive, got " + x);
            }
        }
    }

    record WithList(int id, List<String> tags) implements Serializable {
    }

    record WithObject(Object any) implements Serializable {
    }

    record HoldsSlowRecord(String name, WithList inner) implements Serializable {
    }

    record NotSerializableRecord(int x) {
    }

    record HoldsNotSerializableRecord(NotSerializableRecord inner) implements Serializable {
    }

    record Resolving(int x) implements Serializable {
        @Serial
        private Object readResolve() {
            return new Resolving(x + 1000);
        }
    }

    record ThrowingAccessor(String secret) implements Serializable {
        @Override
        public String secret() {
            throw new UnsupportedOperationException("accessor called");
        }
    }

    record Bytes2(byte[] a, byte[] b) implements Serializable {
    }

    record Evolved(int x) implements Serializable {
    }

    static final class NotARecord implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final Codec codec = Codec.defaults();
    private final ByteSink sink = new ByteSink(16);

    @BeforeEach
    void resetCounters() {
        CONSTRUCTED.set(0);
    }

    @AfterEach
    void closeSink() {
        sink.close();
    }

    private byte[] encoded(Codec c, Object value) throws CodecException {
        sink.reset();
        c.encode(value, sink);
        return sink.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    private byte[] encoded(Object value) throws CodecException {
        return encoded(codec, value);
    }

    private Object roundTrip(Object value) throws CodecException {
        return codec.decode(MemorySegment.ofArray(encoded(value)));
    }

    private static Object decode(Codec c, byte[] bytes) throws CodecException {
        return c.decode(MemorySegment.ofArray(bytes));
    }

    /** The fingerprint the codec writes: FNV-1a 64 of "name type;" per component. */
    private static long fingerprint(Class<?> type) {
        StringBuilder sb = new StringBuilder();
        for (var component : type.getRecordComponents()) {
            sb.append(component.getName()).append(' ').append(component.getType().getName()).append(';');
        }
        long h = 0xcbf29ce484222325L;
        for (byte b : sb.toString().getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Writes a RECORD header: tag, class name, fingerprint. */
    private static DataOutputStream header(ByteArrayOutputStream buffer, String className, long fingerprint)
            throws IOException {
        DataOutputStream out = new DataOutputStream(buffer);
        out.writeByte(RECORD);
        byte[] name = className.getBytes(StandardCharsets.UTF_8);
        out.writeShort(name.length);
        out.write(name);
        out.writeLong(fingerprint);
        return out;
    }

    private static byte[] craftedIntRecord(Class<?> type, int x) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DataOutputStream out = header(buffer, type.getName(), fingerprint(type));
        out.writeByte(0x03);
        out.writeInt(x);
        return buffer.toByteArray();
    }

    private static void assertMessageContains(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + part + "' not in: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------ round trips

    @Test
    void sampleRoundTripsOnTheFastPathWithTheDocumentedLayout() throws IOException {
        Sample s = new Sample(42, 1_700_000_000_000L, "sample-record");
        assertEquals(s, roundTrip(s));

        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DataOutputStream out = header(buffer, Sample.class.getName(), fingerprint(Sample.class));
        out.writeByte(0x03);
        out.writeInt(42);
        out.writeByte(0x04);
        out.writeLong(1_700_000_000_000L);
        out.writeByte(0x02);
        out.writeInt(13);
        out.write("sample-record".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(buffer.toByteArray(), encoded(s));
    }

    @Test
    void everyComponentKindRoundTripsExactly() throws CodecException {
        double oddNaN = Double.longBitsToDouble(0x7FF8_0000_0000_1234L);
        byte[] bytes = {1, 2, 3, -1};
        AllKinds a = new AllKinds(true, (byte) -7, '\uD800', (short) -300, Integer.MIN_VALUE, Long.MAX_VALUE,
                Float.NaN, oddNaN, false, (byte) 5, 'é', (short) 9, 77, -1L, -0.0f, 1e300,
                "héllo 😀", bytes);
        assertEquals(RECORD, encoded(a)[0]);
        AllKinds back = (AllKinds) roundTrip(a);
        assertEquals(a.z(), back.z());
        assertEquals(a.b(), back.b());
        assertEquals(a.c(), back.c());
        assertEquals(a.s(), back.s());
        assertEquals(a.i(), back.i());
        assertEquals(a.j(), back.j());
        assertEquals(Float.floatToRawIntBits(a.f()), Float.floatToRawIntBits(back.f()));
        assertEquals(Double.doubleToRawLongBits(oddNaN), Double.doubleToRawLongBits(back.d()));
        assertEquals(a.bz(), back.bz());
        assertEquals(a.bb(), back.bb());
        assertEquals(a.bc(), back.bc());
        assertEquals(a.bs(), back.bs());
        assertEquals(a.bi(), back.bi());
        assertEquals(a.bj(), back.bj());
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back.bf()));
        assertEquals(a.bd(), back.bd());
        assertEquals(a.str(), back.str());
        assertArrayEquals(bytes, back.bytes());
    }

    @Test
    void nullComponentsRoundTrip() throws CodecException {
        AllKinds a = new AllKinds(false, (byte) 0, 'x', (short) 0, 0, 0L, 0f, 0d,
                null, null, null, null, null, null, null, null, null, null);
        AllKinds back = (AllKinds) roundTrip(a);
        assertEquals(a, back); // the only array is null, so record equality is exact here
        assertEquals(new Sample(1, 2, null), roundTrip(new Sample(1, 2, null)));
        assertEquals(new Outer(null, 3, null), roundTrip(new Outer(null, 3, null)));
    }

    @Test
    void nestedRecordsRoundTrip() throws CodecException {
        Outer o = new Outer(new Inner("l", 1), 99, new Inner("r", 2));
        byte[] bytes = encoded(o);
        assertEquals(RECORD, bytes[0]);
        assertEquals(o, roundTrip(o));

        Node chain = null;
        for (int i = 0; i < 50; i++) {
            chain = new Node(i, chain);
        }
        assertEquals(RECORD, encoded(chain)[0]);
        assertEquals(chain, roundTrip(chain));
    }

    @Test
    void recordWithoutComponentsRoundTrips() throws CodecException {
        assertEquals(new Empty(), roundTrip(new Empty()));
        assertEquals(RECORD, encoded(new Empty())[0]);
    }

    @Test
    void sharedArraysDecodeAsSeparateCopies() throws CodecException {
        byte[] shared = {1, 2};
        Bytes2 back = (Bytes2) roundTrip(new Bytes2(shared, shared));
        assertArrayEquals(shared, back.a());
        assertArrayEquals(shared, back.b());
        assertTrue(back.a() != back.b());
    }

    @Test
    void fieldsAreReadNotAccessors() throws CodecException {
        ThrowingAccessor t = new ThrowingAccessor("s3cret");
        assertEquals(RECORD, encoded(t)[0]);
        assertEquals(t, roundTrip(t)); // Record.equals compares the fields
    }

    @Test
    void decodesFromNativeMemoryAndAfterAPrefix() throws CodecException {
        Sample s = new Sample(3, 4, "native");
        byte[] bytes = encoded(s);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment copy = arena.allocate(bytes.length + 7);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, copy, 7, bytes.length);
            assertEquals(s, codec.decode(copy.asSlice(7)));
        }
    }

    // -------------------------------------------------------------------------------- fallbacks

    @Test
    void recordsWithOtherComponentTypesFallBackToSerialization() throws CodecException {
        WithList l = new WithList(1, List.of("a", "b"));
        assertEquals(SERIALIZED, encoded(l)[0]);
        assertEquals(l, roundTrip(l));

        WithObject o = new WithObject("a string in an Object component");
        assertEquals(SERIALIZED, encoded(o)[0]);
        assertEquals(o, roundTrip(o));

        HoldsSlowRecord h = new HoldsSlowRecord("n", l);
        assertEquals(SERIALIZED, encoded(h)[0]);
        assertEquals(h, roundTrip(h));
    }

    @Test
    void stringWithUnpairedSurrogateMakesTheWholeRecordSerialized() throws CodecException {
        Outer o = new Outer(new Inner("ok", 1), 2, new Inner("a\uD800b", 3));
        assertEquals(SERIALIZED, encoded(o)[0]);
        assertEquals(o, roundTrip(o));
        Sample s = new Sample(1, 2, "\uDC00");
        assertEquals(SERIALIZED, encoded(s)[0]);
        assertEquals(s, roundTrip(s));
    }

    @Test
    void recordWithReadResolveKeepsJavaSerializationSemantics() throws CodecException {
        assertEquals(SERIALIZED, encoded(new Resolving(1))[0]);
        assertEquals(new Resolving(1001), roundTrip(new Resolving(1)));
    }

    @Test
    void nonSerializableRecordsAreStillRejectedAtEncode() throws CodecException {
        sink.reset();
        sink.writeByte(0x55);
        CodecException e = assertThrows(CodecException.class, () -> codec.encode(new NotSerializableRecord(1), sink));
        assertMessageContains(e, NotSerializableRecord.class.getName(), "Serializable");
        assertEquals(1, sink.size());
        e = assertThrows(CodecException.class,
                () -> codec.encode(new HoldsNotSerializableRecord(new NotSerializableRecord(1)), sink));
        assertMessageContains(e, NotSerializableRecord.class.getName());
        assertEquals(1, sink.size());
    }

    @Test
    void encodeThatOverflowsTheSinkLeavesItUnchanged() throws CodecException {
        try (ByteSink small = new ByteSink(8, 64)) {
            small.writeByte(9);
            assertThrows(CodecException.class, () -> codec.encode(new Sample(1, 2, "x".repeat(100)), small));
            assertEquals(1, small.size());
        }
    }

    // ---------------------------------------------------------------------------- the filter

    @Test
    void classNotOnTheAllowListIsRejectedBeforeAnythingIsConstructed() throws CodecException {
        byte[] bytes = encoded(new Counted(1));
        assertEquals(RECORD, bytes[0]);
        CONSTRUCTED.set(0);
        Codec strict = Codec.builder().allow("java.lang.String").build();
        CodecException e = assertThrows(CodecException.class, () -> decode(strict, bytes));
        assertMessageContains(e, Counted.class.getName(), "allow(");
        assertEquals(0, CONSTRUCTED.get());

        Codec allowing = Codec.builder().allow(Counted.class.getName()).build();
        assertEquals(new Counted(1), decode(allowing, bytes));
    }

    @Test
    void nestedClassNotOnTheAllowListIsRejectedBeforeAnythingIsConstructed() throws CodecException {
        byte[] wrapper = encoded(new Wrapper("w", new Counted(2)));
        byte[] pair = encoded(new Pair(new Counted(1), new Other(2)));
        CONSTRUCTED.set(0);
        Codec strict = Codec.builder().allow(Wrapper.class.getName(), Pair.class.getName(),
                Counted.class.getName()).build();
        assertEquals(new Wrapper("w", new Counted(2)), decode(strict, wrapper));
        CONSTRUCTED.set(0);
        // Pair's first component (Counted) is allowed and read before Other is rejected: still
        // nothing is constructed, because construction starts only after the whole value passed.
        CodecException e = assertThrows(CodecException.class, () -> decode(strict, pair));
        assertMessageContains(e, Other.class.getName(), "allow(");
        assertEquals(0, CONSTRUCTED.get());

        Codec noCounted = Codec.builder().allow(Wrapper.class.getName()).build();
        e = assertThrows(CodecException.class, () -> decode(noCounted, wrapper));
        assertMessageContains(e, Counted.class.getName());
        assertEquals(0, CONSTRUCTED.get());
    }

    @Test
    void rejectedClassIsNeitherInitializedNorConstructed() throws Exception {
        byte[] bytes = craftedIntRecord(Untouched.class, 5);
        Codec strict = Codec.builder().allow("java.lang.String").build();
        CodecException e = assertThrows(CodecException.class, () -> decode(strict, bytes));
        assertMessageContains(e, Untouched.class.getName(), "allow(");
        assertEquals(0, INITIALIZED.get());
        assertEquals(0, CONSTRUCTED.get());

        Object back = decode(codec, bytes);
        assertEquals(1, INITIALIZED.get());
        assertEquals(1, CONSTRUCTED.get());
        assertEquals(new Untouched(5), back);
    }

    @Test
    void depthLimitAppliesToNestedRecords() throws CodecException {
        Node chain = null;
        for (int i = 0; i < 100; i++) {
            chain = new Node(i, chain);
        }
        byte[] bytes = encoded(chain);
        CodecException e = assertThrows(CodecException.class, () -> decode(codec, bytes));
        assertMessageContains(e, "depth", "maxDepth");
        assertEquals(chain, decode(Codec.builder().maxDepth(100).build(), bytes));
        assertThrows(CodecException.class, () -> decode(Codec.builder().maxDepth(99).build(), bytes));
    }

    @Test
    void referenceLimitApplies() throws CodecException {
        Node chain = null;
        for (int i = 0; i < 20; i++) {
            chain = new Node(i, chain);
        }
        byte[] bytes = encoded(chain);
        CodecException e = assertThrows(CodecException.class,
                () -> decode(Codec.builder().maxReferences(10).build(), bytes));
        assertMessageContains(e, "maxReferences");
    }

    @Test
    void arrayLengthLimitAppliesToByteArrayComponents() throws CodecException {
        byte[] bytes = encoded(new Bytes2(new byte[11], new byte[1]));
        CodecException e = assertThrows(CodecException.class,
                () -> decode(Codec.builder().maxArrayLength(10).build(), bytes));
        assertMessageContains(e, "maxArrayLength");
        assertInstanceOf(Bytes2.class, decode(Codec.builder().maxArrayLength(11).build(), bytes));
    }

    // --------------------------------------------------------------------- construction fails

    @Test
    void canonicalConstructorRunsAndItsExceptionIsTheCause() throws IOException {
        CodecException e = assertThrows(CodecException.class, () -> decode(codec, craftedIntRecord(Positive.class, -1)));
        IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals("x must be positive, got -1", cause.getMessage());
        assertMessageContains(e, Positive.class.getName(), "x must be positive");
        assertEquals(new Positive(1), decode(codec, craftedIntRecord(Positive.class, 1)));
    }

    // --------------------------------------------------------------------------- bad input

    @Test
    void everyTruncationThrowsAndConstructsNothing() throws CodecException {
        for (Object v : List.of(new Sample(1, 2, "abc"), new Counted(7),
                new Wrapper("w", new Counted(1)), new Bytes2(new byte[] {1}, null),
                new AllKinds(true, (byte) 1, 'c', (short) 2, 3, 4L, 5f, 6d, true, (byte) 1, 'c', (short) 2, 3, 4L,
                        5f, 6d, "s", new byte[] {9}))) {
            byte[] whole = encoded(v);
            assertEquals(RECORD, whole[0]);
            CONSTRUCTED.set(0);
            for (int cut = 1; cut < whole.length; cut++) {
                byte[] part = Arrays.copyOf(whole, cut);
                int at = cut;
                CodecException e = assertThrows(CodecException.class, () -> decode(codec, part),
                        () -> v + " cut at " + at);
                assertMessageContains(e, "truncated RECORD");
            }
            assertEquals(0, CONSTRUCTED.get());
        }
    }

    @Test
    void trailingBytesThrow() throws CodecException {
        byte[] whole = encoded(new Sample(1, 2, "x"));
        CodecException e = assertThrows(CodecException.class,
                () -> decode(codec, Arrays.copyOf(whole, whole.length + 1)));
        assertMessageContains(e, "trailing");
    }

    @Test
    void garbageAfterTheTagOnlyEverThrowsCodecException() throws CodecException {
        Random random = new Random(20_250_101);
        byte[] valid = encoded(new Outer(new Inner("l", 1), 2, new Inner("r", 3)));
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes;
            if (round % 2 == 0) { // random bytes
                bytes = new byte[1 + random.nextInt(64)];
                random.nextBytes(bytes);
                bytes[0] = RECORD;
            } else { // a valid value with a few bytes flipped
                bytes = valid.clone();
                for (int k = 1 + random.nextInt(3); k > 0; k--) {
                    int at = 1 + random.nextInt(bytes.length - 1);
                    bytes[at] = (byte) random.nextInt(256);
                }
            }
            try {
                decode(codec, bytes);
            } catch (CodecException expected) {
                assertNotNull(expected.getMessage());
            } catch (RuntimeException | Error e) {
                fail("decoding " + Arrays.toString(bytes) + " threw " + e, e);
            }
        }
    }

    @Test
    void wrongComponentTagsAreRejected() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DataOutputStream out = header(buffer, Counted.class.getName(), fingerprint(Counted.class));
        out.writeByte(0x00); // NULL for an int component
        CodecException e = assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()));
        assertMessageContains(e, "int x", "NULL");

        buffer.reset();
        out = header(buffer, Counted.class.getName(), fingerprint(Counted.class));
        out.writeByte(0x04); // LONG for an int component
        out.writeLong(1);
        e = assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()));
        assertMessageContains(e, "int x", "LONG");

        buffer.reset();
        out = header(buffer, Counted.class.getName(), fingerprint(Counted.class));
        out.writeByte(0x7F); // no such tag
        e = assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()));
        assertMessageContains(e, "0x7F");
        assertEquals(0, CONSTRUCTED.get());
    }

    @Test
    void nestedRecordOfAnotherClassIsRejected() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DataOutputStream out = header(buffer, Wrapper.class.getName(), fingerprint(Wrapper.class));
        out.writeByte(0x00); // s = null
        byte[] other = craftedIntRecord(Other.class, 1); // same shape as Counted, other class
        out.write(other);
        CodecException e = assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()));
        assertMessageContains(e, Other.class.getName());
        assertEquals(0, CONSTRUCTED.get());
    }

    @Test
    void fingerprintMismatchIsRejected() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DataOutputStream out = header(buffer, Evolved.class.getName(), fingerprint(Evolved.class) ^ 1);
        out.writeByte(0x03);
        out.writeInt(1);
        CodecException e = assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()));
        assertMessageContains(e, Evolved.class.getName(), "int x", "same version");
    }

    @Test
    void unknownClassNameIsRejected() throws IOException {
        byte[] bytes = craftedIntRecord(Counted.class, 1);
        String name = Counted.class.getName();
        String missing = name.substring(0, name.length() - 1) + "X"; // same length, no such class
        byte[] patched = new String(bytes, StandardCharsets.ISO_8859_1)
                .replace(name, missing).getBytes(StandardCharsets.ISO_8859_1);
        CodecException e = assertThrows(CodecException.class, () -> decode(codec, patched));
        assertMessageContains(e, missing, "not found");
        assertInstanceOf(ClassNotFoundException.class, e.getCause());
    }

    @Test
    void classesThatAreNotEligibleRecordsAreRejected() throws IOException {
        for (Class<?> type : List.of(NotARecord.class, String.class, NotSerializableRecord.class,
                Resolving.class, WithList.class)) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            header(buffer, type.getName(), 0);
            CodecException e = assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()),
                    type::getName);
            assertMessageContains(e, type.getName());
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        new DataOutputStream(buffer).write(new byte[] {RECORD, 0, 0});
        assertThrows(CodecException.class, () -> decode(codec, buffer.toByteArray()));
    }

    @Test
    void classesResolveThroughTheThreadContextClassLoader() throws Exception {
        byte[] bytes = encoded(new Sample(1, 2, "x"));
        Thread t = Thread.currentThread();
        ClassLoader saved = t.getContextClassLoader();
        t.setContextClassLoader(new ClassLoader(null) {
        });
        try {
            CodecException e = assertThrows(CodecException.class, () -> decode(codec, bytes));
            assertMessageContains(e, "not found", "context class loader");
        } finally {
            t.setContextClassLoader(saved);
        }
        t.setContextClassLoader(null);
        try {
            assertEquals(new Sample(1, 2, "x"), decode(codec, bytes));
        } finally {
            t.setContextClassLoader(saved);
        }
        assertEquals(new Sample(1, 2, "x"), decode(codec, bytes));
    }

    @Test
    void repeatedDecodesReturnTheSameClass() throws CodecException {
        byte[] a = encoded(new Sample(1, 2, "x"));
        byte[] b = encoded(new Inner("y", 3));
        for (int i = 0; i < 100; i++) { // alternate, so the per-loader cache serves both
            assertSame(Sample.class, decode(codec, a).getClass());
            assertSame(Inner.class, decode(codec, b).getClass());
        }
    }
}
