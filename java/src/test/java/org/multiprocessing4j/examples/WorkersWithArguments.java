package org.multiprocessing4j.examples;

import java.util.ArrayList;
import java.util.List;
import org.multiprocessing4j.ChildProcess;

/**
 * Seed 02 ("Multiprocessing in Python (72/100 Days of Python)"), section "Passing arguments to
 * processes": five processes, each printing {@code Worker i}, in no particular order.
 */
public final class WorkersWithArguments {
    private WorkersWithArguments() {
    }

    static void worker(int num) {
        System.out.println("Worker " + num);
    }

    public static void main(String[] args) throws Exception {
        List<ChildProcess> processes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int num = i; // a lambda captures effectively final variables only
            ChildProcess p = new ChildProcess(() -> worker(num));
            p.start();
            processes.add(p);
        }
        // Unlike the seed, join all: the next example of the demo runs in the same JVM and must
        // not be interleaved with these workers' output.
        for (ChildProcess p : processes) {
            p.join();
            p.close();
        }
    }
}
