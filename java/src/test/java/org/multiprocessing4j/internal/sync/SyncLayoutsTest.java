package org.multiprocessing4j.internal.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.platform.Platform;

/** Pins the offsets of every synchronization region to the tables in their Javadoc. */
class SyncLayoutsTest {
    /** This backend's wait-channel area. */
    private static final long WAIT = Platform.current().waitChannelBytes();

    @Test
    void mutexBlock() {
        assertEquals(0x00, MutexLayout.OWNER_OFFSET);
        assertEquals(0x08, MutexLayout.OWNER_THREAD_OFFSET);
        assertEquals(0x10, MutexLayout.HOLDS_OFFSET);
        assertEquals(0x14, MutexLayout.OWNER_DIED_OFFSET);
        assertEquals(0x80, MutexLayout.WAITERS_OFFSET);
        assertEquals(0x84, MutexLayout.WAKE_SEQ_OFFSET);
        assertEquals(0x100, MutexLayout.SIZE);
        assertEquals(1L << 62, MutexLayout.TAKING);
    }

    @Test
    void lockRegion() {
        assertEquals(0x80, LockLayout.MUTEX_OFFSET);
        assertEquals(0x80, LockLayout.MUTEX_OFFSET + MutexLayout.OWNER_OFFSET);
        assertEquals(0x100, LockLayout.MUTEX_OFFSET + MutexLayout.WAITERS_OFFSET);
        assertEquals(0x180 + WAIT, LockLayout.SIZE);
        assertEquals(4, LockLayout.VERSION);
    }

    @Test
    void semaphoreEventConditionRegions() {
        assertEquals(0x40, SemaphoreLayout.MAX_VALUE_OFFSET);
        assertEquals(0x80, SemaphoreLayout.VALUE_OFFSET);
        assertEquals(0x100, SemaphoreLayout.WAITERS_OFFSET);
        assertEquals(0x180 + WAIT, SemaphoreLayout.SIZE);
        assertEquals(2, SemaphoreLayout.VERSION);
        assertEquals(0x80, EventLayout.STATE_OFFSET);
        assertEquals(0x100, EventLayout.WAITERS_OFFSET);
        assertEquals(0x180 + WAIT, EventLayout.SIZE);
        assertEquals(3, EventLayout.VERSION);
        assertEquals(0x80, ConditionLayout.WAKE_SEQ_OFFSET);
        assertEquals(0x84, ConditionLayout.TOKENS_OFFSET);
        assertEquals(0x88, ConditionLayout.LIMIT_OFFSET);
        assertEquals(0x100, ConditionLayout.WAITERS_OFFSET);
        assertEquals(0x104, ConditionLayout.NEXT_TICKET_OFFSET);
        assertEquals(0x180 + WAIT, ConditionLayout.SIZE);
        assertEquals(3, ConditionLayout.VERSION);
    }

    @Test
    void barrierRegion() {
        assertEquals(0x40, BarrierLayout.PARTIES_OFFSET);
        assertEquals(0x80, BarrierLayout.MUTEX_OFFSET);
        assertEquals(0x180, BarrierLayout.GEN_OFFSET);
        assertEquals(0x184, BarrierLayout.COUNT_OFFSET);
        assertEquals(0x188, BarrierLayout.BROKEN_OFFSET);
        assertEquals(0x190, BarrierLayout.HISTORY_OFFSET);
        assertEquals(0x200, BarrierLayout.SLOTS_OFFSET);
        assertEquals(0x200 + 8 * 3, BarrierLayout.slot(3));
        assertEquals(0x240 + WAIT, BarrierLayout.size(5), "slots, rounded up to 64, then the wait area");
        assertEquals(0x240 + WAIT, BarrierLayout.size(8));
        assertEquals(4, BarrierLayout.VERSION);
    }

    @Test
    void commonHeader() {
        assertEquals(0x00, RegionHeader.MAGIC_OFFSET);
        assertEquals(0x04, RegionHeader.VERSION_OFFSET);
        assertEquals(0x08, RegionHeader.LAYOUT_SIZE_OFFSET);
        assertEquals(0x10, RegionHeader.BACKEND_OFFSET);
        assertEquals(0x18, RegionHeader.CREATOR_OFFSET);
        assertEquals(0x20, RegionHeader.WAIT_AREA_OFFSET_OFFSET);
        assertEquals(0x28, RegionHeader.WAIT_AREA_SIZE_OFFSET);
        assertEquals(0x40, RegionHeader.CONFIG_OFFSET);
        assertEquals(0x80, RegionHeader.SIZE);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(BarrierLayout.size(3), 128);
            RegionHeader.publish(s, BarrierLayout.MAGIC, BarrierLayout.VERSION, BarrierLayout.size(3),
                    true, 1234);
            assertEquals(BarrierLayout.size(3),
                    RegionHeader.check(s, BarrierLayout.MAGIC, BarrierLayout.VERSION, "SharedBarrier"));
            assertEquals(Platform.current().backendId(), RegionHeader.backend(s));
            assertEquals(1234, RegionHeader.creator(s));
            assertEquals(0x240, s.get(ValueLayout.JAVA_LONG, RegionHeader.WAIT_AREA_OFFSET_OFFSET));
            assertEquals(WAIT, s.get(ValueLayout.JAVA_LONG, RegionHeader.WAIT_AREA_SIZE_OFFSET));
            assertNotNull(RegionHeader.waitChannel(s));
        }
    }

    @Test
    void aRegionOfAnotherBackendIsRefusedNamingBoth() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(EventLayout.SIZE, 128);
            RegionHeader.publish(s, EventLayout.MAGIC, EventLayout.VERSION, EventLayout.SIZE, true, 1);
            MemorySegment.copy("other".getBytes(StandardCharsets.US_ASCII), 0, s, ValueLayout.JAVA_BYTE,
                    RegionHeader.BACKEND_OFFSET, 5);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RegionHeader.check(s, EventLayout.MAGIC, EventLayout.VERSION, "SharedEvent"));
            assertTrue(e.getMessage().contains("'other'")
                    && e.getMessage().contains("'" + Platform.current().backendId() + "'"), e.getMessage());
        }
    }

    @Test
    void aLayoutSizeThatDoesNotFitIsRefused() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(EventLayout.SIZE, 128);
            RegionHeader.publish(s, EventLayout.MAGIC, EventLayout.VERSION, EventLayout.SIZE, true, 1);
            RegionHeader.check(s, EventLayout.MAGIC, EventLayout.VERSION, "SharedEvent", EventLayout.SIZE);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RegionHeader.check(s, EventLayout.MAGIC, EventLayout.VERSION, "SharedEvent",
                            EventLayout.SIZE + 64));
            assertTrue(e.getMessage().contains("layout of " + EventLayout.SIZE), e.getMessage());
            s.set(ValueLayout.JAVA_LONG, RegionHeader.LAYOUT_SIZE_OFFSET, EventLayout.SIZE + 4096);
            e = assertThrows(IllegalStateException.class,
                    () -> RegionHeader.check(s, EventLayout.MAGIC, EventLayout.VERSION, "SharedEvent"));
            assertTrue(e.getMessage().contains("in shared memory of"), e.getMessage());
        }
    }

    @Test
    void headerMismatchNamesBothVersionsAndBothMagics() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(LockLayout.SIZE, 128);
            RegionHeader.publish(s, LockLayout.MAGIC_LOCK, 7, LockLayout.SIZE, true, 1);
            IllegalStateException v = assertThrows(IllegalStateException.class,
                    () -> RegionHeader.check(s, LockLayout.MAGIC_LOCK, LockLayout.VERSION, "SharedLock"));
            assertTrue(v.getMessage().contains("layout version 7")
                    && v.getMessage().contains("layout version " + LockLayout.VERSION), v.getMessage());
            IllegalStateException m = assertThrows(IllegalStateException.class,
                    () -> RegionHeader.check(s, LockLayout.MAGIC_REENTRANT, LockLayout.VERSION, "X"));
            assertTrue(m.getMessage().contains(Integer.toHexString(LockLayout.MAGIC_LOCK))
                    && m.getMessage().contains(Integer.toHexString(LockLayout.MAGIC_REENTRANT)),
                    m.getMessage());
        }
    }

    @Test
    void processTokensNameLiveProcessesOnly() throws Exception {
        long self = ProcessToken.self();
        assertEquals(ProcessHandle.current().pid(), ProcessToken.pid(self));
        assertEquals(0, self & (MutexLayout.TAKING | Long.MIN_VALUE), "bits 62 and 63 are free");
        assertEquals(ProcessToken.pid(self), ProcessToken.pid(self | MutexLayout.TAKING));
        Platform os = Platform.current();
        try (Descriptor region = new Descriptor(os.createAnonymousMemory("mp4j-test", 4096))) {
            Object owner = new Object();
            try (LivenessMark mark = LivenessMark.place(region, owner)) {
                assertTrue(mark.isAlive(self));
                assertTrue(mark.isAlive(self | MutexLayout.TAKING));
                assertFalse(mark.isAlive(0));
                // Same pid, other low bits: a process that no longer runs, or one that runs in
                // another PID namespace. Only its mark can tell which: it has none.
                assertFalse(mark.isAlive(self + 1), "no mark: dead");
                mark.close();
                assertTrue(mark.isAlive(self + 1), "a closed mark cannot tell: alive");
            }
            Reference.reachabilityFence(owner);
        }
    }

}
