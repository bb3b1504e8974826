package org.multiprocessing4j.platform.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.platform.WaitChannel;
import org.multiprocessing4j.testing.WaitStates;

/**
 * The wait channel on a 32-bit word of shared memory: a wait returns at once when the word
 * differs, a wake reaches a sleeper in another process, and a wait that reports a timeout has
 * waited at least that long (never early; spurious early returns must say "woken"). The region
 * is laid out as a library region is: the words first, the backend's wait-channel area at
 * {@link #AREA}, initialized by the creator before anyone else maps the region.
 */
class WaitChannelContractTest {
    /** Where the wait-channel area starts: a multiple of 64 after the test's words. */
    static final long AREA = 64;

    private final Platform os = Tck.platform();

    /** {@return the size of a region with words and a wait-channel area: whole pages} */
    static long regionSize(Platform os) {
        long page = os.pageSize();
        return (AREA + os.waitChannelBytes() + page - 1) / page * page;
    }

    /** {@return the wait channel of a new region created and initialized by this process} */
    private WaitChannel channel(Handle fd, Arena arena, MemorySegment[] mapping) throws IOException {
        long size = regionSize(os);
        MemorySegment m = os.map(fd, size, arena);
        os.initWaitChannel(m, AREA);
        mapping[0] = m;
        return os.waitChannel(m, AREA);
    }

    @Test
    void waitReturnsAtOnceWhenTheWordAlreadyDiffers() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Handle fd = os.createAnonymousMemory("tck-wait", regionSize(os));
            try {
                MemorySegment[] m = new MemorySegment[1];
                WaitChannel ch = channel(fd, arena, m);
                m[0].set(ValueLayout.JAVA_INT, 0, 7);
                // Were the value ignored, this would sleep for the whole PATIENCE and say false.
                assertTrue(ch.await(m[0].asSlice(0, 4), 6, Tck.PATIENCE));
            } finally {
                os.close(fd);
            }
        }
    }

    @Test
    void aWaitThatTimesOutNeverReturnsEarly() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Handle fd = os.createAnonymousMemory("tck-wait", regionSize(os));
            try {
                MemorySegment[] m = new MemorySegment[1];
                WaitChannel ch = channel(fd, arena, m);
                MemorySegment word = m[0].asSlice(0, 4);
                int timeouts = 0;
                for (long timeout : new long[] {1, TimeUnit.MILLISECONDS.toNanos(1),
                        TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.MILLISECONDS.toNanos(50)}) {
                    for (int i = 0; i < 5; i++) {
                        long start = System.nanoTime();
                        boolean woken = ch.await(word, 0, timeout);
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
        Handle fd = os.createAnonymousMemory("tck-wake", regionSize(os));
        int pid = -1;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] mm = new MemorySegment[1];
            WaitChannel ch = channel(fd, arena, mm);
            MemorySegment m = mm[0];
            // Each of the child's waits may last as long as the test's patience: a lost wake-up
            // makes it exit 2 instead of 0.
            pid = Tck.spawnChild(new Handle[] {fd}, "await",
                    Long.toString(TimeUnit.NANOSECONDS.toMillis(Tck.PATIENCE)));
            WaitStates.awaitCondition("the child is about to wait",
                    () -> (int) ValueLayout.JAVA_INT.varHandle().getVolatile(m, 4L) == 1);
            Tck.awaitThreadSleeping(pid, "tck-waiter");
            ValueLayout.JAVA_INT.varHandle().setVolatile(m, 0L, 1);
            ch.wake(m.asSlice(0, 4), Integer.MAX_VALUE);
            assertEquals(new Platform.ExitStatus(0, 0), Tck.awaitExit(pid));
            pid = -1;
        } finally {
            Tck.killAndReap(pid);
            os.close(fd);
        }
    }

    @Test
    void theWaitChannelAreaIsAWholeNumberOfCacheLines() {
        assertEquals(0, os.waitChannelBytes() % 64, "waitChannelBytes " + os.waitChannelBytes());
        assertTrue(os.waitChannelBytes() >= 0);
    }

    @Test
    void aWakeWithNobodyWaitingWakesNobody() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Handle fd = os.createAnonymousMemory("tck-wake", regionSize(os));
            try {
                MemorySegment[] m = new MemorySegment[1];
                WaitChannel ch = channel(fd, arena, m);
                assertEquals(0, ch.wake(m[0].asSlice(0, 4), Integer.MAX_VALUE));
            } finally {
                os.close(fd);
            }
        }
    }
}
