package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.internal.sync.LockLayout;
import org.multiprocessing4j.internal.sync.MutexLayout;
import org.multiprocessing4j.internal.sync.ProcessToken;
import org.multiprocessing4j.internal.sync.SyncRegion;
import org.multiprocessing4j.testing.WaitStates;

/** Contract of {@link SharedLock}, across real child JVMs where it matters. */
@Timeout(60)
class SharedLockTest {
    static final int ROUNDS = 20_000;

    @Test
    void mutualExclusionAcrossProcessesGivesAnExactCount() throws Exception {
        try (SharedLock lock = SharedLock.create(); SharedMemory counter = SharedMemory.create(8)) {
            Task inc = () -> increment(lock, counter.segment(), ROUNDS);
            ChildProcess a = new ChildProcess(inc);
            ChildProcess b = new ChildProcess(inc);
            try {
                a.start();
                b.start();
                increment(lock, counter.segment(), ROUNDS);
                a.join();
                b.join();
                assertEquals(0, a.exitCode().getAsInt(), () -> a.failure().toString());
                assertEquals(0, b.exitCode().getAsInt(), () -> b.failure().toString());
            } finally {
                a.close();
                b.close();
            }
            assertEquals(3L * ROUNDS, counter.segment().get(ValueLayout.JAVA_LONG, 0));
            assertFalse(lock.isLocked());
        }
    }

    /** A deliberately non-atomic read-modify-write that only the lock keeps exact. */
    static void increment(java.util.concurrent.locks.Lock lock, MemorySegment counter, int n) {
        for (int i = 0; i < n; i++) {
            lock.lock();
            try {
                long v = counter.get(ValueLayout.JAVA_LONG, 0);
                Thread.onSpinWait();
                counter.set(ValueLayout.JAVA_LONG, 0, v + 1);
            } finally {
                lock.unlock();
            }
        }
    }

    @Test
    void holderKilledBySigkillIsTakenOverWithTheOwnerDiedSignal() throws Exception {
        try (SharedLock repaired = SharedLock.create(); SharedLock ignored = SharedLock.create();
             Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(holdAndReport(pipe.second(), repaired, ignored))) {
            holder.start();
            assertEquals("holding", pipe.first().recv());
            assertTrue(repaired.isLocked());
            assertFalse(repaired.tryLock(20, TimeUnit.MILLISECONDS));
            holder.kill();
            long killed = System.nanoTime();
            repaired.lock();
            long recovered = System.nanoTime();
            System.out.printf("SharedLock recovery after SIGKILL of the holder: %.2f ms%n",
                    (recovered - killed) / 1e6);
            try {
                assertFalse(repaired.isConsistent());
                repaired.markConsistent();
                assertTrue(repaired.isConsistent());
            } finally {
                repaired.unlock();
            }
            repaired.lock(); // usable again, consistent
            assertTrue(repaired.isConsistent());
            repaired.unlock();

            // The same take-over, but the new owner unlocks without repairing: not recoverable.
            assertTrue(ignored.tryLock(10, TimeUnit.SECONDS));
            assertFalse(ignored.isConsistent());
            ignored.unlock();
            assertThrows(LockNotRecoverableException.class, ignored::lock);
            assertThrows(LockNotRecoverableException.class, ignored::tryLock);
            assertFalse(ignored.isConsistent());
            holder.join();
            assertEquals(-9, holder.exitCode().getAsInt());
        }
    }

    /** Locks every lock, reports "holding", then sleeps until killed. */
    static Task holdAndReport(Connection out, java.util.concurrent.locks.Lock... locks) {
        return () -> {
            for (java.util.concurrent.locks.Lock l : locks) {
                l.lock();
            }
            out.send("holding");
            Thread.sleep(60_000);
        };
    }

    @Test
    void aZeroTimeoutTryLockTakesOverFromADeadHolder() throws Exception {
        try (SharedLock lock = SharedLock.create(); Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(holdAndReport(pipe.second(), lock))) {
            holder.start();
            assertEquals("holding", pipe.first().recv());
            assertFalse(lock.tryLock(0, TimeUnit.SECONDS)); // alive: not taken over
            holder.kill();
            holder.join();
            assertTrue(lock.tryLock(0, TimeUnit.SECONDS));
            assertTrue(lock.isHeldByCurrentThread());
            assertFalse(lock.isConsistent());
            lock.markConsistent();
            lock.unlock();
            assertFalse(lock.isLocked());
        }
    }

    @Test
    void closingDuringATakeOverLeavesNoHalfDoneOwnerWord() throws Exception {
        String name = "mp4j-test-close-takeover-" + java.util.UUID.randomUUID();
        try (SharedLock taker = SharedLock.create(name); SharedLock other = SharedLock.open(name)) {
            try {
                MemorySegment words = region(other).segment();
                long ownerOffset = LockLayout.MUTEX_OFFSET + MutexLayout.OWNER_OFFSET;
                // A dead owner: this pid with another start time, which holds no liveness mark.
                words.set(ValueLayout.JAVA_LONG, ownerOffset, ProcessToken.self() + 1);
                AtomicReference<Thread> closer = new AtomicReference<>();
                setTakeOverProbe(taker, () -> {
                    // Mid-way through the take-over (owner word = us | TAKING), another thread
                    // closes the object that is taking over.
                    Thread t = Thread.ofPlatform().start(taker::close);
                    closer.set(t);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (t.getState() == Thread.State.NEW || t.getState() == Thread.State.RUNNABLE) {
                        if (System.nanoTime() - deadline > 0) {
                            throw new AssertionError("close() neither finished nor waited");
                        }
                        Thread.onSpinWait();
                    }
                });
                Object outcome;
                try {
                    outcome = taker.tryLock();
                } catch (IllegalStateException e) {
                    outcome = e.toString();
                }
                closer.get().join();
                long owner = words.get(ValueLayout.JAVA_LONG, ownerOffset);
                assertEquals(0, owner & MutexLayout.TAKING, "the owner word was left half-way through a"
                        + " take-over (" + Long.toHexString(owner) + "), which only this live process could"
                        + " finish; take-over outcome: " + outcome);
                assertEquals(Boolean.TRUE, outcome, "the take-over in flight completes before close");
                // The take-over's hold is this process's, and this thread's: another object on the
                // same lock in this process can repair and release it.
                assertTrue(other.isHeldByCurrentThread());
                assertFalse(other.isConsistent());
                other.markConsistent();
                other.unlock();
                assertTrue(other.tryLock());
                other.unlock();
            } finally {
                other.unlink();
            }
        }
    }

    private static SyncRegion region(SharedLock lock) throws Exception {
        java.lang.reflect.Field f = SharedLock.class.getDeclaredField("region");
        f.setAccessible(true);
        return (SyncRegion) f.get(lock);
    }

    /** Sets the package-private take-over probe of the lock's mutex (tests only). */
    private static void setTakeOverProbe(SharedLock lock, Runnable probe) throws Exception {
        Object mutex = region(lock).mutex();
        java.lang.reflect.Field p = mutex.getClass().getDeclaredField("takeOverProbe");
        p.setAccessible(true);
        p.set(mutex, probe);
    }

    @Test
    void tryLockTimesOutNeverEarlyAndInterruptionIsHonoured() throws Exception {
        try (SharedLock lock = SharedLock.create()) {
            lock.lock();
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    long start = System.nanoTime();
                    boolean got = lock.tryLock(30, TimeUnit.MILLISECONDS);
                    long waited = System.nanoTime() - start;
                    outcome.set(got ? "acquired" : waited >= 30_000_000L ? "timed out" : "early");
                    lock.lockInterruptibly();
                    outcome.set("acquired");
                } catch (InterruptedException e) {
                    outcome.set(outcome.get() + ", interrupted");
                }
            });
            t.start();
            // Interrupt only once the timed attempt has ended and the untimed one sleeps.
            WaitStates.awaitCondition("tryLock(30 ms) returned", () -> outcome.get() != null);
            WaitStates.awaitSleepingInWait(t);
            t.interrupt();
            t.join();
            assertEquals("timed out, interrupted", outcome.get());
            assertFalse(lock.tryLock());
            lock.unlock();
            assertTrue(lock.tryLock());
            lock.unlock();
        }
    }

    @Test
    void anyThreadMayUnlockButUnlockingAnUnlockedLockThrows() throws Exception {
        try (SharedLock lock = SharedLock.create()) {
            assertThrows(IllegalMonitorStateException.class, lock::unlock);
            lock.lock();
            assertTrue(lock.isHeldByCurrentThread());
            Thread other = Thread.ofPlatform().start(lock::unlock); // Python semantics
            other.join();
            assertFalse(lock.isLocked());
            assertThrows(IllegalMonitorStateException.class, lock::markConsistent);
        }
    }

    @Test
    void virtualThreadsContendWithoutPinningAndCountExactly() throws Exception {
        try (SharedLock lock = SharedLock.create(); SharedMemory counter = SharedMemory.create(8)) {
            int threads = 16;
            CountDownLatch done = new CountDownLatch(threads);
            for (int i = 0; i < threads; i++) {
                Thread.ofVirtual().start(() -> {
                    increment(lock, counter.segment(), 2_000);
                    done.countDown();
                });
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertEquals(threads * 2_000L, counter.segment().get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() throws Exception {
        SharedLock lock = SharedLock.create();
        lock.close();
        lock.close();
        assertThrows(IllegalStateException.class, lock::lock);
        assertThrows(IllegalStateException.class, lock::tryLock);
        assertThrows(IllegalStateException.class, lock::unlock);
        assertThrows(IllegalStateException.class, lock::newCondition);
        assertEquals("SharedLock[closed]", lock.toString());
    }
}
