package org.multiprocessing4j.internal.codec;

import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.BinaryOperator;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.CodecException;

/**
 * The RECORD tag of {@link DefaultCodec}: eligible records (see {@link RecordShape}) without Java
 * serialization. Encoding writes the class name, the fingerprint of its components and each
 * component in the encoding of its tag; decoding reads the whole value, resolving and
 * filtering every record class in it, before it constructs anything, then constructs the
 * records inside out through their canonical constructors.
 */
final class RecordCodec {

    private static final ValueLayout.OfShort SHORT_BE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfChar CHAR_BE =
            ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** The tag of each primitive kind of {@link RecordShape} (BOOLEAN also accepts TRUE). */
    private static final byte[] TAG_OF_KIND = {
        DefaultCodec.FALSE, DefaultCodec.BYTE, DefaultCodec.CHAR, DefaultCodec.SHORT,
        DefaultCodec.INT, DefaultCodec.LONG, DefaultCodec.FLOAT, DefaultCodec.DOUBLE,
    };

    private RecordCodec() {
    }

    // ------------------------------------------------------------------------------- encoding

    /**
     * Appends {@code record}, whose class has the eligible shape {@code shape}, as a RECORD
     * value. Returns {@code false}, having written part of it, if a value inside cannot take
     * this path (a {@code String} with an unpaired surrogate, which only SERIALIZED preserves):
     * the caller then truncates and serializes the whole record.
     */
    static boolean encode(RecordShape shape, Object record, ByteSink out) throws IOException {
        out.writeByte(DefaultCodec.RECORD);
        out.writeShort(shape.name.length);
        out.write(shape.name, 0, shape.name.length);
        out.writeLong(shape.fingerprint);
        int[] kinds = shape.kinds;
        MethodHandle[] getters = shape.getters;
        try {
            for (int i = 0; i < kinds.length; i++) {
                MethodHandle getter = getters[i];
                switch (kinds[i]) {
                    case RecordShape.INT -> {
                        out.writeByte(DefaultCodec.INT);
                        out.writeInt((int) getter.invokeExact(record));
                    }
                    case RecordShape.LONG -> {
                        out.writeByte(DefaultCodec.LONG);
                        out.writeLong((long) getter.invokeExact(record));
                    }
                    case RecordShape.BOOLEAN ->
                        out.writeByte((boolean) getter.invokeExact(record) ? DefaultCodec.TRUE : DefaultCodec.FALSE);
                    case RecordShape.DOUBLE -> {
                        out.writeByte(DefaultCodec.DOUBLE);
                        out.writeLong(Double.doubleToRawLongBits((double) getter.invokeExact(record)));
                    }
                    case RecordShape.FLOAT -> {
                        out.writeByte(DefaultCodec.FLOAT);
                        out.writeInt(Float.floatToRawIntBits((float) getter.invokeExact(record)));
                    }
                    case RecordShape.SHORT -> {
                        out.writeByte(DefaultCodec.SHORT);
                        out.writeShort((short) getter.invokeExact(record));
                    }
                    case RecordShape.BYTE -> {
                        out.writeByte(DefaultCodec.BYTE);
                        out.writeByte((byte) getter.invokeExact(record));
                    }
                    case RecordShape.CHAR -> {
                        out.writeByte(DefaultCodec.CHAR);
                        out.writeShort((char) getter.invokeExact(record));
                    }
                    case RecordShape.STRING -> {
                        Object value = (Object) getter.invokeExact(record);
                        if (value == null) {
                            out.writeByte(DefaultCodec.NULL);
                        } else {
                            String s = (String) value;
                            if (DefaultCodec.hasUnpairedSurrogate(s)) {
                                return false;
                            }
                            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                            out.writeByte(DefaultCodec.STRING);
                            out.writeInt(utf8.length);
                            out.write(utf8, 0, utf8.length);
                        }
                    }
                    case RecordShape.RECORD -> {
                        Object value = (Object) getter.invokeExact(record);
                        if (value == null) {
                            out.writeByte(DefaultCodec.NULL);
                        } else {
                            RecordShape nested = RecordShape.of(value.getClass());
                            if (!nested.eligible || !encode(nested, value, out)) {
                                return false;
                            }
                        }
                    }
                    // a boxed primitive or byte[]: by declared type, of exactly that class
                    default -> DefaultCodec.encodeValue((Object) getter.invokeExact(record), out);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) { // a field getter throws nothing else
            throw new UndeclaredThrowableException(t);
        }
        return true;
    }

    // ------------------------------------------------------------------------------- decoding

    /**
     * Decodes the RECORD value that is all of {@code in} (tag at offset 0).
     *
     * @param in the encoded value
     * @param decodeFilter the codec's filter for this decode (limits, allow-list, JVM-wide)
     * @param loader the loader resolving the top-level class name
     * @param contextLoader whether {@code loader} is the thread's context class loader (else
     *     the codec's), for messages
     * @return the record
     * @throws CodecException if the bytes are malformed or truncated, the class cannot be
     *     found, is not an eligible record, is rejected by the filter, or its canonical
     *     constructor throws
     */
    static Object decode(MemorySegment in, DecodeFilter decodeFilter, ClassLoader loader,
            boolean contextLoader) throws CodecException {
        Decoder decoder = new Decoder(in, decodeFilter);
        Pending root;
        try {
            root = decoder.readTop(loader, contextLoader);
        } catch (StackOverflowError e) {
            throw new CodecException("cannot decode: RECORD value nested too deeply for this thread's stack", e);
        } catch (IndexOutOfBoundsException e) { // a bound the checks missed: still malformed input
            throw new CodecException("malformed RECORD value: " + e, e);
        }
        if (decoder.pos != in.byteSize()) {
            throw new CodecException("malformed RECORD value: " + (in.byteSize() - decoder.pos)
                    + " trailing bytes after the record");
        }
        try {
            return construct(root);
        } catch (StackOverflowError e) {
            throw new CodecException("cannot decode: RECORD value nested too deeply for this thread's stack", e);
        }
    }

    /** A record read but not yet constructed: its shape and its components, in order. */
    private record Pending(RecordShape shape, Object[] args, boolean hasNested) {
    }

    private static Object construct(Pending pending) throws CodecException {
        Object[] args = pending.args();
        if (pending.hasNested()) {
            for (int i = 0; i < args.length; i++) {
                if (args[i] instanceof Pending nested) {
                    args[i] = construct(nested);
                }
            }
        }
        try {
            return (Object) pending.shape().constructor.invokeExact(args);
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            throw new CodecException("cannot decode: the canonical constructor of "
                    + pending.shape().type.getName() + " threw " + t, t);
        }
    }

    /** The information the filter gets about one record class or {@code byte[]} component. */
    private record Info(Class<?> serialClass, long arrayLength, long depth, long references, long streamBytes)
            implements ObjectInputFilter.FilterInfo {
    }

    /** One decode: the input, the read position and the filter state. Not thread-safe. */
    private static final class Decoder {

        private final MemorySegment in;
        private final DecodeFilter decodeFilter;
        /** The filter an ObjectInputStream would apply, or {@code null} for none. */
        private final ObjectInputFilter filter;
        long pos = 1;
        /** Objects read so far (records, strings, arrays, boxes), as the filter sees them. */
        private long references;

        Decoder(MemorySegment in, DecodeFilter decodeFilter) throws CodecException {
            this.in = in;
            this.decodeFilter = decodeFilter;
            this.filter = streamFilter(decodeFilter);
        }

        /**
         * Returns the filter an {@code ObjectInputStream} would end up with after
         * {@code setObjectInputFilter(decodeFilter)}: the JVM-wide filter factory applied to
         * the JVM-wide filter, then to the codec's filter. With the built-in factory that is
         * the codec's filter itself, which consults the JVM-wide filter.
         */
        private static ObjectInputFilter streamFilter(DecodeFilter decodeFilter) throws CodecException {
            try {
                BinaryOperator<ObjectInputFilter> factory = ObjectInputFilter.Config.getSerialFilterFactory();
                ObjectInputFilter initial = factory.apply(null, ObjectInputFilter.Config.getSerialFilter());
                ObjectInputFilter filter = factory.apply(initial, decodeFilter);
                if (initial != null && filter == null) {
                    throw new IllegalStateException("filter can not be replaced with null filter");
                }
                return filter;
            } catch (RuntimeException e) {
                throw new CodecException("cannot decode a RECORD value: the JVM-wide serial filter factory failed: "
                        + e, e);
            }
        }

        Pending readTop(ClassLoader loader, boolean contextLoader) throws CodecException {
            int length = readNameLength();
            long at = pos;
            pos += length;
            Class<?> type;
            try {
                type = ClassNameCache.resolve(in, at, length, loader);
            } catch (ClassNotFoundException e) {
                String name = new String(in.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                throw new CodecException("cannot decode: class " + name + " not found by "
                        + (contextLoader ? "the thread context class loader " : "the codec's class loader ")
                        + loader + "; make it visible to that loader", e);
            } catch (LinkageError e) {
                throw new CodecException("cannot decode: the class named by a RECORD value cannot be loaded: " + e, e);
            }
            String name = type.getName();
            if (!type.isRecord() || !Serializable.class.isAssignableFrom(type)) {
                throw new CodecException("cannot decode: class " + name + " named by a RECORD value is not "
                        + (type.isRecord() ? "java.io.Serializable" : "a record class"));
            }
            references++;
            check(type, -1, 1);
            RecordShape shape = RecordShape.of(type);
            if (!shape.eligible) {
                throw new CodecException("cannot decode: record " + name + " cannot take the RECORD fast path"
                        + " in this JVM (a component type, writeReplace/readResolve, or module access"
                        + " differs from the encoder's); both sides need the same class");
            }
            return readBody(shape, 1);
        }

        private int readNameLength() throws CodecException {
            need(2, null, -1);
            int length = Short.toUnsignedInt(in.get(SHORT_BE, pos));
            pos += 2;
            if (length == 0) {
                throw new CodecException("malformed RECORD value: empty class name");
            }
            need(length, null, -1);
            return length;
        }

        /** Reads the fingerprint and components of a record whose class name was read and checked. */
        private Pending readBody(RecordShape shape, long depth) throws CodecException {
            need(8, shape, -1);
            long fingerprint = in.get(LONG_BE, pos);
            pos += 8;
            if (fingerprint != shape.fingerprint) {
                throw new CodecException("cannot decode: record " + shape.type.getName()
                        + " was encoded with other components than this JVM's class has ("
                        + String.join(", ", describeAll(shape)) + "); both sides need the same version of it");
            }
            int[] kinds = shape.kinds;
            Object[] args = new Object[kinds.length];
            boolean hasNested = false;
            for (int i = 0; i < kinds.length; i++) {
                int kind = kinds[i];
                need(1, shape, i);
                byte tag = in.get(ValueLayout.JAVA_BYTE, pos++);
                if (tag == DefaultCodec.NULL) {
                    if (kind < RecordShape.BOXED) {
                        throw wrongTag(shape, i, tag);
                    }
                    continue; // args[i] is already null
                }
                references++;
                if (kind < RecordShape.STRING) {
                    args[i] = readPrimitive(shape, i, kind & (RecordShape.BOXED - 1), tag);
                } else if (kind == RecordShape.STRING) {
                    expectTag(shape, i, tag, DefaultCodec.STRING);
                    int length = readLength(shape, i);
                    args[i] = new String(in.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                    pos += length;
                } else if (kind == RecordShape.BYTES) {
                    expectTag(shape, i, tag, DefaultCodec.BYTES);
                    int length = readLength(shape, i);
                    check(byte[].class, length, depth + 1);
                    args[i] = in.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE);
                    pos += length;
                } else {
                    expectTag(shape, i, tag, DefaultCodec.RECORD);
                    RecordShape nested = RecordShape.of(shape.componentTypes[i]);
                    if (!nested.eligible) { // only if building its method handles failed
                        throw new CodecException("cannot decode: record " + shape.componentTypes[i].getName()
                                + " cannot take the RECORD fast path in this JVM");
                    }
                    int length = readNameLength();
                    if (length != nested.name.length
                            || MemorySegment.mismatch(in, pos, pos + length,
                                    MemorySegment.ofArray(nested.name), 0, length) != -1) {
                        throw new CodecException("malformed RECORD value: component " + shape.describe(i) + " of "
                                + shape.type.getName() + " holds a record of another class, "
                                + new String(in.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE),
                                        StandardCharsets.UTF_8));
                    }
                    pos += length;
                    check(nested.type, -1, depth + 1);
                    args[i] = readBody(nested, depth + 1);
                    hasNested = true;
                }
            }
            return new Pending(shape, args, hasNested);
        }

        private Object readPrimitive(RecordShape shape, int i, int kind, byte tag) throws CodecException {
            if (kind == RecordShape.BOOLEAN) {
                if (tag == DefaultCodec.TRUE) {
                    return Boolean.TRUE;
                }
                expectTag(shape, i, tag, DefaultCodec.FALSE);
                return Boolean.FALSE;
            }
            expectTag(shape, i, tag, TAG_OF_KIND[kind]);
            long at = pos;
            return switch (kind) {
                case RecordShape.INT -> {
                    need(4, shape, i);
                    pos += 4;
                    yield in.get(INT_BE, at);
                }
                case RecordShape.LONG -> {
                    need(8, shape, i);
                    pos += 8;
                    yield in.get(LONG_BE, at);
                }
                case RecordShape.DOUBLE -> {
                    need(8, shape, i);
                    pos += 8;
                    yield Double.longBitsToDouble(in.get(LONG_BE, at));
                }
                case RecordShape.FLOAT -> {
                    need(4, shape, i);
                    pos += 4;
                    yield Float.intBitsToFloat(in.get(INT_BE, at));
                }
                case RecordShape.SHORT -> {
                    need(2, shape, i);
                    pos += 2;
                    yield in.get(SHORT_BE, at);
                }
                case RecordShape.CHAR -> {
                    need(2, shape, i);
                    pos += 2;
                    yield in.get(CHAR_BE, at);
                }
                default -> { // BYTE
                    need(1, shape, i);
                    pos += 1;
                    yield in.get(ValueLayout.JAVA_BYTE, at);
                }
            };
        }

        /** Reads an int32 length and checks that that many bytes follow. */
        private int readLength(RecordShape shape, int i) throws CodecException {
            need(4, shape, i);
            int length = in.get(INT_BE, pos);
            pos += 4;
            if (length < 0) {
                throw new CodecException("malformed RECORD value: negative length " + length + " of component "
                        + shape.describe(i) + " of " + shape.type.getName());
            }
            need(length, shape, i);
            return length;
        }

        /**
         * Checks that {@code n} more bytes are there for component {@code i} of {@code shape}
         * ({@code i < 0}: its fingerprint; no shape: a class name).
         */
        private void need(long n, RecordShape shape, int i) throws CodecException {
            long left = in.byteSize() - pos;
            if (left < n) {
                String what = shape == null ? "the class name"
                        : i < 0 ? "the component fingerprint of " + shape.type.getName()
                        : "component " + shape.describe(i) + " of " + shape.type.getName();
                throw new CodecException("truncated RECORD value: " + what + " needs " + n
                        + " more bytes at offset " + pos + ", the input has " + left);
            }
        }

        private void expectTag(RecordShape shape, int i, byte tag, byte expected) throws CodecException {
            if (tag != expected) {
                throw wrongTag(shape, i, tag);
            }
        }

        private static CodecException wrongTag(RecordShape shape, int i, byte tag) {
            return new CodecException("malformed RECORD value: component " + shape.describe(i) + " of "
                    + shape.type.getName() + " has tag " + DefaultCodec.tagName(tag));
        }

        private static String[] describeAll(RecordShape shape) {
            String[] all = new String[shape.kinds.length];
            for (int i = 0; i < all.length; i++) {
                all[i] = shape.describe(i);
            }
            return all;
        }

        /**
         * Asks the filter about {@code type} (a record class, or {@code byte[]} with its length)
         * at {@code depth}, with the references and bytes read so far, as ObjectInputStream
         * would; throws if it rejects it (or returns null, or throws).
         */
        private void check(Class<?> type, long arrayLength, long depth) throws CodecException {
            if (filter == null) {
                return;
            }
            ObjectInputFilter.Status status;
            RuntimeException thrown = null;
            try {
                status = filter.checkInput(new Info(type, arrayLength, depth, references, pos - 1));
            } catch (RuntimeException e) {
                status = ObjectInputFilter.Status.REJECTED;
                thrown = e;
            }
            if (status == null || status == ObjectInputFilter.Status.REJECTED) {
                String why = decodeFilter.rejection();
                throw new CodecException(why != null ? why
                        : "deserialization rejected: " + type.getTypeName() + " is rejected by the filter "
                                + filter + " (filter status: " + status + ")", thrown);
            }
        }
    }
}
