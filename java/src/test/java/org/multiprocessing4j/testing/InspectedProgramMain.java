package org.multiprocessing4j.testing;

import java.util.List;
import org.multiprocessing4j.ShareableList;
import org.multiprocessing4j.SharedBarrier;
import org.multiprocessing4j.SharedEvent;
import org.multiprocessing4j.SharedLock;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.SharedQueue;
import org.multiprocessing4j.SharedSemaphore;

/**
 * A program for {@code InspectorTest}: creates one named object of each kind with names starting
 * with {@code args[0]} ({@code q}, {@code lock} held, {@code sem}, {@code ev} set, {@code bar},
 * {@code mem}, {@code list}), puts three elements into the queue, prints {@code ready}, then waits
 * to be killed.
 */
public final class InspectedProgramMain {
    private InspectedProgramMain() {
    }

    public static void main(String[] args) throws Exception {
        String p = args[0];
        SharedQueue<String> q = SharedQueue.builder().name(p + "q").capacity(8).create();
        q.put("a");
        q.put("b");
        q.put("c");
        SharedLock lock = SharedLock.create(p + "lock");
        lock.lock();
        SharedSemaphore sem = SharedSemaphore.create(p + "sem", 2, false);
        SharedEvent ev = SharedEvent.create(p + "ev");
        ev.set();
        SharedBarrier bar = SharedBarrier.create(p + "bar", 2);
        SharedMemory mem = SharedMemory.create(p + "mem", 4096);
        ShareableList list = ShareableList.create(p + "list", List.of(1L, "two", 3.0));
        System.out.println("ready " + List.of(q, lock, sem, ev, bar, mem, list).size());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
