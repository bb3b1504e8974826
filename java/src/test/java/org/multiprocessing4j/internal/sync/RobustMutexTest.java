package org.multiprocessing4j.internal.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.RegionHeader;

/**
 * Take-over details of {@link RobustMutex} that need a dead owner at a precise moment, simulated
 * in private memory: only this process is alive ({@link #ALIVE}, as the region's liveness marks
 * would tell it), so a token with this process's pid and another start time names a dead process.
 */
@Timeout(60)
class RobustMutexTest {
    private static final long DEAD = ProcessToken.self() + 1;
    private static final LongPredicate ALIVE = t -> MutexLayout.holder(t) == ProcessToken.self();

    /** Where the mutex sits in its region. */
    private static final long BASE = LockLayout.MUTEX_OFFSET;

    /** A lock region with its header published: the mutex block at {@link #BASE}. */
    private static MemorySegment block(Arena a) {
        MemorySegment s = a.allocate(LockLayout.SIZE, 128);
        RegionHeader.publish(s, LockLayout.MAGIC_LOCK, LockLayout.VERSION, LockLayout.SIZE, true,
                ProcessToken.self());
        return s;
    }

    @Test
    void aTakerWhoseThreadIdEqualsTheDeadOwnersIsNotTheOwnerUntilTheTakeOverIsPublished() {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, DEAD);
            // Thread ids repeat across JVMs (every main thread is 3): the dead owner's may be ours.
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_THREAD_OFFSET, Thread.currentThread().threadId());
            Words.setIntVolatile(s, BASE + MutexLayout.HOLDS_OFFSET, 7);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            AtomicReference<String> midWay = new AtomicReference<>();
            m.takeOverProbe = () -> midWay.set("held=" + m.heldByCurrentThread()
                    + ", taking=" + ((m.owner() & MutexLayout.TAKING) != 0));
            assertEquals(RobustMutex.Result.OWNER_DIED, m.tryAcquire());
            assertEquals("held=false, taking=true", midWay.get());
            assertTrue(m.heldByCurrentThread());
            assertEquals(ProcessToken.self(), m.owner());
            assertEquals(1, m.holds());
            assertTrue(m.ownerDied());
        }
    }

    @Test
    void anUnlockDuringATakeOverWaitsForItAndThenMakesTheMutexNotRecoverable() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, DEAD);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            AtomicReference<Boolean> unlocked = new AtomicReference<>();
            AtomicReference<Thread> unlocker = new AtomicReference<>();
            AtomicReference<Boolean> finishedMidWay = new AtomicReference<>();
            m.takeOverProbe = () -> {
                Thread t = Thread.ofPlatform().start(() -> unlocked.set(m.releaseAny()));
                unlocker.set(t);
                try {
                    t.join(50);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                finishedMidWay.set(!t.isAlive());
            };
            assertEquals(RobustMutex.Result.OWNER_DIED, m.acquire(-1, false));
            assertEquals(Boolean.FALSE, finishedMidWay.get(), "unlock must wait for the take-over");
            unlocker.get().join();
            assertEquals(Boolean.TRUE, unlocked.get());
            // The unlock released the taker's hold: unrepaired, so never consistent again.
            assertEquals(MutexLayout.NOT_RECOVERABLE, m.owner());
            assertEquals(RobustMutex.Result.NOT_RECOVERABLE, m.acquire(0, true));
        }
    }

    @Test
    void aTakerThatDiedMidWayIsTakenOverInTurn() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, DEAD | MutexLayout.TAKING);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            assertEquals(RobustMutex.Result.OWNER_DIED, m.acquire(-1, true));
            assertTrue(m.heldByCurrentThread());
            assertTrue(m.ownerDied());
            m.markConsistent();
            assertTrue(m.release(ProcessToken.self()));
            assertEquals(0, m.owner());
        }
    }

    @Test
    void aClosedMutexStartsNoTakeOverOrForeignReleaseUntilReopened() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, DEAD);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            m.close();
            m.close(); // idempotent
            assertEquals(RobustMutex.Result.TIMED_OUT, m.acquire(0, true), "no take-over once closing");
            assertFalse(m.release(DEAD), "no foreign release once closing");
            assertEquals(DEAD, m.owner(), "the word is untouched");
            m.reopen(); // the unmapping failed: the object stays usable
            assertEquals(RobustMutex.Result.OWNER_DIED, m.acquire(0, true));
            assertEquals(ProcessToken.self(), m.owner());
        }
    }

    @Test
    void aZeroTimeoutStillChecksOnceWhetherTheOwnerIsDead() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            Words.setLongVolatile(s, BASE + MutexLayout.OWNER_OFFSET, DEAD);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            assertEquals(RobustMutex.Result.OWNER_DIED, m.acquire(0, true));
            assertTrue(m.ownerDied());
        }
    }

    @Test
    void aLiveOwnerIsNeverTakenOverAndReleaseClearsTheThreadRecordFirst() throws Exception {
        try (Arena a = Arena.ofShared()) {
            MemorySegment s = block(a);
            RobustMutex m = new RobustMutex(s, BASE, ALIVE);
            assertEquals(RobustMutex.Result.ACQUIRED, m.acquire(-1, true));
            assertEquals(RobustMutex.Result.TIMED_OUT, m.acquire(0, true));
            assertTrue(m.release(ProcessToken.self()));
            assertEquals(0, Words.longVolatile(s, BASE + MutexLayout.OWNER_THREAD_OFFSET));
            assertFalse(m.release(ProcessToken.self()));
            assertFalse(m.releaseAny());
            assertNotEquals(MutexLayout.NOT_RECOVERABLE, m.owner());
        }
    }
}
