package org.multiprocessing4j.bench;

import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.SharedLong;
import org.multiprocessing4j.SharedReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does one increment of a counter in shared memory take, uncontended? Ours is a single
 * atomic instruction ({@link SharedLong#incrementAndGet()}); the CPython peer
 * ({@code value_increment_locked}) must take the Value's lock, because CPython has no atomic
 * shared integer. {@code lockedIncrement} does what the peer does: take a shared reentrant lock
 * (CPython's Value lock is an RLock), read, add one, write, release.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SharedCounterBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 5, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class SharedCounterBench {
    private SharedLong counter;
    private SharedReentrantLock lock;

    @Setup
    public void setUp() throws Exception {
        counter = SharedLong.create(0);
        lock = SharedReentrantLock.create();
    }

    @TearDown
    public void tearDown() {
        lock.close();
        counter.close();
    }

    @Benchmark
    public long lockedIncrement() {
        lock.lock();
        try {
            long v = counter.get() + 1;
            counter.set(v);
            return v;
        } finally {
            lock.unlock();
        }
    }

    @Benchmark
    public long atomicIncrement() {
        return counter.incrementAndGet();
    }
}
