package org.multiprocessing4j.examples;

import java.util.List;
import java.util.stream.IntStream;
import org.multiprocessing4j.ProcessPool;

/**
 * Seed 02 ("Multiprocessing in Python"), its claim that multiprocessing "can utilize all the CPU
 * cores on your machine making the execution of certain tasks several times faster": the same
 * CPU-bound {@code map} (counting primes by trial division, in 64 ranges) with a pool of one
 * process and with a pool of one process per CPU, timed.
 *
 * <p>Prints the count (the same both ways), then one line per pool size with its time, then the
 * speed-up. The times depend on the machine and its load; each pool is warmed up first with a
 * smaller run, so that JVM start and JIT compilation are not part of the timing.
 */
public final class PoolSpeedup {
    private static final int LIMIT = 4_000_000;
    private static final int RANGES = 64;

    private PoolSpeedup() {
    }

    /** The number of primes in {@code [from, to)}, by trial division: deliberately CPU-bound. */
    static int countPrimes(int from, int to) {
        int count = 0;
        for (int n = Math.max(from, 2); n < to; n++) {
            boolean prime = true;
            for (int d = 2; (long) d * d <= n; d++) {
                if (n % d == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                count++;
            }
        }
        return count;
    }

    static int countRange(int range) {
        int width = LIMIT / RANGES;
        return countPrimes(range * width, (range + 1) * width);
    }

    /** Runs the map on a pool of {@code processes}; returns {count, nanoseconds}. */
    static long[] run(int processes) throws Exception {
        List<Integer> ranges = IntStream.range(0, RANGES).boxed().toList();
        try (ProcessPool pool = ProcessPool.create(processes)) {
            pool.map(r -> countPrimes(0, 200_000), ranges.subList(0, 2 * processes), 1); // warm-up
            long start = System.nanoTime();
            List<Integer> counts = pool.map(PoolSpeedup::countRange, ranges, 1);
            long nanos = System.nanoTime() - start;
            return new long[] {counts.stream().mapToLong(Integer::longValue).sum(), nanos};
        }
    }

    public static void main(String[] args) throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        long[] one = run(1);
        long[] all = run(cpus);
        if (one[0] != all[0]) {
            throw new AssertionError("different counts: " + one[0] + " and " + all[0]);
        }
        System.out.println("Primes below " + LIMIT + ": " + one[0]);
        System.out.printf("1 process: %.0f ms%n", one[1] / 1e6);
        System.out.printf("%d processes: %.0f ms%n", cpus, all[1] / 1e6);
        System.out.printf("Speed-up: %.1fx on %d CPUs%n", (double) one[1] / all[1], cpus);
    }
}
