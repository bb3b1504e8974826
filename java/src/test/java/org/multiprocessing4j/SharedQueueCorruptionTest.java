package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.queue.QueueLayout;

/**
 * A queue whose shared memory holds garbage (another program wrote into the named block, a bug,
 * a bit flip) fails with a clear {@link IllegalStateException}: it never allocates what a
 * corrupt length says, and never spins on corrupt {@code head}/{@code tail} words.
 */
@Timeout(120)
class SharedQueueCorruptionTest {
    private static final int SLOTS = 8;
    private static final int SLOT_SIZE = 64;

    private String name;
    private SharedQueue<String> q;
    private SharedMemory raw;
    private MemorySegment region;
    private ExecutorService pool;

    @BeforeEach
    void setUp() throws Exception {
        name = "mp4j-test-corrupt-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        q = SharedQueue.builder().name(name).capacity(SLOTS).slotSize(SLOT_SIZE).create();
        raw = SharedMemory.attach(name);
        region = raw.segment();
        pool = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void tearDown() throws Exception {
        pool.shutdownNow();
        q.unlink();
        raw.close();
        q.close();
    }

    @Test
    void aCorruptRecordLengthThrowsAndConsumesTheRecord() throws Exception {
        for (int bad : new int[] {-2, Integer.MIN_VALUE, SLOT_SIZE}) {
            q.put("victim");
            region.set(ValueLayout.JAVA_INT, slotOf(region.get(ValueLayout.JAVA_LONG, QueueLayout.HEAD_OFFSET))
                    + QueueLayout.SLOT_LENGTH, bad);
            IllegalStateException e = assertThrows(IllegalStateException.class, q::take, "length " + bad);
            assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
            q.put("after");
            assertEquals("after", q.take(), "the corrupt record was consumed; the queue goes on");
        }
    }

    @Test
    void aCorruptRecordLengthThrowsInPeek() throws Exception {
        q.put("victim");
        region.set(ValueLayout.JAVA_INT, slotOf(0) + QueueLayout.SLOT_LENGTH, -7);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> bounded(q::peek));
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void aHeadFarBehindTheRingThrowsInsteadOfSpinning() throws Exception {
        slotsManyLapsAhead();
        region.set(ValueLayout.JAVA_LONG, QueueLayout.TAIL_OFFSET, 1L << 40);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> bounded(() -> q.poll(1, TimeUnit.SECONDS)));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("corrupt"), e.getCause().getMessage());
        e = assertThrows(ExecutionException.class, () -> bounded(q::size));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        e = assertThrows(ExecutionException.class, () -> bounded(q::peek));
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void aTailFarBehindTheRingThrowsInsteadOfSpinning() throws Exception {
        slotsManyLapsAhead();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> bounded(() -> q.offer("x", 1, TimeUnit.SECONDS)));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("corrupt"), e.getCause().getMessage());
    }

    @Test
    void aNegativeOrFarAheadTailThrows() throws Exception {
        region.set(ValueLayout.JAVA_LONG, QueueLayout.TAIL_OFFSET, -5L);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> bounded(() -> q.offer("x")));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        region.set(ValueLayout.JAVA_LONG, QueueLayout.TAIL_OFFSET, 1L << 40);
        e = assertThrows(ExecutionException.class,
                () -> bounded(() -> q.offer("x", 1, TimeUnit.SECONDS)));
        assertInstanceOf(IllegalStateException.class, e.getCause(), "not 'full': the tail is impossible");
    }

    /** Every slot claims to hold a record 2^40 positions ahead of the head and tail words. */
    private void slotsManyLapsAhead() {
        for (int i = 0; i < SLOTS; i++) {
            region.set(ValueLayout.JAVA_LONG, slotOf(i), QueueLayout.ctl((1L << 40) + i, 0, QueueLayout.FULL));
            region.set(ValueLayout.JAVA_INT, slotOf(i) + QueueLayout.SLOT_LENGTH, 0);
        }
    }

    private static long slotOf(long position) {
        return QueueLayout.slotOffset(position % SLOTS, SLOT_SIZE);
    }

    /**
     * Runs {@code call} in another thread for a bounded time; if it is still running then, puts
     * the ring back to its initial state (so that a spinning call ends) and fails.
     */
    private <T> T bounded(Callable<T> call) throws Exception {
        Future<T> f = pool.submit(call);
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            region.set(ValueLayout.JAVA_LONG, QueueLayout.HEAD_OFFSET, 0L);
            region.set(ValueLayout.JAVA_LONG, QueueLayout.TAIL_OFFSET, 0L);
            for (int i = 0; i < SLOTS; i++) {
                region.set(ValueLayout.JAVA_LONG, slotOf(i), QueueLayout.ctl(i, 0, QueueLayout.FREE));
            }
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException ignored) {
                // it was stuck on the corrupt memory; what it does once repaired does not matter
            }
            fail("still running after 10 s on corrupt memory (spinning or waiting), not an exception");
            return null;
        }
    }
}
