package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.NumbersLayout;
import org.multiprocessing4j.internal.RegionHeader;

/** Shared values and arrays: atomic across real child JVMs, layout pinned, misuse rejected. */
@Timeout(90)
class SharedNumbersTest {
    private static final int CHILDREN = 3;
    private static final int INCREMENTS = 20_000;

    @Test
    void concurrentIncrementsFromSeveralProcessesAddUpExactly() throws Exception {
        try (SharedLong counter = SharedLong.create(0);
             SharedDouble sum = SharedDouble.create(0.0);
             SharedIntArray perChild = SharedIntArray.create(CHILDREN + 1)) {
            List<ChildProcess> children = new ArrayList<>();
            try {
                for (int c = 0; c < CHILDREN; c++) {
                    int slot = c;
                    ChildProcess p = new ChildProcess(() -> hammer(counter, sum, perChild, slot));
                    p.start();
                    children.add(p);
                }
                hammer(counter, sum, perChild, CHILDREN); // the parent competes too
                for (ChildProcess p : children) {
                    p.join();
                    assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
                }
            } finally {
                for (ChildProcess p : children) {
                    if (p.isAlive()) {
                        p.kill();
                        p.join();
                    }
                    p.close();
                }
            }
            long total = (long) (CHILDREN + 1) * INCREMENTS;
            assertEquals(total, counter.get());
            assertEquals(total * 0.5, sum.get());
            for (int c = 0; c <= CHILDREN; c++) {
                assertEquals(INCREMENTS, perChild.get(c));
            }
        }
    }

    static void hammer(SharedLong counter, SharedDouble sum, SharedIntArray perChild, int slot) {
        for (int i = 0; i < INCREMENTS; i++) {
            counter.incrementAndGet();
            sum.addAndGet(0.5);
            perChild.addAndGet(slot, 1);
        }
    }

    @Test
    void arrayUpdatesMadeByAChildAreSeenByTheParent() throws Exception {
        try (SharedDoubleArray a = SharedDoubleArray.of(1.5, 2.5, 3.5);
             SharedLongArray b = SharedLongArray.of(10, 20, 30);
             SharedInt flag = SharedInt.create(0)) {
            try (ChildProcess p = new ChildProcess(() -> {
                for (int i = 0; i < a.length(); i++) {
                    a.set(i, -a.get(i));
                    b.addAndGet(i, 1);
                }
                flag.set(1);
            })) {
                p.start();
                p.join();
                assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
            }
            assertEquals(1, flag.get());
            assertArrayEquals(new double[] {-1.5, -2.5, -3.5}, a.toArray());
            assertArrayEquals(new long[] {11, 21, 31}, b.toArray());
        }
    }

    @Test
    void atomicOperationsFollowTheirContracts() throws Exception {
        try (SharedInt i = SharedInt.create(5); SharedDouble d = SharedDouble.create(Double.NaN)) {
            assertTrue(i.compareAndSet(5, 6));
            assertEquals(6, i.getAndSet(7));
            assertEquals(7, i.getAndAdd(3));
            assertEquals(11, i.incrementAndGet());
            assertEquals(10, i.decrementAndGet());
            assertEquals(20, i.updateAndGet(v -> v * 2));
            i.setRelease(3);
            assertEquals(3, i.getAcquire());
            assertTrue(d.compareAndSet(Double.NaN, 1.0), "CAS compares bit patterns");
            assertEquals(3.0, d.addAndGet(2.0));
        }
    }

    @Test
    void aValuesLockSurvivesItsHolderBeingKilled() throws Exception {
        try (SharedLong balance = SharedLong.create(100, true); Pipe pipe = Pipe.open()) {
            Connection c = pipe.second();
            try (ChildProcess p = new ChildProcess(() -> holdLockMidUpdate(balance, c))) {
                p.start();
                assertEquals("holding", pipe.first().recv());
                p.kill();
                p.join();
            }
            SharedReentrantLock lock = balance.getLock();
            lock.lock();
            try {
                assertFalse(lock.isConsistent(), "the new owner must learn that the holder died");
                assertEquals(50, balance.get(), "the half-done update is visible");
                balance.set(100); // repair
                lock.markConsistent();
            } finally {
                lock.unlock();
            }
            lock.lock();
            try {
                assertTrue(lock.isConsistent());
            } finally {
                lock.unlock();
            }
        }
    }

    static void holdLockMidUpdate(SharedLong balance, Connection c) throws Exception {
        balance.getLock().lock();
        balance.set(50); // first half of a two-step update
        c.send("holding");
        Thread.sleep(60_000);
    }

    @Test
    void rawValuesHaveNoLock() throws Exception {
        try (SharedInt raw = SharedInt.create(1); SharedIntArray locked = SharedIntArray.createWithLock(2)) {
            assertThrows(IllegalStateException.class, raw::getLock);
            locked.getLock().lock();
            locked.getLock().unlock();
        }
    }

    @Test
    void misuseIsRejected() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> SharedIntArray.create(-1));
        SharedIntArray a = SharedIntArray.create(2);
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(2));
        assertThrows(IndexOutOfBoundsException.class, () -> a.set(-1, 0));
        a.close();
        a.close();
        assertThrows(IllegalStateException.class, () -> a.get(0));
        try (SharedInt v = SharedInt.create(1); Pipe pipe = Pipe.open()) {
            // Only a starting child can take a shared value; a message cannot carry it.
            assertThrows(CodecException.class, () -> pipe.first().send(v));
        }
    }

    @Test
    void layoutOffsetsArePinned() {
        assertEquals(0x40, NumbersLayout.KIND_OFFSET);
        assertEquals(0x48, NumbersLayout.LENGTH_OFFSET);
        assertEquals(0x80, NumbersLayout.DATA_OFFSET);
        assertEquals(0x80 + 3 * 8, NumbersLayout.regionSize(3, 8));
        MemorySegment region = MemorySegment.ofArray(new long[0x80 / 8 + 3]);
        NumbersLayout.initialize(region, NumbersLayout.KIND_LONG, 3, 42);
        assertEquals(42, RegionHeader.creator(region));
        NumbersLayout.check(region, NumbersLayout.KIND_LONG, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NumbersLayout.check(region, NumbersLayout.KIND_INT, 3));
        assertTrue(e.getMessage().contains("kind"), e.getMessage());
        region.set(java.lang.foreign.ValueLayout.JAVA_INT, RegionHeader.VERSION_OFFSET, 99);
        e = assertThrows(IllegalStateException.class,
                () -> NumbersLayout.check(region, NumbersLayout.KIND_LONG, 3));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
    }
}
