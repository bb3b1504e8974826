package org.multiprocessing4j.bench;

import java.lang.foreign.MemorySegment;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does one 64-byte item take to go to a child process through a {@link SharedQueue}
 * and come back through another? One op = one round trip, {@code us/op}: we
 * {@code putBytes} into {@code ping}, the child takes it and {@code putBytes} it into
 * {@code pong}, we take it from {@code pong}. Two queue hand-offs per op, as in the C
 * ping-pong probe ({@code native/probes/pingpong.c}), whose two hand-offs are two word stores.
 * The allocation-free byte API is used on both sides (64-byte arrays wrapped once).
 *
 * <ul>
 *   <li>{@link #roundTripBlocking}: both sides wait in {@code takeBytes} (the queue's own waiting:
 *       a short spin, then a futex sleep). Floor: the C futex ping-pong; with {@code cpus=one}
 *       (everything pinned to one CPU) the C futex ping-pong on one CPU.
 *   <li>{@link #roundTripSpinning}: both sides poll, {@code pollBytes(target, 0, …)} in a loop with
 *       {@link Thread#onSpinWait()}, never sleeping. Floor: the C shared-line spin ping-pong.
 * </ul>
 * The child runs for the whole trial (started outside the timing) and is killed at the end.
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class QueueLatencyBench {
    private static final int SIZE = 64;

    /** Two queues and an echoing child; {@code spin} says how the child waits. */
    abstract static class PingPong {
        SharedQueue<byte[]> ping;
        SharedQueue<byte[]> pong;
        ChildProcess child;
        final MemorySegment out = MemorySegment.ofArray(new byte[SIZE]);
        final MemorySegment in = MemorySegment.ofArray(new byte[SIZE]);

        void start(boolean spin) throws Exception {
            ping = SharedQueue.create();
            pong = SharedQueue.create();
            SharedQueue<byte[]> from = ping;
            SharedQueue<byte[]> to = pong;
            child = new ChildProcess(() -> {
                MemorySegment buf = MemorySegment.ofArray(new byte[SIZE]);
                while (true) { // ends when killed, or when the benchmark JVM dies
                    if (spin) {
                        while (from.pollBytes(buf, 0, TimeUnit.NANOSECONDS) < 0) {
                            Thread.onSpinWait();
                        }
                    } else {
                        from.takeBytes(buf);
                    }
                    to.putBytes(buf);
                }
            });
            child.setDaemon(true);
            child.start();
        }

        void stop() throws Exception {
            try {
                child.kill();
                child.join();
                child.close();
            } finally {
                ping.close();
                pong.close();
            }
        }
    }

    @State(Scope.Thread)
    public static class Blocking extends PingPong {
        /**
         * {@code any}: wherever the scheduler puts the two JVMs. {@code one}: the run is pinned to
         * one CPU from outside ({@code taskset -c N java -jar benchmarks.jar -p cpus=one ...}, as
         * {@code scripts/bench} does; the child inherits the mask), the placement of the C probe's
         * {@code same-cpu} mode. The value only labels the result; setup checks that it is true.
         */
        @Param({"any"})
        public String cpus;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            if (cpus.equals("one") && Runtime.getRuntime().availableProcessors() != 1) {
                throw new IllegalStateException("cpus=one needs the JVM pinned to one CPU (taskset -c N), but "
                        + Runtime.getRuntime().availableProcessors() + " are available");
            }
            start(false);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            stop();
        }
    }

    @State(Scope.Thread)
    public static class Spinning extends PingPong {
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            start(true);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            stop();
        }
    }

    /** One round trip, both sides blocked in {@code takeBytes} while they wait. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTripBlocking(Blocking s) throws Exception {
        s.ping.putBytes(s.out);
        return s.pong.takeBytes(s.in);
    }

    /** One round trip, both sides spinning on {@code pollBytes} with a zero timeout. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int roundTripSpinning(Spinning s) throws Exception {
        s.ping.putBytes(s.out);
        int n;
        while ((n = s.pong.pollBytes(s.in, 0, TimeUnit.NANOSECONDS)) < 0) {
            Thread.onSpinWait();
        }
        return n;
    }
}
