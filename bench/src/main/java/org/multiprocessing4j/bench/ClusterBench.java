package org.multiprocessing4j.bench;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.multiprocessing4j.ProcessPool;
import org.multiprocessing4j.cluster.ClusterPool;
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
 * What the cluster path costs on one machine: {@code ClusterPool} (Hazelcast, 2 member JVMs
 * started here, 1 executor thread each) against {@code ProcessPool} with 2 workers, the same CPU
 * budget.
 *
 * <ul>
 *   <li>{@link #clusterMapCpuBound} vs {@link #processPoolMapCpuBound}: {@code map} of a CPU-bound
 *       function ({@link #spin}: about a millisecond of arithmetic per item) over 200 items,
 *       Python's default chunk size, ms per map. The ratio is the cluster path's overhead.
 *   <li>{@link #clusterApplyAsyncRoundTrip}: {@code applyAsync(x -> x + 1, i).get()}, µs per
 *       call: one task's round trip through the Hazelcast client, a member's executor and back.
 *       Peer: {@code PoolBench.applyAsyncRoundTrip} (the same call on a {@code ProcessPool}).
 * </ul>
 * The client JVM gets the {@code --add-opens} Hazelcast asks for; the members get them from the
 * library.
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "--add-modules", "java.se",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED"})
@Warmup(iterations = 1, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
public class ClusterBench {
    private static final List<Integer> ITEMS = IntStream.range(0, 200).boxed().toList();

    /** About a millisecond of arithmetic that the JIT cannot remove. */
    static long spin(int seed) {
        long x = seed + 1;
        for (int i = 0; i < 400_000; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }

    /** A 2-member local cluster for the whole trial. */
    @State(Scope.Thread)
    public static class Cluster {
        ClusterPool pool;
        int i;

        @Setup(Level.Trial)
        public void setUp() throws IOException, InterruptedException {
            pool = ClusterPool.builder().localMembers(2).threadsPerMember(1).build();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pool.close();
        }
    }

    /** A pool of two workers for the whole trial. */
    @State(Scope.Thread)
    public static class Local {
        ProcessPool pool;

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
    public List<Long> clusterMapCpuBound(Cluster s) throws InterruptedException, ExecutionException {
        return s.pool.map(ClusterBench::spin, ITEMS);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<Long> processPoolMapCpuBound(Local s) throws InterruptedException, ExecutionException {
        return s.pool.map(ClusterBench::spin, ITEMS);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer clusterApplyAsyncRoundTrip(Cluster s) throws InterruptedException, ExecutionException {
        return s.pool.applyAsync((Integer x) -> x + 1, s.i++).get();
    }
}
