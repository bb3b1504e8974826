package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocessing4j.testing.WaitStates;

/** Contract of {@link SharedSemaphore}, across a real child JVM where it matters. */
@Timeout(60)
class SharedSemaphoreTest {

    @Test
    void permitsReleasedInAChildWakeWaitersInTheParent() throws Exception {
        try (SharedSemaphore toParent = SharedSemaphore.create(0);
             SharedSemaphore toChild = SharedSemaphore.create(0);
             ChildProcess child = new ChildProcess(() -> {
                 for (int i = 0; i < 200; i++) {
                     toChild.acquire();
                     toParent.release();
                 }
                 toParent.release(3);
             })) {
            child.start();
            for (int i = 0; i < 200; i++) {
                toChild.release();
                assertTrue(toParent.tryAcquire(10, TimeUnit.SECONDS));
            }
            child.join();
            assertEquals(0, child.exitCode().getAsInt(), () -> child.failure().toString());
            assertEquals(3, toParent.availablePermits());
        }
    }

    @Test
    void boundedReleaseAboveTheInitialValueThrows() throws Exception {
        try (SharedSemaphore s = SharedSemaphore.createBounded(2)) {
            assertThrows(IllegalStateException.class, s::release);
            assertTrue(s.tryAcquire());
            s.release();
            assertTrue(s.tryAcquire());
            assertTrue(s.tryAcquire());
            assertFalse(s.tryAcquire());
            assertThrows(IllegalStateException.class, () -> s.release(3));
            s.release(2);
            assertEquals(2, s.availablePermits());
            assertEquals(2, s.maxPermits());
        }
        try (SharedSemaphore s = SharedSemaphore.create(0)) {
            s.release(5); // unbounded
            assertEquals(5, s.availablePermits());
            assertEquals(-1, s.maxPermits());
        }
    }

    @Test
    void tryAcquireTimesOutNeverEarlyAndAcquireIsInterruptible() throws Exception {
        try (SharedSemaphore s = SharedSemaphore.create(0)) {
            long start = System.nanoTime();
            assertFalse(s.tryAcquire(20, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - start >= 20_000_000L);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    s.acquire();
                    outcome.set("acquired");
                } catch (InterruptedException e) {
                    outcome.set(e);
                }
            });
            WaitStates.awaitSleepingInWait(t); // interrupt it while asleep, not before it waits
            t.interrupt();
            t.join();
            assertTrue(outcome.get() instanceof InterruptedException, String.valueOf(outcome.get()));
            assertEquals(0, s.availablePermits());
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() throws Exception {
        SharedSemaphore s = SharedSemaphore.create(1);
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, s::tryAcquire);
        assertThrows(IllegalStateException.class, s::release);
    }
}
