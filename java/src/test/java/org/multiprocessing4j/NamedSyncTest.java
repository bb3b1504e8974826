package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Synchronization primitives opened by name from a process that did not inherit them (the child
 * here receives only the names, as an unrelated process would).
 */
@Timeout(60)
class NamedSyncTest {

    private static String name(String kind) {
        return "mp4j-test-" + kind + "-" + UUID.randomUUID();
    }

    @Test
    void lockSemaphoreAndEventAreSharedByNameWithAProcessThatOnlyKnowsTheNames() throws Exception {
        String lockName = name("lock");
        String semName = name("sem");
        String eventName = name("event");
        try (SharedLock lock = SharedLock.create(lockName);
             SharedSemaphore sem = SharedSemaphore.create(semName, 0, false);
             SharedEvent done = SharedEvent.create(eventName)) {
            try {
                lock.lock();
                try (ChildProcess p = new ChildProcess(() -> useByName(lockName, semName, eventName))) {
                    p.start();
                    assertTrue(sem.tryAcquire(30, TimeUnit.SECONDS), "the child opened the semaphore");
                    assertFalse(done.isSet(), "the child must wait for the lock we hold");
                    lock.unlock();
                    assertTrue(done.await(30, TimeUnit.SECONDS), "the child took the lock after us");
                    p.join();
                    assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
                }
            } finally {
                lock.unlink();
                sem.unlink();
                done.unlink();
            }
        }
    }

    static void useByName(String lockName, String semName, String eventName) throws Exception {
        try (SharedLock lock = SharedLock.open(lockName);
             SharedSemaphore sem = SharedSemaphore.open(semName);
             SharedEvent done = SharedEvent.open(eventName)) {
            sem.release();
            lock.lock();
            try {
                done.set();
            } finally {
                lock.unlock();
            }
        }
    }

    @Test
    void conditionAndBarrierAreSharedByNameToo() throws Exception {
        String lockName = name("clock");
        String condName = name("cond");
        String barrierName = name("barrier");
        try (SharedLock lock = SharedLock.create(lockName);
             SharedCondition cond = SharedCondition.create(condName, lock);
             SharedBarrier barrier = SharedBarrier.create(barrierName, 2);
             SharedInt flag = SharedInt.create(0)) {
            try (ChildProcess p = new ChildProcess(() -> meetByName(lockName, condName, barrierName, flag))) {
                p.start();
                barrier.await(30, TimeUnit.SECONDS); // both sides have opened everything
                lock.lock();
                try {
                    flag.set(1);
                    cond.signalAll();
                } finally {
                    lock.unlock();
                }
                p.join();
                assertEquals(0, p.exitCode().getAsInt(), () -> p.failure().toString());
                assertEquals(2, flag.get(), "the child woke on the signal and answered");
            } finally {
                lock.unlink();
                cond.unlink();
                barrier.unlink();
            }
        }
    }

    static void meetByName(String lockName, String condName, String barrierName, SharedInt flag)
            throws Exception {
        try (SharedLock lock = SharedLock.open(lockName);
             SharedCondition cond = SharedCondition.open(condName, lock);
             SharedBarrier barrier = SharedBarrier.open(barrierName)) {
            lock.lock();
            try {
                barrier.await(30, TimeUnit.SECONDS); // the parent signals only after this
                while (flag.get() != 1) {
                    if (!cond.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("no signal");
                    }
                }
                flag.set(2);
            } finally {
                lock.unlock();
            }
        }
    }

    @Test
    void namesAreExclusiveCheckedAndRemovedByUnlink() throws Exception {
        String n = name("rlock");
        assertThrows(NoSuchFileException.class, () -> SharedReentrantLock.open(n));
        try (SharedReentrantLock created = SharedReentrantLock.create(n)) {
            assertThrows(FileAlreadyExistsException.class, () -> SharedReentrantLock.create(n));
            IllegalStateException wrongKind = assertThrows(IllegalStateException.class,
                    () -> SharedEvent.open(n));
            assertTrue(wrongKind.getMessage().contains("SharedEvent"), wrongKind.getMessage());
            try (SharedReentrantLock opened = SharedReentrantLock.open(n)) {
                created.lock(); // two mappings, one lock: the other handle sees the hold
                assertTrue(opened.isHeldByCurrentThread());
                created.unlock();
                assertFalse(opened.isHeldByCurrentThread());
            }
            created.unlink();
            assertThrows(NoSuchFileException.class, () -> SharedReentrantLock.open(n));
        }
    }

    @Test
    void anonymousPrimitivesHaveNoNameToUnlink() throws Exception {
        try (SharedEvent e = SharedEvent.create()) {
            assertThrows(IllegalStateException.class, e::unlink);
        }
    }
}
