package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.testing.WaitStates;

/** Contract of {@link SharedReentrantLock}, across real child JVMs where it matters. */
@Timeout(60)
class SharedReentrantLockTest {

    @Test
    void mutualExclusionAcrossProcessesAndOnlyTheOwnerUnlocks() throws Exception {
        try (SharedReentrantLock lock = SharedReentrantLock.create();
             SharedMemory counter = SharedMemory.create(8);
             Pipe pipe = Pipe.open()) {
            Connection out = pipe.second();
            ChildProcess child = new ChildProcess(() -> {
                SharedLockTest.increment(lock, counter.segment(), SharedLockTest.ROUNDS);
                lock.lock(); // now hold it and let the parent's threads try to unlock it
                out.send("holding");
                Thread.sleep(60_000);
            });
            try {
                child.start();
                SharedLockTest.increment(lock, counter.segment(), SharedLockTest.ROUNDS);
                assertEquals("holding", pipe.first().recv());
                assertEquals(2L * SharedLockTest.ROUNDS, counter.segment().get(ValueLayout.JAVA_LONG, 0));
                assertTrue(lock.isLocked());
                assertFalse(lock.isHeldByCurrentThread());
                assertThrows(IllegalMonitorStateException.class, lock::unlock); // another process
                assertFalse(lock.tryLock());
            } finally {
                child.kill();
                child.join();
                child.close();
            }
        }
    }

    @Test
    void ownerReentersAndReleasesAtHoldCountZero() throws Exception {
        try (SharedReentrantLock lock = SharedReentrantLock.create()) {
            lock.lock();
            assertTrue(lock.tryLock());
            assertTrue(lock.tryLock(1, TimeUnit.MILLISECONDS));
            lock.lockInterruptibly();
            assertEquals(4, lock.getHoldCount());
            AtomicReference<Object> other = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    lock.unlock();
                    other.set("unlocked");
                } catch (IllegalMonitorStateException e) {
                    other.set(e);
                }
            });
            t.join();
            assertTrue(other.get() instanceof IllegalMonitorStateException, String.valueOf(other.get()));
            for (int i = 3; i >= 0; i--) {
                lock.unlock();
                assertEquals(i, lock.getHoldCount());
            }
            assertFalse(lock.isLocked());
            assertThrows(IllegalMonitorStateException.class, lock::unlock);
        }
    }

    @Test
    void interruptedWaiterThrowsAndTimeoutIsNeverEarly() throws Exception {
        try (SharedReentrantLock lock = SharedReentrantLock.create()) {
            lock.lock();
            AtomicReference<String> outcome = new AtomicReference<>("");
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    long start = System.nanoTime();
                    boolean got = lock.tryLock(25, TimeUnit.MILLISECONDS);
                    outcome.set(got ? "acquired" : System.nanoTime() - start >= 25_000_000L
                            ? "timed out" : "early");
                    lock.lockInterruptibly();
                    outcome.set("acquired");
                } catch (InterruptedException e) {
                    outcome.set(outcome.get() + ", interrupted");
                }
            });
            // Interrupt only once the timed attempt has ended and the untimed one sleeps.
            WaitStates.awaitCondition("tryLock(25 ms) returned", () -> !outcome.get().isEmpty());
            WaitStates.awaitSleepingInWait(t);
            t.interrupt();
            t.join();
            assertEquals("timed out, interrupted", outcome.get());
            lock.unlock();
        }
    }

    @Test
    void holderKilledWithSeveralHoldsIsTakenOverWithHoldCountOne() throws Exception {
        try (SharedReentrantLock lock = SharedReentrantLock.create(); Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(
                     SharedLockTest.holdAndReport(pipe.second(), lock, lock, lock))) {
            holder.start();
            assertEquals("holding", pipe.first().recv());
            holder.kill();
            long killed = System.nanoTime();
            lock.lock();
            System.out.printf("SharedReentrantLock recovery after SIGKILL of the holder: %.2f ms%n",
                    (System.nanoTime() - killed) / 1e6);
            assertEquals(1, lock.getHoldCount());
            assertFalse(lock.isConsistent());
            lock.lock();
            lock.unlock(); // still one hold left: no effect on consistency
            lock.markConsistent();
            lock.unlock();
            assertFalse(lock.isLocked());
            assertTrue(lock.isConsistent());
            holder.join();
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() throws Exception {
        SharedReentrantLock lock = SharedReentrantLock.create();
        lock.close();
        lock.close();
        assertThrows(IllegalStateException.class, lock::lock);
        assertThrows(IllegalStateException.class, lock::getHoldCount);
    }
}
