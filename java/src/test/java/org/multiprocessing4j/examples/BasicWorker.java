package org.multiprocessing4j.examples;

import org.multiprocessing4j.ChildProcess;

/**
 * Seed 02 ("Multiprocessing in Python (72/100 Days of Python)"), section "Basic usage of
 * multiprocessing": start a process that prints {@code Worker}.
 */
public final class BasicWorker {
    private BasicWorker() {
    }

    static void worker() {
        System.out.println("Worker");
    }

    public static void main(String[] args) throws Exception {
        try (ChildProcess p = new ChildProcess(() -> worker())) {
            p.start();
            // Unlike the seed, join: the examples run one after another in the same JVM (Demo),
            // and an unjoined child would still be running (and printing) during the next
            // example. Python joins non-daemonic children at exit; so would this library, but
            // only when the whole JVM exits.
            p.join();
        }
    }
}
