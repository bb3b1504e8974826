package org.multiprocessing4j.platform.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /**
     * Three words that share a bucket: the sleepers of two of them keep returning (spuriously:
     * their words never change) and sleeping again, as the waiting policy does; every wake of
     * the third must reach its own sleeper, whose await then reports "woken", never "timed out",
     * however the semaphore's posts are taken.
     */
    @Test
    @Timeout(120)
    void aWakeReachesItsSleeperWhileSleepersOfOtherWordsOfItsBucketComeAndGo() throws Exception {
        int[] words = new int[3];
        int found = 0;
        for (int off = 0; off < AREA && found < 3; off += 4) {
            if (PosixWaitChannel.bucketIndex(off) == PosixWaitChannel.bucketIndex(0)) {
                words[found++] = off;
            }
        }
        assertEquals(3, found, "three words of one bucket below the area");
        int bucket = PosixWaitChannel.bucketIndex(0);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment region = arena.allocate(4096, 4096);
            PosixWaitChannel.init(region, AREA);
            PosixWaitChannel channel = PosixWaitChannel.of(region, AREA);
            MemorySegment word = region.asSlice(words[0], 4);
            List<Thread> others = new ArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            for (int i = 1; i < 3; i++) {
                MemorySegment other = region.asSlice(words[i], 4);
                others.add(Thread.ofPlatform().daemon().start(() -> {
                    try {
                        while ((int) other.get(ValueLayout.JAVA_INT, 0) == 0) {
                            channel.await(other, 0, TimeUnit.SECONDS.toNanos(1));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            try {
                for (int round = 0; round < 300 && failures.isEmpty(); round++) {
                    word.set(ValueLayout.JAVA_INT, 0, 0);
                    CompletableFuture<Boolean> woken = new CompletableFuture<>();
                    Thread sleeper = Thread.ofPlatform().daemon().start(() -> {
                        try {
                            woken.complete(channel.await(word, 0, TimeUnit.SECONDS.toNanos(5)));
                        } catch (Throwable e) {
                            woken.completeExceptionally(e);
                        }
                    });
                    while (bucketSleepers(region, bucket) < 3 && !woken.isDone()) {
                        Thread.onSpinWait(); // until it has announced itself (the others count 2 at most)
                    }
                    word.set(ValueLayout.JAVA_INT, 0, 1);
                    channel.wake(word, 1);
                    assertTrue(woken.get(60, TimeUnit.SECONDS), "round " + round
                            + ": the word's sleeper timed out: its wake was taken by another's sleeper");
                    sleeper.join();
                }
            } finally {
                for (int i = 1; i < 3; i++) {
                    MemorySegment other = region.asSlice(words[i], 4);
                    other.set(ValueLayout.JAVA_INT, 0, 1);
                    channel.wake(other, Integer.MAX_VALUE);
                }
                for (Thread t : others) {
                    t.join();
                }
            }
            assertEquals(List.of(), failures);
            assertEquals(0, sleepers(region));
        }
    }

    /**
     * A post that no sleeper is owed any more (one that was counted left without it: timed out,
     * or died) must not make every later sleeper of the bucket return at once, which would make
     * the waiting policy spin: of a few awaits on an unchanging word, one times out.
     */
    @Test
    void aPostNoOneIsOwedDoesNotMakeEverySleeperReturnAtOnce() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment region = arena.allocate(4096, 4096);
            PosixWaitChannel.init(region, AREA);
            PosixWaitChannel channel = PosixWaitChannel.of(region, AREA);
            MemorySegment word = region.asSlice(16, 4);
            long count = AREA + PosixWaitChannel.HEADER_BYTES
                    + PosixWaitChannel.bucketIndex(16) * PosixWaitChannel.BUCKET_BYTES + 32;
            region.set(ValueLayout.JAVA_INT, count, 1); // a sleeper that is about to leave ...
            channel.wake(word, 1); // ... is counted and posted for ...
            region.set(ValueLayout.JAVA_INT, count, 0); // ... and leaves without the post
            boolean timedOut = false;
            for (int i = 0; i < 3 && !timedOut; i++) {
                timedOut = !channel.await(word, 0, TimeUnit.MILLISECONDS.toNanos(50));
            }
            assertTrue(timedOut, "every await returned at once: the waiting policy would spin");
            assertEquals(0, sleepers(region));
        }
    }

    private static int bucketSleepers(MemorySegment region, int bucket) {
        return region.get(ValueLayout.JAVA_INT, AREA + PosixWaitChannel.HEADER_BYTES
                + bucket * PosixWaitChannel.BUCKET_BYTES + 32);
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
