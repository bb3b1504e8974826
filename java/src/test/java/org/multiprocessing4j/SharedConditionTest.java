package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Contract of {@link SharedCondition}, across real child JVMs where it matters. */
@Timeout(60)
class SharedConditionTest {

    @Test
    void signalAllWakesAWaiterInAnotherProcessAndWaitForSeesThePredicate() throws Exception {
        try (SharedCondition cond = SharedCondition.create(); SharedMemory state = SharedMemory.create(8);
             ChildProcess child = new ChildProcess(() -> {
                 cond.lock().lock();
                 try {
                     if (!cond.waitFor(() -> state.segment().get(ValueLayout.JAVA_INT, 0) == 1,
                             10, TimeUnit.SECONDS)) {
                         throw new IllegalStateException("predicate never became true");
                     }
                     state.segment().set(ValueLayout.JAVA_INT, 0, 2);
                     cond.signalAll();
                 } finally {
                     cond.lock().unlock();
                 }
             })) {
            child.start();
            cond.lock().lock();
            try {
                state.segment().set(ValueLayout.JAVA_INT, 0, 1);
                cond.signalAll();
                assertTrue(cond.waitFor(() -> state.segment().get(ValueLayout.JAVA_INT, 0) == 2,
                        10, TimeUnit.SECONDS));
            } finally {
                cond.lock().unlock();
            }
            child.join();
            assertEquals(0, child.exitCode().getAsInt(), () -> child.failure().toString());
        }
    }

    @Test
    void aKilledWaiterNeverBlocksSignalAndAKilledHolderIsTakenOver() throws Exception {
        try (SharedLock lock = SharedLock.create(); SharedCondition cond = lock.newCondition();
             SharedMemory go = SharedMemory.create(8); Pipe pipe = Pipe.open();
             ChildProcess waiter = new ChildProcess(awaitForever(lock, cond, pipe.second()));
             ChildProcess holder = new ChildProcess(holdAfterSignal(lock, cond, go, pipe.second()))) {
            // 1. A waiter that dies inside await() never blocks signal().
            waiter.start();
            assertEquals("waiting", pipe.first().recv());
            lock.lock(); // succeeds only once the child released the lock inside await()
            waiter.kill();
            waiter.join();
            cond.signal();
            cond.signalAll();
            lock.unlock();

            // 2. A child woken by signal re-acquires the lock inside await(), then dies holding it.
            holder.start();
            assertEquals("waiting", pipe.first().recv());
            lock.lock();
            go.segment().set(ValueLayout.JAVA_INT, 0, 1);
            cond.signal();
            lock.unlock();
            assertEquals("holding", pipe.first().recv());
            holder.kill();
            long killed = System.nanoTime();
            lock.lock();
            System.out.printf("SharedCondition's lock recovery after SIGKILL of the holder: %.2f ms%n",
                    (System.nanoTime() - killed) / 1e6);
            assertFalse(lock.isConsistent());
            lock.markConsistent();

            // 3. The condition still works between live threads.
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                lock.lock();
                try {
                    outcome.set(cond.await(10, TimeUnit.SECONDS) ? "signalled" : "timed out");
                } catch (InterruptedException e) {
                    outcome.set(e);
                } finally {
                    lock.unlock();
                }
            });
            lock.unlock();
            while (outcome.get() == null) {
                lock.lock();
                try {
                    cond.signal();
                } finally {
                    lock.unlock();
                }
                Thread.sleep(5);
            }
            t.join();
            assertEquals("signalled", outcome.get());
            holder.join();
        }
    }

    static Task awaitForever(SharedLock lock, SharedCondition cond, Connection out) {
        return () -> {
            lock.lock();
            out.send("waiting");
            while (true) {
                cond.await();
            }
        };
    }

    static Task holdAfterSignal(SharedLock lock, SharedCondition cond, SharedMemory go,
                                Connection out) {
        return () -> {
            lock.lock();
            out.send("waiting");
            // The dead waiter of step 1 may leave a wake-up token: a spurious wake-up, allowed.
            cond.waitFor(() -> go.segment().get(ValueLayout.JAVA_INT, 0) == 1);
            out.send("holding");
            Thread.sleep(60_000);
        };
    }

    @Test
    void aSignalGoesToAThreadWaitingWhenItWasSentNotToALaterWaiter() throws Exception {
        try (SharedCondition cond = SharedCondition.create()) {
            AtomicBoolean aboutToWait = new AtomicBoolean();
            AtomicReference<Object> early = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                cond.lock().lock();
                try {
                    aboutToWait.set(true);
                    early.set(cond.await(10, TimeUnit.SECONDS) ? "signalled" : "timed out");
                } catch (InterruptedException e) {
                    early.set(e);
                } finally {
                    cond.lock().unlock();
                }
            });
            // Holding the lock after seeing the flag proves the early waiter is inside await().
            for (;;) {
                cond.lock().lock();
                if (aboutToWait.get()) {
                    break;
                }
                cond.lock().unlock();
                Thread.sleep(1);
            }
            try {
                cond.signal();
                // This thread starts waiting after the signal: it must not take it.
                assertFalse(cond.await(50, TimeUnit.MILLISECONDS));
            } finally {
                cond.lock().unlock();
            }
            t.join();
            assertEquals("signalled", early.get());
        }
    }

    @Test
    void aWaiterWhoseLockBecameNotRecoverableStopsCountingAsAWaiter() throws Exception {
        try (SharedLock lock = SharedLock.create(); SharedCondition cond = lock.newCondition();
             Pipe pipe = Pipe.open();
             ChildProcess holder = new ChildProcess(SharedLockTest.holdAndReport(pipe.second(), lock))) {
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicBoolean aboutToWait = new AtomicBoolean();
            Thread waiter = Thread.ofPlatform().start(() -> {
                lock.lock();
                aboutToWait.set(true);
                try {
                    cond.await();
                    outcome.set("returned");
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            while (!aboutToWait.get()) {
                Thread.sleep(1);
            }
            holder.start(); // takes the lock once the waiter released it inside await()
            assertEquals("holding", pipe.first().recv());
            holder.kill();
            holder.join();
            lock.lock(); // takes over from the dead holder
            assertFalse(lock.isConsistent());
            cond.signal();
            lock.unlock(); // without markConsistent(): not recoverable
            waiter.join();
            assertTrue(outcome.get() instanceof LockNotRecoverableException, String.valueOf(outcome.get()));
            assertTrue(cond.toString().endsWith("waiters=0]"), cond.toString());
        }
    }

    @Test
    void awaitRequiresTheLockTimesOutNeverEarlyAndIsInterruptible() throws Exception {
        try (SharedCondition cond = SharedCondition.create()) {
            assertThrows(IllegalMonitorStateException.class, cond::await);
            assertThrows(IllegalMonitorStateException.class, cond::signal);
            cond.lock().lock();
            cond.lock().lock(); // two holds: await releases both and restores both
            try {
                long start = System.nanoTime();
                assertFalse(cond.await(20, TimeUnit.MILLISECONDS));
                assertTrue(System.nanoTime() - start >= 20_000_000L);
                assertEquals(2, ((SharedReentrantLock) cond.lock()).getHoldCount());
                Thread.currentThread().interrupt();
                assertThrows(InterruptedException.class, cond::await);
                assertTrue(((SharedReentrantLock) cond.lock()).isHeldByCurrentThread());
            } finally {
                cond.lock().unlock();
                cond.lock().unlock();
            }
        }
    }
}
