package org.multiprocessing4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.SharedMemory;
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
 * What does a named shared-memory block cost to set up, and how fast can we write into one?
 *
 * <ul>
 *   <li>{@link #createAttachClose}: {@code SharedMemory.createNamed(4096)} + {@code attach} by
 *       name + close both + unlink, {@code us/op}. Peer: CPython {@code shm_create_attach_close}
 *       (the same five steps). Includes this JVM's tracker bookkeeping (two pipe writes); the
 *       tracker process itself stays up across the loop (it lingers 250 ms after the last name).
 *   <li>{@link Bandwidth}: {@code ops/s} for one op = writing all {@code size} bytes of a mapped
 *       named block, pages touched beforehand; MB/s = ops/s &times; size / 10<sup>6</sup>.
 *       {@code fillShared}: {@code segment().fill}; {@code copyHeapToShared}: a
 *       {@code MemorySegment.copy} from a heap {@code byte[]} (what CPython's
 *       {@code shm.buf[:] = data}, peer {@code shm_write_*}, does); {@code copyHeapToPrivate}: the
 *       same copy into private native memory, the machine's memcpy baseline.
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SharedMemoryBench}.
 */
@Fork(value = 5, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class SharedMemoryBench {

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long createAttachClose() throws Exception {
        SharedMemory created = SharedMemory.createNamed(4096);
        String name = created.name().orElseThrow();
        long size;
        try (SharedMemory attached = SharedMemory.attach(name)) {
            size = attached.size();
        }
        created.close();
        created.unlink();
        return size;
    }

    /** A mapped named block of {@code size} bytes, a heap source and a private native target. */
    @State(Scope.Thread)
    public static class Bandwidth {
        @Param({"1048576", "268435456"})
        public long size;

        SharedMemory shm;
        MemorySegment shared;
        MemorySegment heap;
        MemorySegment privateMemory;
        Arena arena;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            shm = SharedMemory.createNamed(size);
            shared = shm.segment();
            byte[] data = new byte[(int) size];
            java.util.Arrays.fill(data, (byte) 0x5a);
            heap = MemorySegment.ofArray(data);
            arena = Arena.ofConfined();
            privateMemory = arena.allocate(size, 64);
            shared.fill((byte) 1); // touch every page once, outside the timing
            privateMemory.fill((byte) 1);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            shm.close();
            shm.unlink();
            arena.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public MemorySegment fillShared(Bandwidth b) {
        return b.shared.fill((byte) 0x5a);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public MemorySegment copyHeapToShared(Bandwidth b) {
        MemorySegment.copy(b.heap, 0, b.shared, 0, b.size);
        return b.shared;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public MemorySegment copyHeapToPrivate(Bandwidth b) {
        MemorySegment.copy(b.heap, 0, b.privateMemory, 0, b.size);
        return b.privateMemory;
    }
}
