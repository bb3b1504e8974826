package org.multiprocessing4j.cluster.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;

/**
 * The bytes of a task and of its answer, as they cross Hazelcast inside a {@link ChunkTask}
 * ({@code byte[]}, which Hazelcast carries as is). Every value is encoded with a
 * {@link Codec}; ints are big-endian (as {@link ByteSink} writes them).
 *
 * <pre>
 * task:    kind:1  fnLength:4  fn:fnLength  count:4  (length:4 value:length) * values
 *          values = count for APPLY, 2 * count for STAR (key, value, key, value, ...), 0 else
 * answer:  OK             count:4  (length:4 value:length) * count
 *          FAILED         text:string  throwableLength:4  throwable:throwableLength (0: none)
 *          MISSING_CLASS  className:string  text:string
 *          UNDECODABLE    text:string
 * string:  length:4  UTF-8 bytes
 * </pre>
 *
 * A value's {@code length} is -1 for a value the reader must not decode (never written today;
 * reserved). Not thread-safe; each call uses its own sink.
 */
public final class Wire {
    /** {@code fn.apply(item)} per item. */
    public static final byte APPLY = 1;
    /** {@code fn.apply(key, value)} per pair. */
    public static final byte STAR = 2;
    /** {@code fn.call()}, one result. */
    public static final byte CALL = 3;
    /** {@code fn.run()}, result {@code null}. */
    public static final byte RUN = 4;

    /** Answer: every result, in order. */
    public static final byte OK = 0;
    /** Answer: the function threw. */
    public static final byte FAILED = 1;
    /** Answer: the member cannot load a class the task needs. */
    public static final byte MISSING_CLASS = 2;
    /** Answer: the member could not decode the task for another reason (filter, corruption). */
    public static final byte UNDECODABLE = 3;

    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Wire() {
    }

    /**
     * Encodes a function once, for every chunk of one call.
     *
     * @param codec the codec
     * @param fn the function (a serializable lambda or object)
     * @return its bytes
     * @throws CodecException if it cannot be encoded
     */
    public static byte[] encodeValue(Codec codec, Object fn) throws CodecException {
        try (ByteSink sink = new ByteSink(256)) {
            codec.encode(fn, sink);
            return sink.segment().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Encodes a task: {@code kind}, the function's bytes, and {@code values[from, from + n)}
     * ({@code n} is {@code count} for APPLY, twice {@code count} for STAR).
     *
     * @param codec the codec
     * @param kind APPLY, STAR, CALL or RUN
     * @param fn the function's bytes from {@link #encodeValue}
     * @param values the arguments
     * @param from the first argument
     * @param count items (pairs for STAR)
     * @return the task's bytes
     * @throws CodecException if an argument cannot be encoded
     */
    public static byte[] encodeTask(Codec codec, byte kind, byte[] fn, Object[] values, int from,
                                    int count) throws CodecException {
        try (ByteSink sink = new ByteSink(fn.length + 64 + 16 * count)) {
            sink.writeByte(kind);
            sink.writeInt(fn.length);
            sink.write(fn);
            sink.writeInt(count);
            int n = kind == STAR ? 2 * count : kind == APPLY ? count : 0;
            for (int i = 0; i < n; i++) {
                writeValue(codec, sink, values[from + i]);
            }
            return sink.segment().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Encodes an OK answer.
     *
     * @param codec the codec
     * @param results the results
     * @return the answer's bytes
     * @throws CodecException if a result cannot be encoded
     */
    public static byte[] encodeOk(Codec codec, Object[] results) throws CodecException {
        try (ByteSink sink = new ByteSink(64 + 16 * results.length)) {
            sink.writeByte(OK);
            sink.writeInt(results.length);
            for (Object r : results) {
                writeValue(codec, sink, r);
            }
            return sink.segment().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Encodes a FAILED answer: the throwable's text always, the throwable itself if the codec
     * can encode it.
     *
     * @param codec the codec
     * @param failure what the function threw
     * @param text its description with the member's stack trace
     * @return the answer's bytes
     */
    public static byte[] encodeFailed(Codec codec, Throwable failure, String text) {
        try (ByteSink sink = new ByteSink(1024)) {
            sink.writeByte(FAILED);
            writeString(sink, text);
            long at = sink.skip(4);
            long before = sink.size();
            try {
                codec.encode(failure, sink);
                sink.writeIntAt(at, (int) (sink.size() - before));
            } catch (CodecException | RuntimeException notEncodable) {
                sink.truncate(before); // the text alone then
            }
            return sink.segment().toArray(ValueLayout.JAVA_BYTE);
        } catch (CodecException e) {
            return encodeText(UNDECODABLE, "cannot encode the failure: " + e);
        }
    }

    /**
     * Encodes a MISSING_CLASS answer.
     *
     * @param className the class the member cannot load
     * @param text a description
     * @return the answer's bytes
     */
    public static byte[] encodeMissingClass(String className, String text) {
        try (ByteSink sink = new ByteSink(256)) {
            sink.writeByte(MISSING_CLASS);
            writeString(sink, className);
            writeString(sink, text);
            return sink.segment().toArray(ValueLayout.JAVA_BYTE);
        } catch (CodecException e) {
            throw new IllegalStateException(e); // a few hundred bytes never exceed the sink
        }
    }

    /**
     * Encodes an answer that holds one string.
     *
     * @param status UNDECODABLE
     * @param text the description
     * @return the answer's bytes
     */
    public static byte[] encodeText(byte status, String text) {
        try (ByteSink sink = new ByteSink(256)) {
            sink.writeByte(status);
            writeString(sink, text);
            return sink.segment().toArray(ValueLayout.JAVA_BYTE);
        } catch (CodecException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeValue(Codec codec, ByteSink sink, Object value) throws CodecException {
        long at = sink.skip(4);
        long before = sink.size();
        codec.encode(value, sink);
        long length = sink.size() - before;
        if (length > Integer.MAX_VALUE) {
            throw new CodecException("a value of " + length + " bytes is too large to send");
        }
        sink.writeIntAt(at, (int) length);
    }

    private static void writeString(ByteSink sink, String s) throws CodecException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        sink.writeInt(b.length);
        sink.write(b);
    }

    /** Reads the parts of a task or an answer in order. Not thread-safe. */
    public static final class Reader {
        private final MemorySegment bytes;
        private long position;

        /**
         * Reads {@code bytes} from the start.
         *
         * @param bytes a task or an answer
         */
        public Reader(byte[] bytes) {
            this.bytes = MemorySegment.ofArray(bytes);
        }

        /**
         * {@return the next byte}
         *
         * @throws CodecException if there is none
         */
        public byte readByte() throws CodecException {
            check(1);
            return bytes.get(ValueLayout.JAVA_BYTE, position++);
        }

        /**
         * {@return the next int}
         *
         * @throws CodecException if there are fewer than 4 bytes left
         */
        public int readInt() throws CodecException {
            check(4);
            int v = bytes.get(INT_BE, position);
            position += 4;
            return v;
        }

        /**
         * {@return the next length-prefixed bytes, as a view}
         *
         * @throws CodecException if truncated
         */
        public MemorySegment readBytes() throws CodecException {
            int n = readInt();
            if (n < 0) {
                throw new CodecException("negative length " + n);
            }
            check(n);
            MemorySegment s = bytes.asSlice(position, n);
            position += n;
            return s;
        }

        /**
         * {@return the next value, decoded}
         *
         * @param codec the codec
         * @throws CodecException if truncated or the codec refuses it
         */
        public Object readValue(Codec codec) throws CodecException {
            return codec.decode(readBytes());
        }

        /**
         * {@return the next string}
         *
         * @throws CodecException if truncated
         */
        public String readString() throws CodecException {
            return new String(readBytes().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }

        private void check(long n) throws CodecException {
            if (position + n > bytes.byteSize()) {
                throw new CodecException("truncated: " + n + " bytes wanted at " + position
                        + " of " + bytes.byteSize());
            }
        }
    }
}
