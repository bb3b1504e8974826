package org.multiprocessing4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Manager;

/**
 * A manager dict shared by several processes (Python's {@code Manager().dict()} example): four
 * children each record the square of their number in one map owned by the manager's server
 * process; the parent prints the map once they are done.
 */
public final class ManagerDict {
    private ManagerDict() {
    }

    public static void main(String[] args) throws Exception {
        try (Manager manager = Manager.start()) {
            Map<String, Integer> squares = manager.dict();
            List<ChildProcess> workers = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                int n = i;
                workers.add(new ChildProcess(() -> squares.put("worker-" + n, n * n)));
            }
            for (ChildProcess w : workers) {
                w.start();
            }
            for (ChildProcess w : workers) {
                w.join();
                w.close();
            }
            System.out.println("squares: " + new TreeMap<>(squares));
        }
    }
}
