package org.multiprocessing4j.testing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.SharedMemoryManager;
import org.multiprocessing4j.SharedQueue;
import org.multiprocessing4j.internal.queue.Spill;

/**
 * A program for {@code SharedMemoryLimitTest}, run inside a memory-limited cgroup: creates shared
 * memory of the sizes given, one creator per argument ({@code <kind>:<bytes>}), and prints one
 * line for each: {@code created <arg>} or {@code refused <arg> <exception>: <message>}. On
 * unchecked code the kernel's OOM killer ends it instead.
 */
public final class SizeLimitMain {
    private SizeLimitMain() {
    }

    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            String[] f = arg.split(":");
            long size = Long.parseLong(f[1]);
            try {
                create(f[0], size);
                System.out.println("created " + arg);
            } catch (IOException e) {
                System.out.println("refused " + arg + " " + e.getClass().getName() + ": "
                        + e.getMessage().replace('\n', ' '));
            }
            System.out.flush();
        }
    }

    private static void create(String kind, long size) throws IOException {
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "anonymous" -> {
                try (SharedMemory m = SharedMemory.create(size)) {
                    m.segment();
                }
            }
            case "named" -> {
                try (SharedMemory m = SharedMemory.createNamed(size)) {
                    m.unlink();
                }
            }
            case "queue" -> {
                // size = slot size (1 MiB) x capacity
                int slots = (int) (size >> 20);
                try (SharedQueue<byte[]> q = SharedQueue.builder().slotSize(1 << 20).capacity(slots).create()) {
                    q.isEmpty();
                }
            }
            case "spill" -> {
                // A record of `size` bytes that is never read when the spill is refused: the
                // check must come before anything is committed or copied.
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment record = size <= 1 << 20 ? a.allocate(size) : a.allocate(1).reinterpret(size);
                    MemorySegment ref = Spill.newReference(0, size);
                    Spill.write(ref, record);
                    Spill.discard(ref);
                }
            }
            case "manager" -> {
                try (SharedMemoryManager smm = SharedMemoryManager.start();
                     SharedMemory m = smm.sharedMemory(size)) {
                    m.segment();
                }
            }
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
    }
}
