package org.multiprocessing4j.bench;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.SharedQueue;
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
 * How many bytes does the Java heap allocate per 64-byte message on the queue's byte hot path?
 * Meant to be run with JMH's GC profiler ({@code -prof gc}): the number is its
 * {@code gc.alloc.rate.norm} (bytes per op, every thread of the benchmark JVM counted, so the
 * harness's own few bytes show up as a fraction of a byte per op). {@code scripts/bench} runs this
 * class separately with {@code -prof gc}; the main JMH run excludes it.
 *
 * <ul>
 *   <li>{@link #putTakeBytes}: one thread, one JVM, {@code putBytes} then {@code takeBytes} of the
 *       same 64 bytes (producer and consumer sides of the hot path, both measured).
 *   <li>{@link #putTake}: the same with {@code put(byte[])} then {@code take()}, the object API:
 *       its one expected allocation per message is the {@code byte[]} that {@code take()} returns
 *       (80 bytes for 64); anything beyond that is overhead of the path.
 *   <li>{@link #takeBytesFromChild}: a child JVM {@code putBytes} non-stop, one op = one
 *       {@code takeBytes} here (the consumer side across processes; the child is not measured).
 *   <li>{@link #takeFromChild}: the same with {@code take()}, which returns a new {@code byte[]}
 *       per message: the allocating API, for comparison.
 *   <li>{@link #arrayBlockingQueue}: reference, an {@code ArrayBlockingQueue<byte[]>} in one
 *       thread, {@code put} of a fresh copy of the message, then {@code take}: what handing bytes
 *       over through a JDK queue costs when the sender keeps its buffer.
 * </ul>
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class QueueAllocBench {
    private static final int SIZE = 64;

    /** A queue used by this thread only. */
    @State(Scope.Thread)
    public static class Local {
        SharedQueue<byte[]> queue;
        final MemorySegment message = MemorySegment.ofArray(new byte[SIZE]);
        final MemorySegment target = MemorySegment.ofArray(new byte[SIZE]);
        final byte[] array = new byte[SIZE];

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            queue = SharedQueue.create();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            queue.close();
        }
    }

    // The child producer is QueueBench.ChildBytesProducer (putBytes of the same 64 bytes).

    /** The JDK reference, one thread. */
    @State(Scope.Thread)
    public static class Jdk {
        final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(SharedQueue.DEFAULT_SLOTS);
        final byte[] message = new byte[SIZE];
    }

    @Benchmark
    public int putTakeBytes(Local s) throws Exception {
        s.queue.putBytes(s.message);
        return s.queue.takeBytes(s.target);
    }

    @Benchmark
    public byte[] putTake(Local s) throws Exception {
        s.queue.put(s.array);
        return s.queue.take();
    }

    @Benchmark
    public int takeBytesFromChild(QueueBench.ChildBytesProducer s) throws Exception {
        return s.queue.takeBytes(s.target);
    }

    @Benchmark
    public byte[] takeFromChild(QueueBench.ChildBytesProducer s) throws Exception {
        return s.queue.take();
    }

    @Benchmark
    public byte[] arrayBlockingQueue(Jdk s) throws Exception {
        s.queue.put(Arrays.copyOf(s.message, SIZE));
        return s.queue.take();
    }
}
