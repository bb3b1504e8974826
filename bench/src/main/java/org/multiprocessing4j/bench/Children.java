package org.multiprocessing4j.bench;

import org.multiprocessing4j.ChildProcess;

/** Tear-down of the child JVMs benchmarks start. */
final class Children {
    private Children() {
    }

    /** What to release once the child is gone (a queue, a file). */
    @FunctionalInterface
    interface Release {
        void run() throws Exception;
    }

    /** Kills and reaps {@code child}, then runs {@code then}, even if stopping the child failed. */
    static void stop(ChildProcess child, Release then) throws Exception {
        try {
            child.kill();
            child.join();
            child.close();
        } finally {
            then.run();
        }
    }
}
