package org.multiprocessing4j.examples;

import java.util.ArrayList;
import java.util.List;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedInt;

/**
 * Issue 3's example (the tutorials' advice "use Value and be prepared to use locks"): four
 * processes each add 1000 to a shared counter with a read-modify-write that is not atomic by
 * itself; the counter's shared lock ({@code Value('i', 0)}'s {@code get_lock()} in Python) makes
 * the total exact.
 */
public final class LockedCounter {
    private static final int PROCESSES = 4;
    private static final int INCREMENTS = 1000;

    private LockedCounter() {
    }

    static void addMany(SharedInt counter) {
        for (int i = 0; i < INCREMENTS; i++) {
            counter.getLock().lock();
            try {
                counter.set(counter.get() + 1); // two steps: only the lock keeps them together
            } finally {
                counter.getLock().unlock();
            }
        }
    }

    public static void main(String[] args) throws Exception {
        try (SharedInt counter = SharedInt.create(0, true)) {
            List<ChildProcess> workers = new ArrayList<>();
            for (int p = 0; p < PROCESSES; p++) {
                ChildProcess worker = new ChildProcess(() -> addMany(counter));
                worker.start();
                workers.add(worker);
            }
            for (ChildProcess worker : workers) {
                worker.join();
                worker.close();
            }
            System.out.println("Final counter: " + counter.get() + " (expected "
                    + PROCESSES * INCREMENTS + ")");
        }
    }
}
