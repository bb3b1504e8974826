package org.multiprocessing4j.internal.pool;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.ProcessPool;
import org.multiprocessing4j.RemoteTaskException;

/**
 * The messages between a {@link ProcessPool} and one of its workers, over the worker's duplex
 * {@link Connection}. One connection message (a frame) carries any number of records, so that
 * many small tasks or results cost one system call. All numbers are big-endian; a value is the
 * pool codec's encoding of it, preceded by its length ({@code int32}).
 *
 * <pre>
 * parent → worker
 * tag   record   payload
 * 0x01  DEFINE   int64 fnId, value (the function)         the worker caches it by id (LRU)
 * 0x02  TASK     int64 taskId, int64 fnId, int8 kind,     kind APPLY: one value per item;
 *                int32 count, items                       STAR: two values per item;
 *                                                         CALL, RUN: no item, count 1
 * 0x03  STOP     (none)                                   finish what came before, then exit 0
 *
 * worker → parent
 * 0x10  READY    (none)                                   the initializer has run
 * 0x11  INIT_FAILED  failure                              the initializer threw; exit 1 follows
 * 0x12  RESULT   int64 taskId, int64 nanos, int32 count,  tasks complete in the order they came;
 *                values                                   nanos: the time the task took to run
 * 0x13  ERROR    int64 taskId, int64 nanos, failure       the task (all its items) failed
 *
 * failure: value (the Throwable, or nothing: length 0 when it cannot be encoded),
 *          then int32 n and n bytes of UTF-8 (its stack trace as text)
 * </pre>
 *
 * <p>Function cache: parent and worker each keep an LRU of {@link #FUNCTION_CACHE} function
 * ids, updated by the same sequence of operations (a DEFINE puts, a TASK touches) in the same
 * order (one writer per worker, and the worker reads in order), so the parent knows without
 * asking whether the worker still has a function and sends DEFINE only when it does not.
 */
public final class PoolWire {
    static final byte DEFINE = 0x01;
    static final byte TASK = 0x02;
    static final byte STOP = 0x03;
    static final byte READY = 0x10;
    static final byte INIT_FAILED = 0x11;
    public static final byte RESULT = 0x12;
    static final byte ERROR = 0x13;

    /** Item kinds of a TASK record. */
    public static final byte APPLY = 0;
    public static final byte STAR = 1;
    public static final byte CALL = 2;
    public static final byte RUN = 3;

    /** Functions each worker keeps; parent and worker mirror the same LRU. */
    static final int FUNCTION_CACHE = 64;
    /** Longest stack trace text carried by a failure. */
    private static final int MAX_TRACE_CHARS = 16 * 1024;

    private static final ValueLayout.OfInt INT_BE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private PoolWire() {
    }

    /** Appends {@code value} as a length-prefixed codec value. */
    static void writeValue(ByteSink out, Codec codec, Object value) throws CodecException {
        long at = out.skip(4);
        codec.encode(value, out);
        long n = out.size() - at - 4;
        if (n > Integer.MAX_VALUE) {
            out.truncate(at);
            throw new CodecException("a value of " + n + " bytes is too large for a pool message");
        }
        out.writeIntAt(at, (int) n);
    }

    /** Appends already encoded value bytes, length-prefixed. */
    static void writeEncoded(ByteSink out, byte[] encoded) throws CodecException {
        out.writeInt(encoded.length);
        out.write(encoded);
    }

    /** Appends a failure: the throwable if the codec can encode it, and its stack trace. */
    static void writeFailure(ByteSink out, Codec codec, Throwable t) throws CodecException {
        long at = out.size();
        try {
            writeValue(out, codec, t);
        } catch (CodecException | RuntimeException notEncodable) {
            out.truncate(at);
            out.writeInt(0);
        }
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        String text = trace.toString();
        if (text.length() > MAX_TRACE_CHARS) {
            text = text.substring(0, MAX_TRACE_CHARS) + "\n\t... (cut)";
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    /** Reads a frame sequentially. Not thread-safe. */
    static final class Reader {
        // The headers are read from the array with plain arithmetic, the values through a
        // segment view for the codec: in a cold JVM (a new worker), memory-segment access runs
        // interpreted at about a microsecond per call, plain array access in nanoseconds.
        private final byte[] bytes;
        private final MemorySegment frame;
        private final Codec codec;
        private int pos;

        Reader(byte[] frame, Codec codec) {
            this.bytes = frame;
            this.frame = MemorySegment.ofArray(frame);
            this.codec = codec;
        }

        long position() {
            return pos;
        }

        void position(long p) {
            pos = Math.toIntExact(p);
        }

        boolean hasMore() {
            return pos < bytes.length;
        }

        byte readByte() {
            return bytes[pos++];
        }

        int readInt() {
            byte[] b = bytes;
            int p = pos;
            int v = (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8
                    | (b[p + 3] & 0xFF);
            pos = p + 4;
            return v;
        }

        long readLong() {
            long hi = readInt();
            long lo = readInt() & 0xFFFF_FFFFL;
            return hi << 32 | lo;
        }

        /** Decodes a length-prefixed value; the bytes are consumed even if decoding fails. */
        Object readValue() throws CodecException {
            int n = readInt();
            MemorySegment bytes = frame.asSlice(pos, n);
            pos += n;
            return codec.decode(bytes);
        }

        /** Skips a length-prefixed value. */
        void skipValue() {
            int n = readInt();
            pos += n;
        }

        /** Reads a failure written by {@link #writeFailure} as the exception to report. */
        Failure readFailure() {
            int n = readInt();
            Throwable cause = null;
            if (n > 0) {
                try {
                    Object o = codec.decode(frame.asSlice(pos, n));
                    cause = o instanceof Throwable t ? t : null;
                } catch (Throwable undecodable) { // an Error too: the trace text still tells
                    cause = null;
                }
            }
            pos += n;
            int len = readInt();
            byte[] utf8 = frame.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new Failure(cause, new String(utf8, StandardCharsets.UTF_8));
        }
    }

    /** A remote failure: the exception if it could be decoded here, and its trace as text. */
    record Failure(Throwable cause, String trace) {
        RemoteTaskException toException(String where) {
            String what = cause != null ? cause.toString() : "\n" + trace;
            return new RemoteTaskException(where + " failed: " + what, cause);
        }
    }
}
