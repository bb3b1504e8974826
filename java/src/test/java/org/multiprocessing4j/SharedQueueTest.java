package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.queue.QueueLayout;

/**
 * Contract of {@link SharedQueue} across real child JVMs: FIFO, blocking in both directions,
 * timeouts, encoding failures, many producers and consumers, records larger than a slot.
 */
@Timeout(120)
class SharedQueueTest {

    @Test
    void elementsOfEveryKindComeOutInTheOrderTheyWentIn() throws Exception {
        record Point(int x, int y) implements java.io.Serializable {
        }
        List<Object> values = List.of("text", 42, 7L, 2.5, true, new byte[] {1, 2, 3},
                new Point(1, 2), List.of("a", "b"), "");
        try (SharedQueue<Object> q = SharedQueue.create()) {
            for (Object v : values) {
                q.put(v);
            }
            assertEquals(values.size(), q.size());
            for (Object v : values) {
                Object got = q.take();
                if (v instanceof byte[] b) {
                    assertArrayEquals(b, (byte[]) got);
                } else {
                    assertEquals(v, got);
                }
            }
            assertTrue(q.isEmpty());
            assertNull(q.poll());
        }
    }

    @Test
    void recordsFromOneProducerProcessArriveInOrder() throws Exception {
        int count = 5_000;
        try (SharedQueue<Integer> q = SharedQueue.create(16);
             ChildProcess p = new ChildProcess(() -> {
                 for (int i = 0; i < count; i++) {
                     q.put(i);
                 }
             })) {
            p.start();
            for (int i = 0; i < count; i++) {
                assertEquals(i, q.take());
            }
            p.join();
            assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
        }
    }

    @Test
    void putBlocksWhileFullUntilAnotherProcessTakes() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(2); SharedInt putReturned = SharedInt.create(0)) {
            q.put("a");
            q.put("b");
            assertFalse(q.offer("x"));
            assertEquals(0, q.remainingCapacity());
            try (ChildProcess p = new ChildProcess(() -> {
                q.put("c");
                putReturned.set(1);
            })) {
                p.start();
                // The queue is full, so the child's put cannot return whatever the timing.
                assertFalse(p.join(java.time.Duration.ofMillis(300)));
                assertEquals(0, putReturned.get());
                assertEquals("a", q.take());
                p.join();
                assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
                assertEquals(1, putReturned.get());
            }
            assertEquals("b", q.take());
            assertEquals("c", q.take());
        }
    }

    @Test
    void takeBlocksUntilAnotherProcessPuts() throws Exception {
        String name = "mp4j-test-late-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (SharedQueue<String> q = SharedQueue.builder().name(name).create();
             SharedMemory raw = SharedMemory.attach(name);
             SharedEvent asleep = SharedEvent.create();
             ChildProcess p = new ChildProcess(() -> {
                 asleep.await();
                 q.put("late");
             })) {
            q.unlink();
            p.start();
            Thread watcher = Thread.ofPlatform().start(() -> {
                // The child puts only once this process sleeps in take(): the wake-up is tested.
                if (awaitSleepingConsumer(raw)) {
                    asleep.set();
                }
            });
            try {
                assertEquals("late", q.poll(60, TimeUnit.SECONDS));
            } finally {
                asleep.set();
                watcher.join();
            }
            p.join();
            assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
        }
    }

    /**
     * Waits (up to a minute) until some thread of some process is counted as sleeping in a take
     * of the queue {@code raw} maps: it has spun, re-checked and is about to wait or waiting.
     */
    static boolean awaitSleepingConsumer(SharedMemory raw) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while ((int) ValueLayout.JAVA_INT.varHandle().getVolatile(raw.segment(),
                QueueLayout.CONSUMERS_WAITING_OFFSET) == 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000L); // polling the state
        }
        return true;
    }

    @Test
    void timeoutsExpireNoEarlierThanAsked() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(1)) {
            long t0 = System.nanoTime();
            assertNull(q.poll(50, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(50));
            assertTrue(q.offer("a", 10, TimeUnit.MILLISECONDS));
            t0 = System.nanoTime();
            assertFalse(q.offer("b", 50, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(50));
            assertFalse(q.offer("b"));
            assertThrows(IllegalStateException.class, () -> q.add("b"));
            assertEquals("a", q.poll(0, TimeUnit.SECONDS));
            assertThrows(NoSuchElementException.class, q::remove);
        }
    }

    @Test
    void aValueTheCodecCannotEncodeThrowsAndNothingIsPut() throws Exception {
        try (SharedQueue<Object> q = SharedQueue.create()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> q.put(new Object()));
            assertInstanceOf(CodecException.class, e.getCause());
            assertThrows(NullPointerException.class, () -> q.put(null));
            assertEquals(0, q.size());
            assertNull(q.poll());
            q.put("still works");
            assertEquals("still works", q.take());
        }
    }

    @Test
    void twoProducersAndTwoConsumersDeliverEachRecordOnceInProducerOrder() throws Exception {
        int perProducer = 20_000;
        try (SharedQueue<Long> q = SharedQueue.create(64);
             SharedIntArray seen = SharedIntArray.create(2 * perProducer)) {
            List<ChildProcess> children = new ArrayList<>();
            try {
                for (int id = 0; id < 2; id++) {
                    children.add(new ChildProcess(produce(q, id, perProducer)));
                }
                children.add(new ChildProcess(() -> consume(q, seen, perProducer)));
                for (ChildProcess c : children) {
                    c.start();
                }
                consume(q, seen, perProducer); // the parent is the second consumer
                for (ChildProcess c : children) {
                    c.join();
                    assertEquals(0, c.exitCode().getAsInt(), () -> c.failure().toString());
                }
            } finally {
                stopAll(children);
            }
            for (int i = 0; i < 2 * perProducer; i++) {
                assertEquals(1, seen.get(i), "record " + i);
            }
            assertNull(q.poll());
        }
    }

    /** Puts {@code id * 2^32 + seq} for seq in [0, n), then the end marker {@code -1}. */
    private static Task produce(SharedQueue<Long> q, int id, int n) {
        return () -> {
            for (int seq = 0; seq < n; seq++) {
                q.put((long) id << 32 | seq);
            }
            q.put(-1L);
        };
    }

    /** Takes until an end marker; counts each record in {@code seen}; checks order per producer. */
    private static void consume(SharedQueue<Long> q, SharedIntArray seen, int perProducer)
            throws InterruptedException {
        int[] last = {-1, -1};
        for (long v; (v = q.take()) != -1L; ) {
            int id = (int) (v >>> 32);
            int seq = (int) v;
            if (seq <= last[id]) {
                throw new AssertionError("producer " + id + ": " + seq + " after " + last[id]);
            }
            last[id] = seq;
            seen.addAndGet(id * perProducer + seq, 1);
        }
    }

    @Test
    void recordsLargerThanTheRecordAreaTakesTravelThroughASpillSegment() throws Exception {
        byte[] big = new byte[1 << 20];
        new Random(1).nextBytes(big);
        String text = "x".repeat(10_000); // larger than a slot, through the record area
        try (SharedQueue<Object> q = SharedQueue.builder().slotSize(128).create();
             ChildProcess p = new ChildProcess(() -> {
                 q.put(big);
                 q.put(text);
                 q.put("small");
             })) {
            assertEquals(112, q.inlineRecordLimit());
            assertEquals(SharedQueue.DEFAULT_AREA_RECORD_LIMIT, q.areaRecordLimit());
            p.start();
            p.join();
            assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
            assertEquals(1, spillSegments());
            assertArrayEquals(big, (byte[]) q.peek());
            assertArrayEquals(big, (byte[]) q.take());
            assertEquals(text, q.take());
            assertEquals("small", q.take());
            assertEquals(0, spillSegments());
        }
    }

    static long spillSegments() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
            return s.filter(f -> f.getFileName().toString().startsWith("mp4j-q-")).count();
        }
    }

    @Test
    void peekShowsTheHeadWithoutTakingIt() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create()) {
            assertNull(q.peek());
            q.put("first");
            q.put("second");
            assertEquals("first", q.peek());
            assertEquals("first", q.element());
            assertEquals(2, q.size());
            List<String> drained = new ArrayList<>();
            assertEquals(2, q.drainTo(drained));
            assertEquals(List.of("first", "second"), drained);
            assertThrows(UnsupportedOperationException.class, q::iterator);
        }
    }

    @Test
    void closeWakesBlockedCallersAndLaterUseThrows() throws Exception {
        String name = "mp4j-test-close-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        SharedQueue<String> q = SharedQueue.builder().name(name).create();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SharedMemory raw = SharedMemory.attach(name)) {
            q.unlink();
            Future<String> blocked = pool.submit(() -> q.take());
            assertTrue(awaitSleepingConsumer(raw), "take() never went to sleep");
            q.close();
            Exception e = assertThrows(Exception.class, blocked::get);
            assertInstanceOf(IllegalStateException.class, e.getCause());
            q.close();
            assertThrows(IllegalStateException.class, () -> q.offer("x"));
            assertThrows(IllegalStateException.class, q::poll);
            assertThrows(IllegalStateException.class, q::size);
        } finally {
            pool.shutdownNow();
            q.close();
        }
    }

    @Test
    void theProcessBeyondTheParticipantLimitGetsAClearException() throws Exception {
        // Fill every participant entry with a live process other than this one: a token that
        // holds a liveness mark on the queue's file (placed here through a handle of its own,
        // which is what a live participant holds). To the queue, 1,023 other processes are
        // using it, and this one would be the 1,024th.
        org.multiprocessing4j.platform.Platform os = org.multiprocessing4j.platform.Platform.current();
        String name = "mp4j-test-full-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (SharedQueue<String> q = SharedQueue.builder().name(name).capacity(4).create();
             SharedMemory raw = SharedMemory.attach(name)) {
            q.unlink();
            List<org.multiprocessing4j.platform.ProcessMark> marks = new ArrayList<>();
            var fd = raw.descriptor().acquire();
            try {
                for (int i = 1; i <= org.multiprocessing4j.internal.queue.QueueLayout.PARTICIPANTS; i++) {
                    long live = (long) (4_000_000 + i) << 32 | 7; // pid above pid_max: not ours
                    marks.add(os.placeMark(fd, live));
                    raw.segment().set(ValueLayout.JAVA_LONG,
                            org.multiprocessing4j.internal.queue.QueueLayout.participantOffset(i), live);
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.put("x"));
                assertTrue(e.getMessage().contains("1023"), e.getMessage());
                assertThrows(IllegalStateException.class, q::poll);
                assertEquals(0, q.size(), "nothing was put");
            } finally {
                raw.descriptor().release();
                marks.forEach(org.multiprocessing4j.platform.ProcessMark::close);
            }
        }
    }

    @Test
    void builderRejectsInvalidSizes() {
        assertThrows(IllegalArgumentException.class, () -> SharedQueue.create(-1));
        assertThrows(IllegalArgumentException.class, () -> SharedQueue.builder().slotSize(100));
        assertThrows(IllegalArgumentException.class, () -> SharedQueue.builder().capacity(0));
    }

    @Test
    void bytesTravelFromAndIntoNativeMemoryWithoutElementObjects() throws Exception {
        int big = 10_000; // larger than a slot: through the record area
        try (SharedQueue<Object> q = SharedQueue.create(8);
             ChildProcess producer = new ChildProcess(() -> {
                 try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                     MemorySegment small = arena.allocate(64);
                     for (int i = 0; i < 100; i++) {
                         small.fill((byte) i);
                         q.putBytes(small);
                     }
                     MemorySegment large = arena.allocate(big);
                     large.fill((byte) 7);
                     q.putBytes(large);
                     q.put(new byte[] {1, 2, 3});
                     q.put("not bytes");
                 }
             })) {
            producer.start();
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment into = arena.allocate(64);
                for (int i = 0; i < 100; i++) {
                    assertEquals(64, q.pollBytes(into, 30, TimeUnit.SECONDS));
                    for (int k = 0; k < 64; k++) {
                        assertEquals((byte) i, into.get(ValueLayout.JAVA_BYTE, k));
                    }
                }
                BufferTooShortException tooShort = assertThrows(BufferTooShortException.class, () -> q.takeBytes(into));
                assertEquals(big, tooShort.message().length, "the record that did not fit is in the exception");
                assertEquals(7, tooShort.message()[big - 1]);
                assertEquals(3, q.takeBytes(into), "a byte[] element is a byte record too");
                assertEquals(3, into.get(ValueLayout.JAVA_BYTE, 2));
                ClassCastException notBytes = assertThrows(ClassCastException.class, () -> q.takeBytes(into));
                assertTrue(notBytes.getMessage().contains("java.lang.String"), notBytes.getMessage());
                assertEquals(-1, q.pollBytes(into, 0, TimeUnit.SECONDS), "empty");
            }
            producer.join();
            assertEquals(0, producer.exitCode().getAsInt(), () -> String.valueOf(producer.failure()));
            MemorySegment heap = MemorySegment.ofArray(new byte[] {9, 8});
            q.putBytes(heap);
            assertArrayEquals(new byte[] {9, 8}, (byte[]) q.take(), "take() returns a byte record as byte[]");
        }
    }

    static void stopAll(List<ChildProcess> children) throws Exception {
        for (ChildProcess c : children) {
            if (c.isAlive()) {
                c.kill();
                c.join();
            }
            c.close();
        }
    }
}
