package org.multiprocessing4j.platform.posix;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The semaphore table behind the posix wait channel, within one process. */
@Timeout(30)
class PosixWaitChannelTest {
    private static final long AREA = 1024;

    private static int sleepers(MemorySegment region) {
        int n = 0;
        for (int i = 0; i < PosixWaitChannel.BUCKETS; i++) {
            n += region.get(ValueLayout.JAVA_INT, AREA + PosixWaitChannel.HEADER_BYTES
                    + i * PosixWaitChannel.BUCKET_BYTES + 32);
        }
        return n;
    }

    @Test
    void aTimeoutIsReportedOnlyOnceItHasElapsed() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment region = arena.allocate(4096, 4096);
            PosixWaitChannel.init(region, AREA);
            PosixWaitChannel channel = PosixWaitChannel.of(region, AREA);
            MemorySegment word = region.asSlice(0, 4);
            long timeout = TimeUnit.MILLISECONDS.toNanos(30);
            long start = System.nanoTime();
            boolean woken = channel.await(word, 0, timeout);
            long elapsed = System.nanoTime() - start;
            assertTrue(woken || elapsed >= timeout, "timeout reported after " + elapsed + " ns");
            assertTrue(channel.await(word, 7, -1), "a word that differs returns at once");
            assertFalse(channel.await(word, 0, 0));
        }
    }

    @Test
    void aWakeReachesASleeperThatSleepsWithoutTimeout() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment region = arena.allocate(4096, 4096);
            PosixWaitChannel.init(region, AREA);
            PosixWaitChannel channel = PosixWaitChannel.of(region, AREA);
            MemorySegment word = region.asSlice(8, 4);
            CompletableFuture<Boolean> sleeper = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (word.get(ValueLayout.JAVA_INT, 0) == 0) {
                        channel.await(word, 0, -1);
                    }
                    sleeper.complete(true);
                } catch (Throwable e) {
                    sleeper.completeExceptionally(e);
                }
            });
            while (sleepers(region) == 0) {
                Thread.onSpinWait(); // until it has announced itself: it sleeps, or is about to
            }
            word.set(ValueLayout.JAVA_INT, 0, 1);
            channel.wake(word, 1);
            assertTrue(sleeper.get(20, TimeUnit.SECONDS));
            t.join();
            assertTrue(sleepers(region) == 0);
        }
    }

    @Test
    void anAreaOutsideTheRegionOrUninitializedIsRefused() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = arena.allocate(4096, 4096);
            assertThrows(IllegalArgumentException.class, () -> PosixWaitChannel.init(region, 4096 - 64));
            assertThrows(IllegalArgumentException.class, () -> PosixWaitChannel.init(region, 100));
            assertThrows(IllegalArgumentException.class, () -> PosixWaitChannel.of(region, 0));
        }
    }
}
