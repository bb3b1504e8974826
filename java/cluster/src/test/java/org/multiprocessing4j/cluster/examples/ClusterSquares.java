package org.multiprocessing4j.cluster.examples;

import java.util.List;
import java.util.stream.IntStream;
import org.multiprocessing4j.cluster.ClusterPool;

/**
 * Seed 03's "Modern Alternative: ProcessPoolExecutor" (the twin of the core's
 * {@code ProcessPoolSquares}) on a 3-member cluster started on this machine: the members square
 * 0..9, each item after a 0.1 s sleep, and the results come back in input order:
 * {@code Results: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]}. Only the first line differs from the
 * local version; {@code close()} (the end of the try block) waits for the work, then stops the
 * member JVMs. Run by {@code scripts/demo} (or {@code scripts/demo ClusterSquares}).
 */
public final class ClusterSquares {
    private ClusterSquares() {
    }

    /** Data processing function. */
    static int processData(int item) throws InterruptedException {
        Thread.sleep(100); // Simulate CPU-intensive task
        return item * item;
    }

    public static void main(String[] args) throws Exception {
        try (ClusterPool executor = ClusterPool.builder().localMembers(3).build()) {
            List<Integer> results = executor.map(ClusterSquares::processData,
                    IntStream.range(0, 10).boxed().toList(), 1); // executor.map's chunksize is 1
            System.out.println("Results: " + results);
            System.out.println("Members: " + executor.cluster().members().size());
        }
    }
}
