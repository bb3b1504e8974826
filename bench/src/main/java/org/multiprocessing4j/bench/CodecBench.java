package org.multiprocessing4j.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does the default {@link Codec} take to encode a value into a native {@link ByteSink}
 * and decode it again, per kind of value? The peer is the plain in-process JDK path for the
 * record: {@code ObjectOutputStream} into a {@code ByteArrayOutputStream} and back through an
 * unfiltered {@code ObjectInputStream}; compare {@code recordRoundTrip} (the codec's Java
 * serialization path) with {@code recordJdkStreamsBaseline} for the cost of native memory, the
 * filter and the tag, and {@code recordFastPathRoundTrip} (the RECORD tag) with both for what
 * the record fast path saves.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar CodecBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 5, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class CodecBench {

    /** A small record of three fields, encoded on the codec's RECORD fast path. */
    public record Sample(int id, long stamp, String name) implements Serializable {
    }

    /**
     * The same three fields, but {@code name} is declared as a {@code CharSequence}, which is
     * not a fast-path type: the codec encodes it through Java serialization.
     */
    public record SerialSample(int id, long stamp, CharSequence name) implements Serializable {
    }

    private final Codec codec = Codec.defaults();
    private ByteSink sink;
    private byte[] bytes64;
    private String string64;
    private Integer integer;
    private Sample sample;
    private SerialSample serialSample;

    /** Allocates the reusable sink and the values. */
    @Setup(Level.Trial)
    public void setUp() {
        sink = new ByteSink(1024);
        bytes64 = new byte[64];
        for (int i = 0; i < bytes64.length; i++) {
            bytes64[i] = (byte) i;
        }
        string64 = "multiprocessing4j codec benchmark: sixty-four characters, ASCII.";
        if (string64.length() != 64) {
            throw new IllegalStateException("string64 has " + string64.length() + " chars");
        }
        integer = 123_456_789;
        sample = new Sample(42, 1_700_000_000_000L, "sample-record");
        serialSample = new SerialSample(42, 1_700_000_000_000L, "sample-record");
    }

    /** Frees the sink. */
    @TearDown(Level.Trial)
    public void tearDown() {
        sink.close();
    }

    private Object roundTrip(Object value) throws CodecException {
        sink.reset();
        codec.encode(value, sink);
        return codec.decode(sink.segment());
    }

    /**
     * Round trip of a 64-byte array.
     *
     * @return the decoded copy
     * @throws CodecException never
     */
    @Benchmark
    public Object bytes64RoundTrip() throws CodecException {
        return roundTrip(bytes64);
    }

    /**
     * Round trip of a 64-char ASCII string.
     *
     * @return the decoded copy
     * @throws CodecException never
     */
    @Benchmark
    public Object string64RoundTrip() throws CodecException {
        return roundTrip(string64);
    }

    /**
     * Round trip of a boxed int.
     *
     * @return the decoded copy
     * @throws CodecException never
     */
    @Benchmark
    public Object integerRoundTrip() throws CodecException {
        return roundTrip(integer);
    }

    /**
     * Round trip of a record (int, long, CharSequence holding a String) through Java
     * serialization into native memory, decoded behind the codec's filter.
     *
     * @return the decoded copy
     * @throws CodecException never
     */
    @Benchmark
    public Object recordRoundTrip() throws CodecException {
        return roundTrip(serialSample);
    }

    /**
     * Round trip of a record (int, long, String) on the codec's RECORD fast path: class name,
     * fingerprint and components into native memory, decoded behind the same filter through the
     * canonical constructor.
     *
     * @return the decoded copy
     * @throws CodecException never
     */
    @Benchmark
    public Object recordFastPathRoundTrip() throws CodecException {
        return roundTrip(sample);
    }

    /**
     * The in-process JDK baseline for {@link #recordRoundTrip}: ObjectOutputStream into a heap
     * buffer and an unfiltered ObjectInputStream back.
     *
     * @return the decoded copy
     * @throws IOException never
     * @throws ClassNotFoundException never
     */
    @Benchmark
    public Object recordJdkStreamsBaseline() throws IOException, ClassNotFoundException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
            out.writeObject(sample);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buffer.toByteArray()))) {
            return in.readObject();
        }
    }
}
