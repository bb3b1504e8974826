package org.multiprocessing4j.internal.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.SharedMemory;

/**
 * Two processes taking over the same dead participant entry at once: the one that loses the
 * entry's compare-and-set may still be scanning for the dead holder's chunks
 * ({@link RecordArea#freeOwnedBy}) when the winner already fills a run under the same index. The
 * scan frees the dead holder's chunks and leaves the winner's alone (the tag rule), where it used
 * to free every chunk of the index, so that two producers wrote one run.
 */
class RecordAreaTakeOverTest {
    private static final int SLOTS = 2;
    private static final int SLOT_SIZE = 64;
    private static final int CHUNKS = 4;
    private static final QueueLayout.Header HEADER =
            new QueueLayout.Header(SLOTS, SLOT_SIZE, SLOTS, 0, CHUNKS, CHUNKS * QueueLayout.CHUNK_SIZE);
    private static final long CTLS = QueueLayout.areaCtlsOffset(SLOTS, SLOT_SIZE, 0);
    private static final long DATA = QueueLayout.areaDataOffset(SLOTS, SLOT_SIZE, 0, CHUNKS);

    private SharedMemory memory;
    private MemorySegment region;
    private final Set<Long> dead = new HashSet<>();
    private final LongPredicate alive = token -> !dead.contains(token);

    @BeforeEach
    void setUp() throws Exception {
        memory = SharedMemory.create(QueueLayout.regionSize(SLOTS, SLOT_SIZE, 0, CHUNKS));
        region = memory.segment();
        QueueLayout.initialize(region, HEADER);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private long chunkWord(int chunk) {
        return region.get(ValueLayout.JAVA_LONG, CTLS + 8L * chunk);
    }

    @Test
    void aLateScanOfADeadEntryFreesTheDeadHoldersRunButNotTheWinnersRun() {
        long a = (1001L << 32) | 7; // the dead holder of participant entry 1
        long b = (1002L << 32) | 9; // the process whose take-over of entry 1 won
        Participants table = new Participants(region, alive);
        RecordArea area = new RecordArea(region, CTLS, DATA, CHUNKS, CHUNKS * QueueLayout.CHUNK_SIZE, table,
                position -> false);
        long entry = QueueLayout.participantOffset(1);
        long size = 2L * QueueLayout.CHUNK_SIZE;

        region.set(ValueLayout.JAVA_LONG, entry, a);
        int aRun = area.tryAllocate(size, 1, false); // a died filling it
        assertEquals(0, aRun);
        dead.add(a);
        // b wins the entry and starts filling a run; a second taker saw the entry dead before that
        region.set(ValueLayout.JAVA_LONG, entry, b);
        int bRun = area.tryAllocate(size, 1, false);
        assertEquals(2, bRun);
        long bWord = chunkWord(bRun);
        assertNotEquals(0L, bWord);

        area.freeOwnedBy(1); // the losing taker's scan, late

        assertEquals(0L, chunkWord(aRun), "the dead holder's run is freed");
        assertEquals(0L, chunkWord(aRun + 1));
        assertEquals(bWord, chunkWord(bRun), "the live winner's run is still its own");
        assertEquals(bWord, chunkWord(bRun + 1));
        assertTrue(area.tryAllocate(size, 1, true) == 0, "only the freed run is allocatable");
    }
}
