package org.multiprocessing4j.examples;

import java.util.List;
import java.util.stream.IntStream;
import org.multiprocessing4j.ProcessPool;

/**
 * Seed 03 (the article on {@code multiprocessing.Queue} and the reader-writer model), section
 * "Modern Alternative: ProcessPoolExecutor": four worker processes square 0..9, each item after
 * a 0.1 s sleep, and the results come back in input order:
 * {@code Results: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]}.
 *
 * <p>{@code ProcessPool} is both Python's {@code Pool} and its {@code ProcessPoolExecutor}; its
 * {@code close()} (the end of the try block, like the seed's {@code with}) waits for the work and
 * the workers, as {@code ProcessPoolExecutor.__exit__} does.
 */
public final class ProcessPoolSquares {
    private ProcessPoolSquares() {
    }

    /** Data processing function. */
    static int processData(int item) throws InterruptedException {
        Thread.sleep(100); // Simulate CPU-intensive task
        return item * item;
    }

    public static void main(String[] args) throws Exception {
        try (ProcessPool executor = ProcessPool.create(4)) {
            List<Integer> results = executor.map(ProcessPoolSquares::processData,
                    IntStream.range(0, 10).boxed().toList(), 1); // executor.map's chunksize is 1
            System.out.println("Results: " + results);
        }
    }
}
