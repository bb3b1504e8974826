package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;

/**
 * Seed 01 ("47.2 The multiprocessing Module: Process, Queue, Pipe"), section "The Process Class":
 * two workers with different delays, each printing its own pid; the parent joins both.
 *
 * <p>The seed sleeps 2 s and 1 s; here 0.4 s and 0.2 s, so that the demo stays quick. The
 * ratio is kept: Process-2 normally finishes first although it starts second.
 */
public final class TwoWorkers {
    private TwoWorkers() {
    }

    /** A simple worker function that runs in a separate process. */
    static void worker(String name, double delay) throws InterruptedException {
        System.out.println("Process " + name + " (PID: " + ProcessHandle.current().pid()
                + ") started. Sleeping for " + delay + " seconds.");
        // Simulate some work by sleeping
        Thread.sleep((long) (delay * 1000));
        System.out.println("Process " + name + " finished.");
    }

    public static void main(String[] args) throws Exception {
        // Create process objects (seed: 2 and 1 seconds, scaled down)
        try (ChildProcess p1 = new ChildProcess(() -> worker("Process-1", 0.4));
             ChildProcess p2 = new ChildProcess(() -> worker("Process-2", 0.2))) {
            // Start the processes
            p1.start();
            p2.start();
            // Wait for both processes to complete
            p1.join();
            p2.join();
        }
        System.out.println("All processes have finished execution.");
    }
}
