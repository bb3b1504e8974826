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

/** Contract of {@link SharedEvent}, across a real child JVM where it matters. */
@Timeout(60)
class SharedEventTest {

    @Test
    void setInOneProcessWakesWaitersInAnother() throws Exception {
        try (SharedEvent go = SharedEvent.create(); SharedEvent done = SharedEvent.create();
             ChildProcess child = new ChildProcess(() -> {
                 go.await();
                 done.set();
             })) {
            child.start();
            assertFalse(done.await(20, TimeUnit.MILLISECONDS));
            go.set();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertTrue(done.isSet());
            done.clear();
            assertFalse(done.isSet());
            child.join();
            assertEquals(0, child.exitCode().getAsInt(), () -> child.failure().toString());
        }
    }

    @Test
    void awaitTimesOutNeverEarlyAndIsInterruptible() throws Exception {
        try (SharedEvent e = SharedEvent.create()) {
            long start = System.nanoTime();
            assertFalse(e.await(20, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - start >= 20_000_000L);
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    e.await();
                    outcome.set("set");
                } catch (InterruptedException x) {
                    outcome.set(x);
                }
            });
            WaitStates.awaitSleepingInWait(t); // interrupt it while asleep, not before it waits
            t.interrupt();
            t.join();
            assertTrue(outcome.get() instanceof InterruptedException, String.valueOf(outcome.get()));
            e.set();
            assertTrue(e.await(0, TimeUnit.SECONDS));
        }
    }

    @Test
    void aSetFollowedAtOnceByAClearStillReleasesAWaiterThatWasAsleep() throws Exception {
        try (SharedEvent e = SharedEvent.create()) {
            AtomicReference<Object> outcome = new AtomicReference<>();
            // A virtual thread sleeps by parking: TIMED_WAITING proves it is inside the wait loop.
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    outcome.set(e.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException x) {
                    outcome.set(x);
                }
            });
            while (t.getState() != Thread.State.TIMED_WAITING) {
                Thread.sleep(1);
            }
            e.set();
            e.clear();
            t.join();
            assertEquals(Boolean.TRUE, outcome.get(), "Python's Event.wait returns True after a set()");
            assertFalse(e.isSet());
            e.set();
            e.set(); // idempotent
            assertTrue(e.isSet());
            e.clear();
            e.clear();
            assertFalse(e.await(0, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() throws Exception {
        SharedEvent e = SharedEvent.create();
        e.close();
        e.close();
        assertThrows(IllegalStateException.class, e::set);
        assertThrows(IllegalStateException.class, e::isSet);
    }
}
