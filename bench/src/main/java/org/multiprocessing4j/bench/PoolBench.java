package org.multiprocessing4j.bench;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.multiprocessing4j.ProcessPool;
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
 * {@link ProcessPool} with 2 workers, against CPython's {@code Pool(2)} and
 * {@code ProcessPoolExecutor(2)}.
 *
 * <ul>
 *   <li>{@link #map100kChunk1}, {@link #map100kDefaultChunk}: one {@code map(x -> x + 1)} over
 *       100,000 ints with chunksize 1 / Python's default chunk size, ms per map. Peers:
 *       {@code Pool(2).map}, {@code ProcessPoolExecutor(2).map} ({@code pool_map_*}, {@code ppe_map_*}).
 *   <li>{@link #applyAsyncRoundTrip}: {@code applyAsync(x -> x + 1, i).get()}, µs per call. Peer:
 *       {@code apply_async(f, (i,)).get()} ({@code pool_apply_roundtrip}).
 *   <li>{@link #createToFirstResult}: {@code ProcessPool.create(2)}, one {@code applyAsync} result,
 *       {@code close()}, ms (single shots). Peer: {@code Pool(2)} + {@code apply_async().get()} +
 *       close/join ({@code pool_create_first_result}).
 * </ul>
 * The warm-up iterations matter: the worker JVMs compile the task path during the first calls
 * (the first {@code map} on a fresh pool is several times slower than later ones).
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class PoolBench {
    private static final List<Integer> ITEMS = IntStream.range(0, 100_000).boxed().toList();

    /** A pool of two workers for the whole trial. */
    @State(Scope.Thread)
    public static class Pool {
        ProcessPool pool;
        int i;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            pool = ProcessPool.create(2);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pool.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<Integer> map100kChunk1(Pool s) throws InterruptedException, ExecutionException {
        return s.pool.map((Integer x) -> x + 1, ITEMS, 1);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<Integer> map100kDefaultChunk(Pool s) throws InterruptedException, ExecutionException {
        return s.pool.map((Integer x) -> x + 1, ITEMS);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer applyAsyncRoundTrip(Pool s) throws InterruptedException, ExecutionException {
        return s.pool.applyAsync((Integer x) -> x + 1, s.i++).get();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public Integer createToFirstResult() throws IOException, InterruptedException, ExecutionException {
        try (ProcessPool pool = ProcessPool.create(2)) {
            return pool.applyAsync((Integer x) -> x + 1, 41).get();
        }
    }
}
