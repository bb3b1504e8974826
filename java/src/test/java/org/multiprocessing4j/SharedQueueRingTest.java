package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.multiprocessing4j.internal.queue.QueueLayout.FREE;
import static org.multiprocessing4j.internal.queue.QueueLayout.READING;
import static org.multiprocessing4j.internal.queue.QueueLayout.WRITING;
import static org.multiprocessing4j.internal.queue.QueueLayout.ctl;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.internal.queue.QueueLayout;
import org.multiprocessing4j.internal.queue.Ring;
import org.multiprocessing4j.internal.queue.Spill;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.platform.Platform;

/**
 * The queue region's layout, pinned, and the ring protocol driven step by step in one process:
 * claims left by a dead owner (a participant entry naming a pid that cannot exist) are
 * recovered by whoever waits for them, a live owner's never are.
 */
class SharedQueueRingTest {
    private static final int SLOTS = 4;
    private static final int SLOT_SIZE = 64;
    /** pid 2^31-1 is above any pid_max: provably not running. */
    private static final long DEAD = (long) Integer.MAX_VALUE << 32 | 12345;
    private static final int DEAD_INDEX = 7;
    /** Liveness as the region's marks would tell it here: only this process has one. */
    private static final LongPredicate ALIVE = token -> token == ProcessToken.self();

    private SharedMemory memory;
    private MemorySegment region;
    private Ring ring;
    private final List<String> discarded = new ArrayList<>();
    private int me;

    @BeforeEach
    void setUp() throws Exception {
        memory = SharedMemory.create(QueueLayout.regionSize(SLOTS, SLOT_SIZE));
        region = memory.segment();
        QueueLayout.initialize(region, SLOTS, SLOT_SIZE, SLOTS);
        ring = new Ring(region, SLOTS, SLOT_SIZE, ref -> discarded.add(Spill.name(ref)), ALIVE);
        me = ring.register();
        region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(DEAD_INDEX), DEAD);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    @Test
    void layoutOffsetsArePinned() {
        assertEquals(0x040, QueueLayout.SLOT_COUNT_OFFSET);
        assertEquals(0x044, QueueLayout.SLOT_SIZE_OFFSET);
        assertEquals(0x048, QueueLayout.MAXSIZE_OFFSET);
        assertEquals(0x04C, QueueLayout.PARTICIPANTS_CAPACITY_OFFSET);
        assertEquals(0x050, QueueLayout.FLAGS_OFFSET);
        assertEquals(0x080, QueueLayout.TAIL_OFFSET);
        assertEquals(0x100, QueueLayout.HEAD_OFFSET);
        assertEquals(0x180, QueueLayout.NOT_EMPTY_SEQ_OFFSET);
        assertEquals(0x184, QueueLayout.CONSUMERS_WAITING_OFFSET);
        assertEquals(0x200, QueueLayout.NOT_FULL_SEQ_OFFSET);
        assertEquals(0x204, QueueLayout.PRODUCERS_WAITING_OFFSET);
        assertEquals(0x280, QueueLayout.JOIN_SEQ_OFFSET);
        assertEquals(0x284, QueueLayout.JOINERS_WAITING_OFFSET);
        assertEquals(0x300, QueueLayout.PARTICIPANTS_OFFSET);
        assertEquals(0x308, QueueLayout.participantOffset(1));
        assertEquals(0x2300, QueueLayout.SLOTS_OFFSET);
        assertEquals(0, QueueLayout.SLOTS_OFFSET % 128);
        assertEquals(0x2300 + 2 * 64, QueueLayout.slotOffset(2, 64));
        assertEquals(0x2300 + 4 * 64 + 3 * 64, QueueLayout.taskCounterOffset(4, 64, 3));
        long wait = Platform.current().waitChannelBytes();
        assertEquals(0x2300 + 4 * 64 + wait, QueueLayout.regionSize(4, 64));
        assertEquals(0x2300 + 4 * 64 + 64 * 1024 + wait, QueueLayout.regionSize(4, 64, QueueLayout.JOINABLE));
        assertEquals(0x2300 + 4 * 64, region.get(ValueLayout.JAVA_LONG, RegionHeader.WAIT_AREA_OFFSET_OFFSET));
        assertEquals(0x08, QueueLayout.SLOT_LENGTH);
        assertEquals(0x10, QueueLayout.SLOT_PAYLOAD);
        long c = ctl(QueueLayout.POSITION_MASK, 1023, READING);
        assertEquals(-1L, c, "52 position bits, 10 owner bits, 2 state bits fill the word");
        assertEquals(QueueLayout.POSITION_MASK, QueueLayout.position(c));
        assertEquals(1023, QueueLayout.owner(c));
        assertEquals(READING, QueueLayout.state(c));
        assertEquals(1, QueueLayout.distance(0, QueueLayout.POSITION_MASK), "wraps at 2^52");
        assertEquals(-1, QueueLayout.distance(QueueLayout.POSITION_MASK, 0));
    }

    @Test
    void headerMismatchNamesBothSides() {
        QueueLayout.check(region, SLOTS, SLOT_SIZE, SLOTS);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> QueueLayout.check(region, SLOTS, 128, SLOTS));
        assertTrue(e.getMessage().contains("4 slots of 64 bytes"), e.getMessage());
        region.set(ValueLayout.JAVA_INT, RegionHeader.VERSION_OFFSET, 99);
        e = assertThrows(IllegalStateException.class, () -> QueueLayout.check(region, SLOTS, SLOT_SIZE, SLOTS));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
    }

    @Test
    void theRingOwnsTheRecordFormatInlineAndSpilled() {
        assertEquals(SLOT_SIZE - 16, ring.inlineCapacity());
        long p = ring.tryClaimWrite(me, false);
        MemorySegment record = MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5});
        ring.write(p, record);
        assertEquals(5, region.get(ValueLayout.JAVA_INT, slot(p) + QueueLayout.SLOT_LENGTH));
        ring.commitWrite(p, me);
        long q = ring.tryClaimWrite(me, false);
        assertThrows(IllegalArgumentException.class,
                () -> ring.write(q, SLOT_SIZE - 15, record, (src, r, off) -> { }));
        MemorySegment ref = MemorySegment.ofArray(new byte[QueueLayout.SPILL_REFERENCE_SIZE]);
        ref.set(ValueLayout.JAVA_BYTE, 3, (byte) 42);
        ring.writeSpilled(q, ref);
        ring.commitWrite(q, me);

        long r = ring.tryClaimRead(me, false);
        assertEquals(p, r);
        assertFalse(ring.spilled(r));
        byte[][] seen = new byte[1][];
        long result = ring.read(r, seen, (out, reg, off, len) -> {
            out[0] = reg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
            return len;
        });
        assertEquals(5, result);
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5), boxed(seen[0]));
        ring.releaseRead(r, me);
        long s = ring.tryClaimRead(me, false);
        assertTrue(ring.spilled(s));
        assertEquals(42, ring.spillReference(s).get(ValueLayout.JAVA_BYTE, 3));
        assertThrows(IllegalStateException.class, () -> ring.read(s, null, (t, reg, off, len) -> 0));
        ring.releaseRead(s, me);
    }

    @Test
    void copyInlineRunsTheCopierOnAnInlineRecordAndSkipsASpilledOne() {
        long p = ring.tryClaimWrite(me, false);
        ring.write(p, MemorySegment.ofArray(new byte[] {7, 8, 9}));
        ring.commitWrite(p, me);
        long q = ring.tryClaimWrite(me, false);
        ring.writeSpilled(q, MemorySegment.ofArray(new byte[QueueLayout.SPILL_REFERENCE_SIZE]));
        ring.commitWrite(q, me);
        long t = ring.tryClaimWrite(me, false);
        assertThrows(IllegalArgumentException.class,
                () -> ring.write(t, MemorySegment.ofArray(new byte[ring.inlineCapacity() + 1])));
        ring.abandonWrite(t, me);

        long r = ring.tryClaimRead(me, false);
        byte[] copied = ring.copyInline(r, (reg, off, len) -> {
            assertEquals(slot(r) + QueueLayout.SLOT_PAYLOAD, off);
            return reg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
        });
        assertEquals(List.of((byte) 7, (byte) 8, (byte) 9), boxed(copied));
        ring.releaseRead(r, me);
        long s = ring.tryClaimRead(me, false);
        assertNull(ring.copyInline(s, (reg, off, len) -> {
            throw new AssertionError("a spilled record has no inline bytes to copy");
        }));
        ring.releaseRead(s, me);
    }

    private static List<Byte> boxed(byte[] b) {
        List<Byte> l = new ArrayList<>();
        for (byte x : b) {
            l.add(x);
        }
        return l;
    }

    @Test
    void aDeadProducersClaimIsSkippedByTheConsumerWaitingForIt() {
        assertEquals(0, ring.tryClaimWrite(DEAD_INDEX, false)); // dies mid-put
        region.set(ValueLayout.JAVA_INT, slot(0) + QueueLayout.SLOT_LENGTH, QueueLayout.SPILLED);
        MemorySegment ref = Spill.newReference(42, 1000);
        MemorySegment.copy(ref, 0, region, slot(0) + QueueLayout.SLOT_PAYLOAD, ref.byteSize());
        assertEquals(1, ring.tryClaimWrite(me, false));
        ring.commitWrite(1, me);
        assertEquals(-1, ring.tryClaimRead(me, false), "without the owner check it waits");
        assertEquals(1, ring.tryClaimRead(me, true), "with it, position 0 is recovered and skipped");
        ring.releaseRead(1, me);
        assertEquals(List.of(Spill.name(ref)), discarded, "the dead producer's spill name is removed");
        assertEquals(ctl(SLOTS, 0, FREE), ctlOf(0));
        assertEquals(-1, ring.tryClaimRead(me, true), "empty");
    }

    @Test
    void aDeadConsumersClaimIsFreedByTheProducerWaitingForIt() {
        for (int p = 0; p < SLOTS; p++) {
            assertEquals(p, ring.tryClaimWrite(me, false));
            ring.commitWrite(p, me);
        }
        assertEquals(-1, ring.tryClaimWrite(me, true), "full");
        assertEquals(0, ring.tryClaimRead(DEAD_INDEX, false)); // dies mid-take
        assertEquals(-1, ring.tryClaimWrite(me, false), "without the owner check it waits");
        assertEquals(SLOTS, ring.tryClaimWrite(me, true), "with it, the slot is recovered");
        ring.commitWrite(SLOTS, me);
        for (int p = 1; p <= SLOTS; p++) {
            assertEquals(p, ring.tryClaimRead(me, false));
            ring.releaseRead(p, me);
        }
        assertEquals(0, ring.size());
    }

    @Test
    void aLiveOwnersClaimIsNeverRecovered() {
        assertEquals(0, ring.tryClaimWrite(me, false));
        assertEquals(-1, ring.tryClaimRead(me, true));
        assertEquals(ctl(0, me, WRITING), ctlOf(0));
        ring.abandonWrite(0, me);
        assertEquals(0, ring.size(), "an abandoned position is not counted");
        assertEquals(-1, ring.tryClaimRead(me, true), "an abandoned position is skipped");
        assertEquals(ctl(SLOTS, 0, FREE), ctlOf(0));
    }

    @Test
    void aStoreFromAClaimThatWasTakenOverNeverOverwritesTheSlot() {
        assertEquals(0, ring.tryClaimWrite(me, false));
        // Another process judged us dead and recovered the slot; a new producer claimed it.
        region.set(ValueLayout.JAVA_LONG, slot(0), ctl(SLOTS, DEAD_INDEX, WRITING));
        assertThrows(IllegalStateException.class, () -> ring.commitWrite(0, me));
        assertEquals(ctl(SLOTS, DEAD_INDEX, WRITING), ctlOf(0), "the new claim is intact");
    }

    @Test
    void aFullParticipantsTableReusesADeadEntryAfterRecoveringItsClaims() {
        // Every entry, ours included, belongs to a dead process: this process registers anew.
        for (int i = 1; i <= QueueLayout.PARTICIPANTS; i++) {
            region.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(i), DEAD);
        }
        assertEquals(0, ring.tryClaimWrite(1, false)); // a claim of the first dead entry
        int reused = ring.register();
        assertEquals(1, reused);
        assertEquals(ctl(SLOTS, 0, FREE), ctlOf(0), "its claim was recovered first");
        assertNotEquals(DEAD, region.get(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(reused)));
        assertEquals(reused, ring.register(), "a process keeps the entry it has");
    }

    @Test
    void aWakerTakesTheSleepersCountOffSoLaterCommitsMakeNoWakeCall() {
        ring.arm(false); // a consumer about to sleep
        assertEquals(1, waiting(QueueLayout.CONSUMERS_WAITING_OFFSET));
        int seq = ring.notEmptySeq();
        assertEquals(0, ring.tryClaimWrite(me, false));
        ring.commitWrite(0, me);
        assertEquals(0, waiting(QueueLayout.CONSUMERS_WAITING_OFFSET), "the waker took the count off");
        assertEquals(seq + 1, ring.notEmptySeq(), "and moved the word, so a sleeper not yet inside returns");
        assertEquals(1, ring.tryClaimWrite(me, false));
        ring.commitWrite(1, me);
        assertEquals(seq + 1, ring.notEmptySeq(), "no sleeper counted: no wake, the word stays");
        ring.disarm(false); // the woken consumer must not take its count off again
        assertEquals(0, waiting(QueueLayout.CONSUMERS_WAITING_OFFSET), "never below zero");
        ring.arm(true);
        ring.disarm(true); // a producer that found room after arming
        assertEquals(0, waiting(QueueLayout.PRODUCERS_WAITING_OFFSET));
    }

    private int waiting(long offset) {
        return region.get(ValueLayout.JAVA_INT, offset);
    }

    @Test
    void joinableAccountingCountsRecordsAndTakenTasksOfLiveProcessesOnly() throws Exception {
        try (SharedMemory m = SharedMemory.create(QueueLayout.regionSize(SLOTS, SLOT_SIZE, QueueLayout.JOINABLE))) {
            MemorySegment r = m.segment();
            QueueLayout.initialize(r, SLOTS, SLOT_SIZE, SLOTS, QueueLayout.JOINABLE);
            Ring j = new Ring(r, SLOTS, SLOT_SIZE, QueueLayout.JOINABLE, ref -> { }, ALIVE);
            int i = j.register();
            r.set(ValueLayout.JAVA_LONG, QueueLayout.participantOffset(DEAD_INDEX), DEAD);
            assertTrue(j.allTasksDone(), "nothing put");
            assertFalse(j.taskDone(i), "nothing taken: too many taskDone calls");

            assertEquals(0, j.tryClaimWrite(i, false));
            assertFalse(j.allTasksDone(), "a put in progress by a live process counts");
            j.commitWrite(0, i);
            assertFalse(j.allTasksDone(), "a committed record counts");
            assertEquals(0, j.tryClaimRead(i, false));
            assertFalse(j.allTasksDone(), "a record being taken counts");
            j.taken(i);
            j.releaseRead(0, i);
            assertFalse(j.allTasksDone(), "a taken task counts until it is done");
            assertTrue(j.taskDone(i));
            assertTrue(j.allTasksDone());

            assertEquals(1, j.tryClaimWrite(DEAD_INDEX, false)); // a producer dies mid-put
            assertTrue(j.allTasksDone(), "a dead producer's unfinished put does not count");
            assertEquals(2, j.tryClaimWrite(i, false));
            j.commitWrite(2, i);
            assertEquals(2, j.tryClaimRead(DEAD_INDEX, true)); // a consumer takes it, then dies
            assertTrue(j.allTasksDone(), "a dead consumer's claim does not count");
            r.set(ValueLayout.JAVA_LONG, QueueLayout.taskCounterOffset(SLOTS, SLOT_SIZE, DEAD_INDEX), 5L);
            assertTrue(j.allTasksDone(), "nor do the tasks a dead process took and never finished");
            assertTrue(j.taskDone(i), "but another process may still finish them");
            assertEquals(4L, r.get(ValueLayout.JAVA_LONG, QueueLayout.taskCounterOffset(SLOTS, SLOT_SIZE, DEAD_INDEX)));
        }
    }

    private long slot(long position) {
        return ring.slotOf(position);
    }

    private long ctlOf(long position) {
        return region.get(ValueLayout.JAVA_LONG, slot(position) + QueueLayout.SLOT_CTL);
    }
}
