package org.multiprocessing4j.examples;

import org.multiprocessing4j.SharedMemory;

/**
 * Seed 02, "Sharing Data with Shared Memory": create a shared memory block of 1024 bytes and
 * print its size. Unlike the seed's named block, this one is anonymous (the default here): it
 * has no name to leak and is freed when the last process closes it.
 */
public final class SharedMemoryBlock {
    private SharedMemoryBlock() {
    }

    public static void main(String[] args) throws Exception {
        try (SharedMemory shm = SharedMemory.create(1024)) {
            System.out.println(shm.size());
        }
    }
}
