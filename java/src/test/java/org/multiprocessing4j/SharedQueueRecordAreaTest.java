package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;

/**
 * The record area: which way a record travels at each size boundary (inline up to the slot's
 * limit, in place in the area up to the area's limit, spilled above), through the object and the
 * byte API; the area's chunks as the region shows them (bound while a record waits, free once it
 * is taken); a put that finds no free run spills instead of waiting; and the reclaim rules on a
 * real queue: chunks owned by a killed process, by an earlier (dead) holder of a live process's
 * participant index, and chunks bound to a position that is over come back; chunks owned by a
 * live process do not.
 */
@Timeout(120)
class SharedQueueRecordAreaTest {
    private static final int SLOT = 128;
    private static final int INLINE = SLOT - 16;
    private static final int LIMIT = 16 * 1024;
    private static final int AREA = 64 * 1024;
    private static final int CHUNKS = AREA / QueueLayout.CHUNK_SIZE;
    private static final int SLOTS = 8;
    /** The codec's header of a {@code byte[]} record: tag and int32 length. */
    private static final int BYTES_HEADER = 5;
    /** Encoded sizes around each boundary, and the way each must travel. */
    private static final int[] SIZES = {INLINE - 1, INLINE, INLINE + 1, LIMIT, LIMIT + 1};

    private static SharedQueue<Object> namedQueue(String name) throws Exception {
        return SharedQueue.builder().name(name).slotSize(SLOT).capacity(SLOTS).recordArea(AREA, LIMIT).create();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static long ctlsOffset() {
        return QueueLayout.areaCtlsOffset(SLOTS, SLOT, 0);
    }

    /** {@return how many chunks of the area are not free} */
    private static int chunksInUse(MemorySegment region) {
        int n = 0;
        for (int i = 0; i < CHUNKS; i++) {
            if (region.get(ValueLayout.JAVA_LONG, ctlsOffset() + 8L * i) != 0) {
                n++;
            }
        }
        return n;
    }

    private static int expectedChunks(int encoded) {
        return encoded > INLINE && encoded <= LIMIT ? (encoded + QueueLayout.CHUNK_SIZE - 1) / QueueLayout.CHUNK_SIZE : 0;
    }

    @Test
    void eachSizeBoundaryTravelsItsWayThroughTheObjectApi() throws Exception {
        String name = "mp4j-test-area-" + UUID.randomUUID();
        SharedQueue<Object> q = namedQueue(name);
        try (SharedMemory raw = SharedMemory.attach(name)) {
            assertEquals(INLINE, q.inlineRecordLimit());
            assertEquals(LIMIT, q.areaRecordLimit());
            for (int size : SIZES) {
                byte[] b = pattern(size - BYTES_HEADER, size);
                long spills = SharedQueueTest.spillSegments();
                q.put(b);
                assertEquals(size > LIMIT ? 1 : 0, SharedQueueTest.spillSegments() - spills,
                        "spill segments for an encoded record of " + size + " bytes");
                assertEquals(expectedChunks(size), chunksInUse(raw.segment()),
                        "chunks bound for an encoded record of " + size + " bytes");
                assertArrayEquals(b, (byte[]) q.peek());
                assertArrayEquals(b, (byte[]) q.take(), "the record of " + size + " bytes");
                assertEquals(0, chunksInUse(raw.segment()), "the take frees the chunks");
                assertEquals(spills, SharedQueueTest.spillSegments());
            }
            String text = "y".repeat(LIMIT / 2); // not a byte[]: the codec's encoding goes the same way
            q.put(text);
            assertTrue(chunksInUse(raw.segment()) > 0);
            assertEquals(text, q.take());
            assertEquals(0, chunksInUse(raw.segment()));
        } finally {
            q.unlink();
            q.close();
        }
    }

    @Test
    void eachSizeBoundaryTravelsItsWayThroughTheByteApi() throws Exception {
        String name = "mp4j-test-area-" + UUID.randomUUID();
        SharedQueue<Object> q = namedQueue(name);
        try (SharedMemory raw = SharedMemory.attach(name); Arena arena = Arena.ofConfined()) {
            MemorySegment into = arena.allocate(LIMIT + 1);
            for (int size : SIZES) {
                int n = size - BYTES_HEADER;
                MemorySegment bytes = arena.allocate(n);
                MemorySegment.copy(pattern(n, size), 0, bytes, ValueLayout.JAVA_BYTE, 0, n);
                q.putBytes(bytes);
                assertEquals(expectedChunks(size), chunksInUse(raw.segment()), "chunks for " + size + " bytes");
                assertEquals(n, q.takeBytes(into), "the record of " + size + " bytes");
                assertEquals(-1, into.asSlice(0, n).mismatch(bytes), "the bytes of " + size);
                assertEquals(0, chunksInUse(raw.segment()));
                assertTrue(q.offerBytes(bytes, 1, TimeUnit.SECONDS));
                assertEquals(n, q.pollBytes(into, 1, TimeUnit.SECONDS));
                assertEquals(-1, into.asSlice(0, n).mismatch(bytes));
            }
            MemorySegment small = arena.allocate(INLINE);
            q.putBytes(arena.allocate(LIMIT - BYTES_HEADER));
            assertThrows(BufferTooShortException.class, () -> q.takeBytes(small));
            assertEquals(0, chunksInUse(raw.segment()), "a record too long for the target is consumed");
        } finally {
            q.unlink();
            q.close();
        }
    }

    @Test
    void aPutThatFindsNoFreeRunSpillsItsRecordInsteadOfWaiting() throws Exception {
        String name = "mp4j-test-area-" + UUID.randomUUID();
        SharedQueue<Object> q = SharedQueue.builder().name(name).slotSize(SLOT).capacity(SLOTS)
                .recordArea(AREA, AREA).create();
        try (SharedMemory raw = SharedMemory.attach(name)) {
            byte[] most = pattern(AREA - 2 * QueueLayout.CHUNK_SIZE - BYTES_HEADER, 1); // 14 chunks
            byte[] more = pattern(3 * QueueLayout.CHUNK_SIZE, 2); // 4 chunks: no such run is free
            q.put(most);
            // Before: the put waited for a run, so a queue of 8 slots held 1 record of this size
            // and a producer that put before its consumer took could hang.
            assertTrue(q.offer(more), "spilled, not refused");
            assertTrue(q.offer(more, 50, TimeUnit.MILLISECONDS));
            q.putBytes(MemorySegment.ofArray(more));
            assertEquals(CHUNKS - 2, chunksInUse(raw.segment()), "the spilled ones hold no chunk");
            assertEquals(4, q.size());
            assertArrayEquals(most, (byte[]) q.take());
            assertArrayEquals(more, (byte[]) q.take());
            assertArrayEquals(more, (byte[]) q.take());
            assertArrayEquals(more, (byte[]) q.take());
            assertEquals(0, chunksInUse(raw.segment()));
            // every slot usable by records that fit the area, whatever the area holds
            for (int i = 0; i < SLOTS; i++) {
                assertTrue(q.offer(pattern(LIMIT, i)), "slot " + i);
            }
            assertFalse(q.offer(pattern(LIMIT, 99)), "the slots are all taken");
            for (int i = 0; i < SLOTS; i++) {
                assertArrayEquals(pattern(LIMIT, i), (byte[]) q.take());
            }
            assertEquals(0, chunksInUse(raw.segment()));
        } finally {
            q.unlink();
            q.close();
        }
    }

    @Test
    void chunksOfAKilledOwnerOfAnEarlierHolderAndOfAPositionThatIsOverComeBackButALiveOwnersDoNot() throws Exception {
        String name = "mp4j-test-area-" + UUID.randomUUID();
        SharedQueue<Object> q = SharedQueue.builder().name(name).slotSize(SLOT).capacity(SLOTS)
                .recordArea(AREA, AREA).create();
        try (SharedMemory raw = SharedMemory.attach(name); Pipe pipe = Pipe.open();
             Connection out = pipe.second();
             ChildProcess participant = new ChildProcess(() -> {
                 q.put(1); // registers the child as a participant of the queue
                 out.send("put");
                 Thread.sleep(60_000);
             })) {
            participant.start();
            assertEquals("put", pipe.first().recv());
            assertEquals(1, q.take());
            participant.kill();
            participant.join();
            MemorySegment region = raw.segment();
            int dead = -1;
            int live = -1;
            for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
                long entry = region.get(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(i));
                if (entry != 0) {
                    if (ProcessToken.pid(entry) == participant.pid()) {
                        dead = i;
                    } else if (ProcessToken.pid(entry) == ProcessHandle.current().pid()) {
                        live = i;
                    }
                }
            }
            assertTrue(dead > 0 && live > 0, "both processes are participants");
            byte[] whole = pattern(AREA - BYTES_HEADER, 3);

            // As if the child had died between allocating its run and binding it to a slot.
            long deadEntry = region.get(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(dead));
            setAll(region, QueueLayout.ctl(QueueLayout.chunkTag(deadEntry), dead, QueueLayout.WRITING));
            assertTrue(q.offer(whole, 10, TimeUnit.SECONDS));
            assertTrue(allBound(region), "a dead owner's chunks are reclaimed: the record went in place");
            assertArrayEquals(whole, (byte[]) q.take());

            // Bound to position 0, taken long ago: its slot holds position 8 now.
            setAll(region, QueueLayout.ctl(0, 0, QueueLayout.FULL));
            assertTrue(q.offer(whole, 10, TimeUnit.SECONDS));
            assertTrue(allBound(region), "chunks of a position that is over are reclaimed");
            assertArrayEquals(whole, (byte[]) q.take());

            // Owned under this live process's index with another tag: an earlier, dead holder of the index.
            setAll(region, QueueLayout.ctl(QueueLayout.chunkTag(deadEntry), live, QueueLayout.WRITING));
            assertTrue(q.offer(whole, 10, TimeUnit.SECONDS));
            assertTrue(allBound(region), "an earlier holder's chunks are reclaimed");
            assertArrayEquals(whole, (byte[]) q.take());

            // Owned by this live process (as if another thread were filling them): not touched.
            long liveEntry = region.get(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(live));
            long liveWord = QueueLayout.ctl(QueueLayout.chunkTag(liveEntry), live, QueueLayout.WRITING);
            setAll(region, liveWord);
            assertTrue(q.offer(whole, 100, TimeUnit.MILLISECONDS), "spilled, the area being in use");
            for (int i = 0; i < CHUNKS; i++) {
                assertEquals(liveWord, region.get(ValueLayout.JAVA_LONG, ctlsOffset() + 8L * i),
                        "a live owner's chunks stay its own");
            }
            assertArrayEquals(whole, (byte[]) q.take());
            setAll(region, 0);
            assertTrue(q.offer(whole));
            assertTrue(allBound(region));
            assertArrayEquals(whole, (byte[]) q.take());
        } finally {
            q.unlink();
            q.close();
        }
    }

    /** {@return whether every chunk of the area is bound to a queue position} */
    private static boolean allBound(MemorySegment region) {
        for (int i = 0; i < CHUNKS; i++) {
            if (QueueLayout.state(region.get(ValueLayout.JAVA_LONG, ctlsOffset() + 8L * i)) != QueueLayout.FULL) {
                return false;
            }
        }
        return true;
    }

    private static void setAll(MemorySegment region, long ctl) {
        for (int i = 0; i < CHUNKS; i++) {
            region.set(ValueLayout.JAVA_LONG, ctlsOffset() + 8L * i, ctl);
        }
    }
}
