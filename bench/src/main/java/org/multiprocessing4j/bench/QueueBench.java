package org.multiprocessing4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How many 64-byte {@code byte[]} messages per second does a {@link SharedQueue} move from a
 * child process to this JVM, one producer to one consumer?
 *
 * <ul>
 *   <li>{@link #sharedQueue64B}: a child JVM puts the same 64-byte array non-stop into a queue of
 *       {@value SharedQueue#DEFAULT_SLOTS} slots; one op = one {@code take()} here, so ops/s =
 *       msg/s. The child is started in a trial-level setup, outside the timing, and killed at
 *       the end (the queue is full by then, so it is blocked in {@code put}).
 *   <li>{@link #sharedQueueBytes64B}: the same through the allocation-free byte API, the child
 *       {@code putBytes} and one op = one {@code takeBytes} into a reused 64-byte buffer.
 *   <li>{@link #sharedQueueBytesLarge}: 64 KiB and 1 MiB records through the byte API, in place
 *       through the queue's record area (8 MiB for records up to 2 MiB here), the child
 *       {@code putBytes} from native memory and one op = one {@code takeBytes} into a reused
 *       native buffer: one copy on each side. MB/s = ops/s &times; size / 10<sup>6</sup>, to set
 *       against {@code SharedMemoryBench.copyHeapToPrivate}, the machine's memcpy.
 *   <li>{@link #arrayBlockingQueue64B}: the in-process reference, a producer thread and the
 *       benchmark thread on an {@code ArrayBlockingQueue} of the same capacity.
 * </ul>
 * Peers wired into {@code scripts/bench} separately: CPython {@code multiprocessing.Queue}, Agrona's
 * {@code ManyToOneRingBuffer} ({@link AgronaBench}).
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class QueueBench {
    private static final int SIZE = 64;

    /** A child JVM that fills the queue as fast as it can. */
    @State(Scope.Thread)
    public static class ChildProducer {
        SharedQueue<byte[]> queue;
        ChildProcess producer;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            SharedQueue<byte[]> q = SharedQueue.create();
            queue = q;
            producer = new ChildProcess(() -> {
                byte[] message = new byte[SIZE];
                while (true) {
                    q.put(message);
                }
            });
            producer.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            Children.stop(producer, () -> queue.close());
        }
    }

    /** A child JVM that fills the queue with {@code putBytes} of the same 64 bytes. */
    @State(Scope.Thread)
    public static class ChildBytesProducer {
        SharedQueue<byte[]> queue;
        ChildProcess producer;
        final MemorySegment target = MemorySegment.ofArray(new byte[SIZE]);

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            SharedQueue<byte[]> q = SharedQueue.create();
            queue = q;
            producer = new ChildProcess(() -> {
                MemorySegment message = MemorySegment.ofArray(new byte[SIZE]);
                while (true) {
                    q.putBytes(message);
                }
            });
            producer.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            Children.stop(producer, () -> queue.close());
        }
    }

    /** A child JVM that fills a queue with a large area with {@code putBytes} of one size. */
    @State(Scope.Thread)
    public static class ChildLargeBytesProducer {
        @Param({"64KiB", "1MiB"})
        public String size;
        SharedQueue<byte[]> queue;
        ChildProcess producer;
        Arena arena;
        MemorySegment target;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            int n = size.equals("1MiB") ? 1 << 20 : 64 << 10;
            SharedQueue<byte[]> q = SharedQueue.builder().recordArea(8 << 20, 2 << 20).create();
            queue = q;
            arena = Arena.ofShared();
            target = arena.allocate(n);
            producer = new ChildProcess(() -> {
                MemorySegment message = Arena.global().allocate(n);
                message.fill((byte) 7);
                while (true) {
                    q.putBytes(message);
                }
            });
            producer.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            Children.stop(producer, () -> queue.close());
            arena.close();
        }
    }

    /** A producer thread in this JVM. */
    @State(Scope.Thread)
    public static class ThreadProducer {
        final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(SharedQueue.DEFAULT_SLOTS);
        Thread producer;

        @Setup(Level.Trial)
        public void setUp() {
            producer = Thread.ofPlatform().daemon().start(() -> {
                byte[] message = new byte[SIZE];
                try {
                    while (true) {
                        queue.put(message);
                    }
                } catch (InterruptedException e) {
                    // tear-down
                }
            });
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            producer.interrupt();
            producer.join();
        }
    }

    /**
     * A child JVM that puts one kind of message non-stop: {@code 64B} (a 64-byte array),
     * {@code record} (a three-field record, through Java serialization), {@code 64KiB} (a
     * 64 KiB array: larger than a slot, so it travels in place through the record area) or
     * {@code 64B-maxsize1000} (64-byte arrays into a queue of maxsize 1000).
     */
    @State(Scope.Thread)
    public static class ChildProducerOfKind {
        @Param({"64B", "record", "64KiB", "64B-maxsize1000"})
        public String kind;
        SharedQueue<Object> queue;
        ChildProcess producer;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            SharedQueue<Object> q = kind.endsWith("maxsize1000") ? SharedQueue.create(1000) : SharedQueue.create();
            queue = q;
            String k = kind;
            producer = new ChildProcess(() -> {
                Object message = switch (k) {
                    case "record" -> new CodecBench.Sample(7, 1234567890123L, "seven");
                    case "64KiB" -> new byte[64 * 1024];
                    default -> new byte[SIZE];
                };
                while (true) {
                    q.put(message);
                }
            });
            producer.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                producer.kill();
                producer.join();
                producer.close();
            } finally {
                while (queue.poll() != null) { // consume what is left, spilled records included
                }
                queue.close();
            }
        }
    }

    /** Two child producers for the 2 → 2 case; two benchmark threads consume. */
    @State(Scope.Benchmark)
    public static class TwoChildProducers {
        SharedQueue<byte[]> queue;
        ChildProcess[] producers = new ChildProcess[2];

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            SharedQueue<byte[]> q = SharedQueue.create();
            queue = q;
            for (int i = 0; i < producers.length; i++) {
                producers[i] = new ChildProcess(() -> {
                    byte[] message = new byte[SIZE];
                    while (true) {
                        q.put(message);
                    }
                });
                producers[i].start();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                for (ChildProcess p : producers) {
                    p.kill();
                    p.join();
                    p.close();
                }
            } finally {
                queue.close();
            }
        }
    }

    /** One op = one message of the state's kind taken from the child's queue. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Object sharedQueue(ChildProducerOfKind s) throws InterruptedException {
        return s.queue.take();
    }

    /** 2 producers (child JVMs) → 2 consumers (threads here); the score is the total msg/s. */
    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] sharedQueue2to2(TwoChildProducers s) throws InterruptedException {
        return s.queue.take();
    }

    /** One op = one 64-byte message taken from the child's queue. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] sharedQueue64B(ChildProducer s) throws InterruptedException {
        return s.queue.take();
    }

    /** One op = one 64-byte record copied into a reused buffer with {@code takeBytes} (no allocation). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int sharedQueueBytes64B(ChildBytesProducer s) throws Exception {
        return s.queue.takeBytes(s.target);
    }

    /** One op = one record of the state's size copied into a reused native buffer with {@code takeBytes}. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int sharedQueueBytesLarge(ChildLargeBytesProducer s) throws Exception {
        return s.queue.takeBytes(s.target);
    }

    /** One op = one 64-byte message taken from the producer thread's queue. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public byte[] arrayBlockingQueue64B(ThreadProducer s) throws InterruptedException {
        return s.queue.take();
    }
}
