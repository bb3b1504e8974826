package org.multiprocessing4j.internal.codec;

import java.io.EOFException;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;

/**
 * The default {@link Codec}: fast paths for common values, Java serialization behind an
 * {@link ObjectInputFilter} for the rest. Immutable and thread-safe.
 *
 * <p><b>Wire format, version {@value #WIRE_FORMAT_VERSION}.</b> One encoded value is one tag
 * byte followed by its payload and nothing else; the decoder is given exactly those bytes and
 * rejects trailing ones. All numbers are big-endian. The format carries no version byte: it may
 * only grow by adding tags (bump {@link #WIRE_FORMAT_VERSION} and add a row); an existing tag's
 * meaning never changes. Tags {@code 0x0F..0xFF} are unassigned and rejected.
 *
 * <pre>
 * tag   name        payload                                      decodes to
 * 0x00  NULL        (none)                                       null
 * 0x01  BYTES       int32 n &gt;= 0, then n bytes                    byte[]
 * 0x02  STRING      int32 n &gt;= 0, then n bytes of UTF-8           String
 * 0x03  INT         int32                                        Integer
 * 0x04  LONG        int64                                        Long
 * 0x05  SHORT       int16                                        Short
 * 0x06  BYTE        int8                                         Byte
 * 0x07  CHAR        uint16 (one UTF-16 code unit)                Character
 * 0x08  FLOAT       int32, Float.floatToRawIntBits               Float
 * 0x09  DOUBLE      int64, Double.doubleToRawLongBits            Double
 * 0x0A  FALSE       (none)                                       Boolean.FALSE
 * 0x0B  TRUE        (none)                                       Boolean.TRUE
 * 0x0C  SEGMENT     int64 n &gt;= 0, then n bytes                    MemorySegment.ofArray(byte[n] copy)
 * 0x0D  SERIALIZED  a Java serialization stream (0xACED 0x0005 ...)  the object it holds
 *                   of exactly one object, to the end of input
 * 0x0E  RECORD      uint16 n &gt;= 1, then n bytes of UTF-8 (the       the record, built by its
 *                   class name), int64 fingerprint, then one value   canonical constructor
 *                   per component in declaration order (see below)
 * </pre>
 *
 * <p><b>RECORD.</b> A record is encoded as RECORD if its class is <em>eligible</em>: a
 * {@code java.io.Serializable} record class, not {@code Externalizable} nor hidden, declaring no
 * {@code writeReplace()} or {@code readResolve()}, whose fields and canonical constructor this
 * library may access (its package is open to it, as on the class path), and every component of
 * which is declared as a primitive, a boxed primitive, {@code String}, {@code byte[]} or an
 * eligible record class (itself included). Eligibility depends on declared types only. A
 * component is written with the tag of its declared type: a primitive with its tag
 * ({@code boolean} as FALSE or TRUE), a reference as that tag or NULL; a nested record as a
 * complete RECORD value, whose class name must be that of the declared type. The fingerprint is
 * the 64-bit FNV-1a hash of the UTF-8 of {@code "name type;"} per component (component name,
 * {@code Class.getName()} of its declared type), so that a class whose components differ
 * between encoder and decoder is an error, not a misread. Components are read from the
 * record's fields, as Java serialization reads them (explicit accessors are not called). Shared
 * references are not preserved: an array referenced twice decodes as two arrays. A record that
 * is not eligible (one that is not {@code Serializable} then fails to encode, as any such value
 * does), or that holds a {@code String} with an unpaired surrogate, is SERIALIZED.
 *
 * <p>Decoding RECORD is as guarded as decoding SERIALIZED. The top-level class is resolved
 * like there (thread context loader, else the codec's; remembered per loader afterwards, see
 * {@link ClassNameCache}), must be a {@code Serializable} record, eligible in this JVM and have
 * the same fingerprint. Every record class in the value, and every {@code byte[]} component
 * (with its length), is submitted to the filter an {@link java.io.ObjectInputStream} of this
 * codec would use ({@link DecodeFilter} as set through the JVM-wide filter factory) with its
 * depth (the top-level record is at depth 1), the objects read so far and the bytes read so far;
 * other component values are fast-path values and, as at top level, are not. The whole value is
 * read and checked before anything is constructed; then the records are constructed inside out
 * through their canonical constructors, so their invariants run, and an exception thrown by one
 * fails the decode.
 *
 * <p>A {@code String} holding an unpaired surrogate (which UTF-8 cannot represent) is encoded
 * as SERIALIZED, which preserves it. Any other value that is not one of the types above (by
 * exact type; any {@code MemorySegment}; an eligible record) is SERIALIZED, written by an
 * {@link ObjectOutputStream} straight into the sink. Decoding SERIALIZED always installs a
 * {@link DecodeFilter}, resolves classes as {@link CodecObjectInputStream} describes and bounds
 * the value's {@link ExpandedSize}.
 */
public final class DefaultCodec implements Codec, Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Writes the header of the {@code BYTES} encoding of {@code length} bytes at {@code offset}
     * of {@code dst}, as {@code encode} of a {@code byte[]} writes it; the payload follows at
     * {@code offset + BYTES_HEADER}. For callers that copy a {@code byte[]} straight into shared
     * memory instead of encoding it through a sink.
     */
    public static void writeBytesHeader(MemorySegment dst, long offset, int length) {
        dst.set(ValueLayout.JAVA_BYTE, offset, BYTES);
        dst.set(BYTES_LENGTH, offset + 1, length);
    }

    /**
     * {@return whether the {@code length} encoded bytes at {@code offset} of {@code src} are
     * exactly the {@code BYTES} encoding of a {@code byte[]}} Its payload then starts at
     * {@code offset + BYTES_HEADER} and has {@code length - BYTES_HEADER} bytes.
     */
    public static boolean isBytesEncoding(MemorySegment src, long offset, int length) {
        return length >= BYTES_HEADER && src.get(ValueLayout.JAVA_BYTE, offset) == BYTES
                && src.get(BYTES_LENGTH, offset + 1) == length - BYTES_HEADER;
    }

    /** Version of the wire format documented above; see the class comment for the rules. */
    public static final int WIRE_FORMAT_VERSION = 2; // 2: tag 0x0E RECORD

    static final byte NULL = 0x00;
    static final byte BYTES = 0x01;
    /** Bytes before the payload of a {@code BYTES} encoding: the tag, then an int32 length. */
    public static final int BYTES_HEADER = 5;
    /** The tag of the {@code BYTES} encoding (a {@code byte[]}). */
    public static final byte BYTES_TAG = BYTES;
    private static final ValueLayout.OfInt BYTES_LENGTH =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final byte STRING = 0x02;
    static final byte INT = 0x03;
    static final byte LONG = 0x04;
    static final byte SHORT = 0x05;
    static final byte BYTE = 0x06;
    static final byte CHAR = 0x07;
    static final byte FLOAT = 0x08;
    static final byte DOUBLE = 0x09;
    static final byte FALSE = 0x0A;
    static final byte TRUE = 0x0B;
    static final byte SEGMENT = 0x0C;
    static final byte SERIALIZED = 0x0D;
    static final byte RECORD = 0x0E;

    private static final String[] TAG_NAMES = {
        "NULL", "BYTES", "STRING", "INT", "LONG", "SHORT", "BYTE", "CHAR", "FLOAT", "DOUBLE",
        "FALSE", "TRUE", "SEGMENT", "SERIALIZED", "RECORD",
    };

    /** The largest array the JVM reliably allocates. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static final ValueLayout.OfShort SHORT_BE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfChar CHAR_BE =
            ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** The codec returned by {@link Codec#defaults()}. */
    public static final DefaultCodec DEFAULTS = new DefaultCodec(new FilterSettings(
            Codec.Builder.DEFAULT_MAX_DEPTH, Codec.Builder.DEFAULT_MAX_REFERENCES,
            Codec.Builder.DEFAULT_MAX_ARRAY_LENGTH,
            Codec.Builder.DEFAULT_MAX_EXPANDED_SIZE, null, false, DefaultCodec.class.getClassLoader()));

    /** The codec returned by {@link Codec#forUntrustedPeers()}: {@link #DEFAULTS} limited to {@link ValueTypes}. */
    public static final DefaultCodec UNTRUSTED = new DefaultCodec(new FilterSettings(
            Codec.Builder.DEFAULT_MAX_DEPTH, Codec.Builder.DEFAULT_MAX_REFERENCES,
            Codec.Builder.DEFAULT_MAX_ARRAY_LENGTH,
            Codec.Builder.DEFAULT_MAX_EXPANDED_SIZE, null, true, DefaultCodec.class.getClassLoader()));

    private final transient FilterSettings settings;
    private final transient ObjectInputFilter strictAllowList;

    /**
     * Creates a codec with the given deserialization settings (use {@code Codec.builder()}).
     *
     * @param settings the filter limits, allow-list and fallback class loader
     * @throws IllegalArgumentException if the allow-list patterns are malformed
     */
    public DefaultCodec(FilterSettings settings) {
        this.settings = settings;
        this.strictAllowList = settings.strictAllowList();
    }

    @Override
    public void encode(Object value, ByteSink out) throws CodecException {
        long start = out.size(); // IllegalStateException if closed, before anything is written
        try {
            encodeValue(value, out);
        } catch (CodecException e) {
            out.truncate(start);
            throw e;
        } catch (NotSerializableException e) {
            out.truncate(start);
            throw notSerializable(value, e);
        } catch (IOException | RuntimeException e) {
            out.truncate(start);
            throw new CodecException("cannot encode a value of " + describe(value) + ": " + e, e);
        } catch (StackOverflowError e) {
            out.truncate(start);
            throw new CodecException("cannot encode a value of " + describe(value)
                    + ": its object graph is too deep for Java serialization on this thread's stack", e);
        } catch (Error e) {
            out.truncate(start);
            throw e;
        }
    }

    static void encodeValue(Object value, ByteSink out) throws IOException {
        if (value == null) {
            out.writeByte(NULL);
        } else if (value instanceof byte[] b) {
            out.writeByte(BYTES);
            out.writeInt(b.length);
            out.write(b, 0, b.length);
        } else if (value instanceof String s) {
            encodeString(s, out);
        } else if (value instanceof Integer i) {
            out.writeByte(INT);
            out.writeInt(i);
        } else if (value instanceof Long l) {
            out.writeByte(LONG);
            out.writeLong(l);
        } else if (value instanceof Double d) {
            out.writeByte(DOUBLE);
            out.writeLong(Double.doubleToRawLongBits(d));
        } else if (value instanceof Boolean b) {
            out.writeByte(b ? TRUE : FALSE);
        } else if (value instanceof MemorySegment m) {
            out.writeByte(SEGMENT);
            out.writeLong(m.byteSize());
            out.write(m);
        } else if (value instanceof Float f) {
            out.writeByte(FLOAT);
            out.writeInt(Float.floatToRawIntBits(f));
        } else if (value instanceof Short s) {
            out.writeByte(SHORT);
            out.writeShort(s);
        } else if (value instanceof Byte b) {
            out.writeByte(BYTE);
            out.writeByte(b);
        } else if (value instanceof Character c) {
            out.writeByte(CHAR);
            out.writeShort(c);
        } else if (value instanceof Record) {
            encodeRecord(value, out);
        } else {
            serialize(value, out);
        }
    }

    private static void encodeRecord(Object record, ByteSink out) throws IOException {
        RecordShape shape = RecordShape.of(record.getClass());
        if (shape.eligible) {
            long start = out.size();
            if (RecordCodec.encode(shape, record, out)) {
                return;
            }
            out.truncate(start);
        }
        serialize(record, out);
    }

    private static void encodeString(String s, ByteSink out) throws IOException {
        if (hasUnpairedSurrogate(s)) {
            serialize(s, out); // modified UTF-8 keeps it; standard UTF-8 would turn it into '?'
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeByte(STRING);
        out.writeInt(utf8.length);
        out.write(utf8, 0, utf8.length);
    }

    static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            }
        }
        return false;
    }

    private static void serialize(Object value, ByteSink out) throws IOException {
        out.writeByte(SERIALIZED);
        ObjectOutputStream oos = new ObjectOutputStream(out.asOutputStream());
        oos.writeObject(value);
        oos.flush(); // not close(): the sink stays open
    }

    private static CodecException notSerializable(Object value, NotSerializableException e) {
        String detail = e.getMessage() == null ? "" : e.getMessage();
        int newline = detail.indexOf('\n');
        String culprit = newline < 0 ? detail : detail.substring(0, newline);
        String path = newline < 0
                ? "; run with -Dsun.io.serialization.extendedDebugInfo=true to see the field path to it"
                : "; path to it:" + detail.substring(newline);
        return new CodecException("cannot encode a value of " + describe(value) + ": class "
                + culprit + " (the value itself or an object reached from it) is not java.io.Serializable"
                + path, e);
    }

    private static String describe(Object value) {
        return value == null ? "null" : "class " + value.getClass().getName();
    }

    @Override
    public Object decode(MemorySegment in) throws CodecException {
        long n = in.byteSize();
        if (n == 0) {
            throw new CodecException("cannot decode an empty input: expected a tag byte");
        }
        byte tag = in.get(ValueLayout.JAVA_BYTE, 0);
        return switch (tag) {
            case NULL -> {
                expectPayload(in, tag, 0);
                yield null;
            }
            case BYTES -> {
                int length = lengthPrefix(in, tag);
                yield in.asSlice(5, length).toArray(ValueLayout.JAVA_BYTE);
            }
            case STRING -> {
                int length = lengthPrefix(in, tag);
                yield new String(in.asSlice(5, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            }
            case INT -> {
                expectPayload(in, tag, 4);
                yield in.get(INT_BE, 1);
            }
            case LONG -> {
                expectPayload(in, tag, 8);
                yield in.get(LONG_BE, 1);
            }
            case SHORT -> {
                expectPayload(in, tag, 2);
                yield in.get(SHORT_BE, 1);
            }
            case BYTE -> {
                expectPayload(in, tag, 1);
                yield in.get(ValueLayout.JAVA_BYTE, 1);
            }
            case CHAR -> {
                expectPayload(in, tag, 2);
                yield in.get(CHAR_BE, 1);
            }
            case FLOAT -> {
                expectPayload(in, tag, 4);
                yield Float.intBitsToFloat(in.get(INT_BE, 1));
            }
            case DOUBLE -> {
                expectPayload(in, tag, 8);
                yield Double.longBitsToDouble(in.get(LONG_BE, 1));
            }
            case FALSE -> {
                expectPayload(in, tag, 0);
                yield Boolean.FALSE;
            }
            case TRUE -> {
                expectPayload(in, tag, 0);
                yield Boolean.TRUE;
            }
            case SEGMENT -> {
                expectAtLeast(in, tag, 8);
                long length = in.get(LONG_BE, 1);
                if (length < 0 || length > MAX_ARRAY_LENGTH) {
                    throw new CodecException("malformed SEGMENT value: length " + length
                            + " is negative or too large for a heap byte[]");
                }
                expectPayload(in, tag, 8 + length);
                yield MemorySegment.ofArray(in.asSlice(9, length).toArray(ValueLayout.JAVA_BYTE));
            }
            case SERIALIZED -> deserialize(in);
            case RECORD -> decodeRecord(in);
            default -> throw new CodecException(String.format(
                    "cannot decode: unknown tag 0x%02X at offset 0 of a %d-byte input (this codec"
                    + " reads wire format version %d, tags 0x00..0x%02X); were these bytes written"
                    + " by another codec, or is the framing off?",
                    tag & 0xFF, n, WIRE_FORMAT_VERSION, RECORD));
        };
    }

    /** Reads the int32 length after the tag and checks that exactly that many bytes follow it. */
    private static int lengthPrefix(MemorySegment in, byte tag) throws CodecException {
        expectAtLeast(in, tag, 4);
        int length = in.get(INT_BE, 1);
        if (length < 0) {
            throw new CodecException("malformed " + TAG_NAMES[tag] + " value: negative length " + length);
        }
        expectPayload(in, tag, 4L + length);
        return length;
    }

    private static void expectAtLeast(MemorySegment in, byte tag, long payload) throws CodecException {
        long actual = in.byteSize() - 1;
        if (actual < payload) {
            throw truncated(tag, payload, actual);
        }
    }

    private static void expectPayload(MemorySegment in, byte tag, long payload) throws CodecException {
        long actual = in.byteSize() - 1;
        if (actual < payload) {
            throw truncated(tag, payload, actual);
        }
        if (actual > payload) {
            throw new CodecException("malformed " + TAG_NAMES[tag] + " value: " + (actual - payload)
                    + " trailing bytes after its " + payload + "-byte payload");
        }
    }

    /** Returns the name of {@code tag}, or its hex value if it is unassigned. */
    static String tagName(byte tag) {
        return tag >= 0 && tag < TAG_NAMES.length ? TAG_NAMES[tag] : String.format("0x%02X", tag & 0xFF);
    }

    private static CodecException truncated(byte tag, long expected, long actual) {
        return new CodecException("truncated " + TAG_NAMES[tag] + " value: expected at least "
                + expected + " payload bytes after the tag, got " + actual);
    }

    private Object deserialize(MemorySegment in) throws CodecException {
        SegmentInputStream stream = new SegmentInputStream(in, 1);
        DecodeFilter filter = new DecodeFilter(settings, strictAllowList, in.byteSize() - 1);
        Object value;
        try (CodecObjectInputStream ois = new CodecObjectInputStream(stream, settings.classLoader(),
                new ExpandedSize(settings.maxExpandedSize()))) {
            ois.setObjectInputFilter(filter);
            value = ois.readObject();
        } catch (ExpandedSize.TooLarge e) {
            throw new CodecException(e.getMessage(), e);
        } catch (ClassNotFoundException e) {
            throw rejectedOr(filter, "cannot decode: class " + e.getMessage() + " not found by "
                    + loaderDescription() + "; make it visible to that loader", e);
        } catch (EOFException e) {
            throw rejectedOr(filter, "truncated SERIALIZED value: the serialization stream ends early", e);
        } catch (InvalidClassException e) {
            throw rejectedOr(filter, "cannot decode: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw rejectedOr(filter, "malformed SERIALIZED value: " + e, e);
        }
        if (stream.remaining() != 0) {
            throw new CodecException("malformed SERIALIZED value: " + stream.remaining()
                    + " trailing bytes after the serialized object");
        }
        return value;
    }

    private static CodecException rejectedOr(DecodeFilter filter, String otherwise, Exception cause) {
        String rejection = filter.rejection();
        return new CodecException(rejection != null ? rejection : otherwise, cause);
    }

    private Object decodeRecord(MemorySegment in) throws CodecException {
        DecodeFilter filter = new DecodeFilter(settings, strictAllowList, in.byteSize() - 1);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null
                ? RecordCodec.decode(in, filter, context, true)
                : RecordCodec.decode(in, filter, settings.classLoader(), false);
    }

    private String loaderDescription() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null
                ? "the thread context class loader " + context
                : "the codec's class loader " + settings.classLoader();
    }

    @Override
    public String toString() {
        return "DefaultCodec[wire format v" + WIRE_FORMAT_VERSION + ", maxDepth=" + settings.maxDepth()
                + ", maxReferences=" + settings.maxReferences() + ", maxArrayLength="
                + settings.maxArrayLength() + ", maxExpandedSize=" + settings.maxExpandedSize()
                + ", valueTypes=" + settings.valueTypes()
                + ", allow=" + settings.allowList() + "]";
    }

    /**
     * Replaces this codec in a serialization stream (a connection or queue on its way to a
     * child) by its settings; the fallback class loader does not travel: the receiving side
     * uses this library's loader.
     */
    @Serial
    private Object writeReplace() {
        return new Settings(settings.maxDepth(), settings.maxReferences(), settings.maxArrayLength(),
                settings.maxExpandedSize(), settings.allowList(), settings.valueTypes());
    }

    @Serial
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("a DefaultCodec travels as its Settings");
    }

    /** The serial form of a {@link DefaultCodec}. */
    private record Settings(long maxDepth, long maxReferences, long maxArrayLength, long maxExpandedSize,
            String allowList, boolean valueTypes) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        @Serial
        private Object readResolve() throws InvalidObjectException {
            FilterSettings s = new FilterSettings(maxDepth, maxReferences, maxArrayLength, maxExpandedSize,
                    allowList, valueTypes, DefaultCodec.class.getClassLoader());
            try {
                return s.equals(DEFAULTS.settings) ? DEFAULTS : s.equals(UNTRUSTED.settings) ? UNTRUSTED : new DefaultCodec(s);
            } catch (IllegalArgumentException e) {
                throw new InvalidObjectException("bad codec settings: " + e.getMessage());
            }
        }
    }
}
