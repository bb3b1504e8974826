package org.multiprocessing4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Contract of {@link SharedBarrier}, across real child JVMs where it matters. */
@Timeout(60)
class SharedBarrierTest {

    @Test
    void partiesInTwoProcessesPassTogetherAndTheActionRunsOncePerGeneration() throws Exception {
        try (SharedMemory runs = SharedMemory.create(8);
             SharedBarrier barrier = SharedBarrier.create(3, () -> {
                 long v = runs.segment().get(ValueLayout.JAVA_LONG, 0);
                 runs.segment().set(ValueLayout.JAVA_LONG, 0, v + 1);
             });
             ChildProcess child = new ChildProcess(() -> {
                 for (int g = 0; g < 5; g++) {
                     barrier.await(10, TimeUnit.SECONDS);
                 }
             })) {
            child.start();
            ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    for (int g = 0; g < 5; g++) {
                        results.add(barrier.await(10, TimeUnit.SECONDS));
                    }
                } catch (Exception e) {
                    results.add(e);
                }
            });
            for (int g = 0; g < 5; g++) {
                int index = barrier.await(10, TimeUnit.SECONDS);
                assertTrue(index >= 0 && index < 3);
            }
            t.join();
            child.join();
            assertEquals(0, child.exitCode().getAsInt(), () -> child.failure().toString());
            assertTrue(results.stream().allMatch(r -> r instanceof Integer), results::toString);
            assertEquals(5L, runs.segment().get(ValueLayout.JAVA_LONG, 0));
            assertFalse(barrier.isBroken());
            assertEquals(0, barrier.numberWaiting());
        }
    }

    @Test
    void aPartyKilledWhileWaitingBreaksTheBarrierForTheOthers() throws Exception {
        try (SharedBarrier barrier = SharedBarrier.create(3);
             ChildProcess child = new ChildProcess(() -> barrier.await())) {
            child.start();
            while (barrier.numberWaiting() < 1) {
                Thread.sleep(5);
            }
            child.kill();
            long killed = System.nanoTime();
            assertThrows(BrokenBarrierException.class, () -> barrier.await(10, TimeUnit.SECONDS));
            System.out.printf("SharedBarrier broken after SIGKILL of a waiting party: %.2f ms%n",
                    (System.nanoTime() - killed) / 1e6);
            assertTrue(barrier.isBroken());
            assertThrows(BrokenBarrierException.class, barrier::await);
            barrier.reset();
            assertFalse(barrier.isBroken());
            child.join();
            assertEquals(-9, child.exitCode().getAsInt());
        }
    }

    @Test
    void theLastPartyDyingInsideTheActionBreaksTheBarrierForAPlainAwait() throws Exception {
        long testJvm = ProcessHandle.current().pid();
        try (SharedBarrier barrier = SharedBarrier.create(2, () -> {
                 if (ProcessHandle.current().pid() != testJvm) {
                     Runtime.getRuntime().halt(7); // dies holding the barrier's internal lock
                 }
                 throw new IllegalStateException("the action must run in the child");
             });
             ChildProcess child = new ChildProcess(() -> {
                 while (barrier.numberWaiting() < 1) {
                     Thread.sleep(1);
                 }
                 barrier.await(); // arrives last: runs the action
             })) {
            child.start();
            assertThrows(BrokenBarrierException.class, barrier::await);
            assertTrue(barrier.isBroken());
            child.join();
            assertEquals(7, child.exitCode().getAsInt());
            barrier.reset(); // the internal lock was recovered
            assertFalse(barrier.isBroken());
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fail, not hang, on a deadlock
    void anActionThatUsesItsOwnBarrierFailsAndBreaksItInsteadOfDeadlocking() throws Exception {
        for (String call : List.of("await", "abort", "reset")) {
            AtomicReference<SharedBarrier> self = new AtomicReference<>();
            try (SharedBarrier barrier = SharedBarrier.create(2, () -> {
                switch (call) {
                    case "await" -> self.get().await();
                    case "abort" -> self.get().abort();
                    default -> self.get().reset();
                }
            })) {
                self.set(barrier);
                AtomicReference<Object> other = new AtomicReference<>();
                Thread first = Thread.ofPlatform().start(() -> {
                    try {
                        other.set(barrier.await());
                    } catch (Exception e) {
                        other.set(e);
                    }
                });
                while (barrier.numberWaiting() < 1) {
                    Thread.sleep(1);
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, barrier::await, call);
                assertTrue(e.getMessage().contains("action"), e.getMessage());
                first.join();
                assertTrue(other.get() instanceof BrokenBarrierException, call + ": " + other.get());
                assertTrue(barrier.isBroken(), call);
                barrier.reset(); // usable again from outside the action
                assertFalse(barrier.isBroken());
            }
        }
    }

    @Test
    void aWaiterThatMissedSixtyFourGenerationsReportsItsOutcomeAsUnknown() throws Exception {
        int g = Integer.MAX_VALUE - 2; // generations wrap
        long brokenG = 1L << (g & 63);
        assertEquals(5, SharedBarrier.outcome(g, 0, g + 1, 5));
        assertThrows(BrokenBarrierException.class, () -> SharedBarrier.outcome(g, brokenG, g + 1, 5));
        assertEquals(5, SharedBarrier.outcome(g, 0, g + 63, 5));
        // From g + 64 on, bit g may already describe generation g + 64.
        BrokenBarrierException e = assertThrows(BrokenBarrierException.class,
                () -> SharedBarrier.outcome(g, 0, g + 64, 5));
        assertTrue(e.getMessage().contains("unknown"), e.getMessage());
    }

    @Test
    void timeoutAbortResetAndAFailingActionBreakTheBarrier() throws Exception {
        try (SharedBarrier barrier = SharedBarrier.create(2)) {
            long start = System.nanoTime();
            assertThrows(TimeoutException.class, () -> barrier.await(20, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - start >= 20_000_000L);
            assertTrue(barrier.isBroken());
            barrier.reset();
            assertFalse(barrier.isBroken());

            ConcurrentLinkedQueue<Object> outcome = new ConcurrentLinkedQueue<>();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    outcome.add(barrier.await());
                } catch (Exception e) {
                    outcome.add(e);
                }
            });
            while (barrier.numberWaiting() < 1) {
                Thread.sleep(1);
            }
            barrier.reset(); // a waiter of the reset generation gets BrokenBarrierException
            waiter.join();
            assertTrue(outcome.poll() instanceof BrokenBarrierException);
            assertFalse(barrier.isBroken());

            barrier.abort();
            assertTrue(barrier.isBroken());
            assertThrows(BrokenBarrierException.class, barrier::await);
            barrier.reset();
        }
        try (SharedBarrier barrier = SharedBarrier.create(1, () -> {
            throw new IllegalStateException("action failed");
        })) {
            assertThrows(IllegalStateException.class, barrier::await);
            assertTrue(barrier.isBroken());
        }
        try (SharedBarrier single = SharedBarrier.create(1)) {
            assertEquals(List.of(0, 0), List.of(single.await(), single.await()));
        }
        assertThrows(IllegalArgumentException.class, () -> SharedBarrier.create(0));
    }
}
