package org.multiprocessing4j.internal.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.platform.Platform;
import org.multiprocessing4j.testing.WaitStates;

/** The one waiting policy over this backend's wait channel. */
@Timeout(60)
class WaitingTest {

    private static MemorySegment region(Arena a) {
        MemorySegment s = a.allocate(EventLayout.SIZE, 128);
        RegionHeader.publish(s, EventLayout.MAGIC, EventLayout.VERSION, EventLayout.SIZE, true,
                ProcessToken.self());
        return s;
    }

    @Test
    void aSleepNobodyEndsReportsItsTimeoutOnlyOnceItHasFullyElapsed() {
        try (Arena a = Arena.ofShared()) {
            WaitWord w = WaitWord.of(region(a), EventLayout.STATE_OFFSET);
            long n = 2_000_000L;
            long t0 = System.nanoTime();
            boolean woken = Waiting.sleep(w, 0, n);
            long took = System.nanoTime() - t0;
            if (!woken) {
                assertTrue(took >= n, "timed out after " + took + " ns of " + n);
            }
        }
    }

    @Test
    void aSleepOnAWordThatAlreadyDiffersReturnsAsWoken() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = region(a);
            WaitWord w = WaitWord.of(s, EventLayout.STATE_OFFSET);
            Words.setIntVolatile(s, EventLayout.STATE_OFFSET, 5);
            assertTrue(w.channel().await(w.word(), 4, -1), "the word is 5, not 4: no sleep");
        }
    }

    @Test
    void aWakeEndsASleepOfAnotherThread() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = region(a);
            WaitWord w = WaitWord.of(s, EventLayout.STATE_OFFSET);
            AtomicBoolean done = new AtomicBoolean();
            Thread t = Thread.ofPlatform().start(() -> {
                while (Words.intVolatile(s, EventLayout.STATE_OFFSET) == 0) {
                    Waiting.sleep(w, 0, Long.MAX_VALUE);
                }
                done.set(true);
            });
            WaitStates.awaitSleepingInWait(t);
            Words.setIntVolatile(s, EventLayout.STATE_OFFSET, 1);
            Waiting.wake(w, Integer.MAX_VALUE);
            t.join();
            assertTrue(done.get());
        }
    }

    @Test
    void theSpinPhaseNeverOutlastsAZeroTimeoutAndEndsWithoutACPUToShare() {
        assertFalse(new Waiting.Spin(0).next(), "a wait that does not wait does not spin");
        Waiting.Spin spin = new Waiting.Spin(-1);
        if (Waiting.SPIN_NANOS == 0) {
            assertFalse(spin.next(), "one CPU: no spin");
            return;
        }
        int rounds = 0;
        while (rounds < 63) {
            assertTrue(spin.next(), "the first 64 rounds read no clock and always spin");
            rounds++;
        }
        long beforeFirstClockRead = System.nanoTime();
        assertTrue(spin.next());
        rounds++;
        while (spin.next()) {
            rounds++;
        }
        assertTrue(System.nanoTime() - beforeFirstClockRead >= Waiting.SPIN_NANOS);
        assertEquals(0, (rounds + 1) % 64, "the clock is read every 64 rounds");
    }

    @Test
    void aRegionWithoutAWaitAreaHasNoChannelAndAnAreaOutsideTheRegionIsRefused() {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = a.allocate(RegionHeader.SIZE + 64, 128);
            RegionHeader.publish(s, 0x4d503458, 1, RegionHeader.SIZE, false, 1);
            assertThrows(IllegalStateException.class, () -> WaitWord.of(s, RegionHeader.SIZE));
            Platform os = Platform.current();
            assertThrows(IllegalArgumentException.class, () -> os.waitChannel(s, s.byteSize() + 64));
            assertThrows(IllegalArgumentException.class, () -> os.waitChannel(s, 3));
        }
    }
}
