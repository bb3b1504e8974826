package org.multiprocessing4j.bench;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Multiprocessing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Peer of the queue's 64 B 1 → 1 case: Agrona's {@link ManyToOneRingBuffer} over a file mapped
 * by two JVMs, the way Aeron uses it (a spinning reference: no blocking, no crash recovery).
 *
 * <p>A child JVM maps a file in {@code /dev/shm} and {@code write}s the same 64-byte message
 * non-stop, spinning ({@link Thread#onSpinWait()}) while the ring is full; this JVM maps the same
 * file and reads. The ring has {@value #CAPACITY} bytes of data (a 64 B message takes 72 with
 * its header: about 1,800 messages; the queue has 1,024 slots). The message handler copies the
 * bytes into a reused array, as {@code SharedQueue.takeBytes} does into its target.
 *
 * <ul>
 *   <li>{@link #ringBuffer64B}: one op = one message, {@code read(handler, 1)} spinning until it
 *       returns 1 (the same unit of work as one {@code take()}).
 *   <li>{@link #ringBuffer64BBatched}: Agrona's usual drain, {@code read(handler, limit)} taking
 *       whatever is there, {@value #BATCH} messages per invocation; ops/s is still messages/s.
 * </ul>
 *
 * <p>Agrona 2.x reaches {@code jdk.internal.misc.Unsafe}, so both JVMs (the JMH fork and the
 * producer child) get {@value #EXPORT}; no other benchmark does.
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", AgronaBench.EXPORT})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class AgronaBench {
    static final String EXPORT = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";
    private static final int SIZE = 64;
    private static final int CAPACITY = 128 * 1024;
    private static final int BATCH = 256;
    private static final int MSG_TYPE = 1;

    /** A child JVM writing 64-byte messages into the mapped ring as fast as it can. */
    @State(Scope.Thread)
    public static class ChildProducer {
        Path file;
        ManyToOneRingBuffer ring;
        ChildProcess producer;
        final byte[] received = new byte[SIZE];
        int copied;
        final MessageHandler handler = (type, buffer, index, length) -> {
            buffer.getBytes(index, received, 0, length);
            copied += length;
        };

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            file = Files.createTempFile(Path.of("/dev/shm"), "mp4j-agrona-", ".ring");
            try {
                Files.write(file, new byte[CAPACITY + RingBufferDescriptor.TRAILER_LENGTH]); // zeroed ring
                ring = new ManyToOneRingBuffer(new UnsafeBuffer(map(file)));
                String path = file.toString();
                producer = Multiprocessing.context().withJvmOptions(EXPORT).process(() -> {
                    ManyToOneRingBuffer rb = new ManyToOneRingBuffer(new UnsafeBuffer(map(Path.of(path))));
                    MutableDirectBuffer message = new UnsafeBuffer(new byte[SIZE]);
                    while (true) { // ends when killed, or when this JVM dies (parent-death signal)
                        if (!rb.write(MSG_TYPE, message, 0, SIZE)) {
                            Thread.onSpinWait();
                        }
                    }
                });
                producer.setDaemon(true);
                producer.start();
            } catch (Throwable t) { // JMH skips the tear-down of a failed set-up
                Files.deleteIfExists(file);
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            Children.stop(producer, () -> Files.deleteIfExists(file));
        }
    }

    static MappedByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size()); // stays mapped after close
        }
    }

    /** One op = one 64-byte message read from the child's ring. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int ringBuffer64B(ChildProducer s) {
        ManyToOneRingBuffer ring = s.ring;
        while (ring.read(s.handler, 1) == 0) {
            Thread.onSpinWait();
        }
        return s.copied;
    }

    /** {@value #BATCH} messages per invocation, drained as Agrona users do; ops/s = messages/s. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public int ringBuffer64BBatched(ChildProducer s) {
        ManyToOneRingBuffer ring = s.ring;
        int n = 0;
        while (n < BATCH) {
            int r = ring.read(s.handler, BATCH - n);
            if (r == 0) {
                Thread.onSpinWait();
            }
            n += r;
        }
        return s.copied;
    }
}
