package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.testing.WaitStates;

/**
 * The wait channel on a 32-bit word of shared memory: a wait returns at once when the word
 * differs, a wake reaches a sleeper in another process, and a wait that reports a timeout has
 * waited at least that long (never early; spurious early returns must say "woken").
 */
class WaitChannelContractTest {
    private final Platform os = Tck.platform();

    @Test
    void waitReturnsAtOnceWhenTheWordAlreadyDiffers() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            int fd = os.createAnonymousMemory("tck-wait", os.pageSize());
            try {
                MemorySegment m = os.map(fd, os.pageSize(), arena);
                m.set(ValueLayout.JAVA_INT, 0, 7);
                // Were the value ignored, this would sleep for the whole PATIENCE and say false.
                assertTrue(os.waitOnAddress(m, 6, Tck.PATIENCE));
            } finally {
                os.close(fd);
            }
        }
    }

    @Test
    void aWaitThatTimesOutNeverReturnsEarly() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            int fd = os.createAnonymousMemory("tck-wait", os.pageSize());
            try {
                MemorySegment m = os.map(fd, os.pageSize(), arena);
                int timeouts = 0;
                for (long timeout : new long[] {1, TimeUnit.MILLISECONDS.toNanos(1),
                        TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.MILLISECONDS.toNanos(50)}) {
                    for (int i = 0; i < 5; i++) {
                        long start = System.nanoTime();
                        boolean woken = os.waitOnAddress(m, 0, timeout);
                        long elapsed = System.nanoTime() - start;
                        if (!woken) {
                            timeouts++;
                            assertTrue(elapsed >= timeout, "reported a timeout of " + timeout
                                    + " ns after " + elapsed + " ns");
                        }
                    }
                }
                assertTrue(timeouts > 0, "nobody wakes this word, yet no wait timed out");
            } finally {
                os.close(fd);
            }
        }
    }

    @Test
    void aWakeReachesASleeperInAnotherProcess() throws IOException {
        int fd = os.createAnonymousMemory("tck-wake", os.pageSize());
        int pid = -1;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment m = os.map(fd, os.pageSize(), arena);
            // Each of the child's waits may last as long as the test's patience: a lost wake-up
            // makes it exit 2 instead of 0.
            pid = Tck.spawnChild(new int[] {fd}, "await",
                    Long.toString(TimeUnit.NANOSECONDS.toMillis(Tck.PATIENCE)));
            WaitStates.awaitCondition("the child is about to wait",
                    () -> (int) ValueLayout.JAVA_INT.varHandle().getVolatile(m, 4L) == 1);
            Tck.awaitThreadSleeping(pid, "tck-waiter");
            ValueLayout.JAVA_INT.varHandle().setVolatile(m, 0L, 1);
            os.wakeAddress(m, Integer.MAX_VALUE);
            assertEquals(new Platform.ExitStatus(0, 0), Tck.awaitExit(pid));
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            os.close(fd);
        }
    }

    @Test
    void aWakeWithNobodyWaitingWakesNobody() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            int fd = os.createAnonymousMemory("tck-wake", os.pageSize());
            try {
                MemorySegment m = os.map(fd, os.pageSize(), arena);
                assertEquals(0, os.wakeAddress(m, Integer.MAX_VALUE));
            } finally {
                os.close(fd);
            }
        }
    }
}
