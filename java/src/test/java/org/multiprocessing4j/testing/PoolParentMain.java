package org.multiprocessing4j.testing;

import org.multiprocessing4j.ProcessPool;

/**
 * A parent JVM for the parent-death test: starts a pool of two workers, prints
 * {@code worker <pid>} for each once it answers, then waits to be killed.
 */
public final class PoolParentMain {
    private PoolParentMain() {
    }

    public static void main(String[] args) throws Exception {
        ProcessPool pool = ProcessPool.create(2);
        java.util.Set<Long> pids = new java.util.TreeSet<>();
        while (pids.size() < 2) {
            pids.addAll(pool.map(x -> {
                Thread.sleep(50);
                return ProcessHandle.current().pid();
            }, java.util.List.of(1, 2, 3, 4), 1));
        }
        for (long pid : pids) {
            System.out.println("worker " + pid);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(600_000);
    }
}
