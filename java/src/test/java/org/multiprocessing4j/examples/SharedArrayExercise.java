package org.multiprocessing4j.examples;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.SharedMemory;

/**
 * Seed 04, "Hands-on Exercise: Experiment with Shared Memory": two processes share an array in a
 * {@link SharedMemory} block and modify it concurrently; both can read and write it. The seed's
 * hint (numpy over the buffer) becomes an int view of the block's {@link MemorySegment}; the
 * concurrent additions are atomic, so none is lost.
 */
public final class SharedArrayExercise {
    private static final int LENGTH = 5;
    private static final int ROUNDS = 1000;
    private static final VarHandle INTS = ValueLayout.JAVA_INT.arrayElementVarHandle();

    private SharedArrayExercise() {
    }

    static void addToEveryElement(SharedMemory shm, int times) {
        MemorySegment array = shm.segment();
        for (int round = 0; round < times; round++) {
            for (long i = 0; i < LENGTH; i++) {
                INTS.getAndAdd(array, 0L, i, 1);
            }
        }
        System.out.println(ChildProcess.currentProcess().name() + " (PID " + ProcessHandle.current().pid()
                + ") added 1 to every element " + times + " times");
    }

    public static void main(String[] args) throws Exception {
        try (SharedMemory shm = SharedMemory.create(LENGTH * Integer.BYTES);
             ChildProcess p1 = new ChildProcess(() -> addToEveryElement(shm, ROUNDS));
             ChildProcess p2 = new ChildProcess(() -> addToEveryElement(shm, ROUNDS))) {
            p1.start();
            p2.start();
            p1.join();
            p2.join();
            int[] result = shm.segment().toArray(ValueLayout.JAVA_INT);
            System.out.println("Shared array after both processes: " + Arrays.toString(result));
        }
    }
}
