package org.multiprocessing4j.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waiting for a state instead of sleeping for it: a test that must act while another thread is
 * inside a blocking call polls for that, with a deadline, never for a fixed time (which a loaded
 * machine overruns).
 */
public final class WaitStates {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final String WAITING = "org.multiprocessing4j.internal.sync.Waiting";

    private WaitStates() {
    }

    /** Polls {@code condition} until it holds; fails after 30 s with {@code what}. */
    public static void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /**
     * Waits until {@code t} sleeps inside the library's waiting policy ({@code Waiting.sleep}: a
     * futex wait for a platform thread, a park for a virtual one), i.e. it is blocked in the
     * call under test and has passed its entry checks.
     */
    public static void awaitSleepingInWait(Thread t) {
        awaitCondition(t + " sleeps in Waiting.sleep", () -> {
            if (!t.isAlive()) {
                throw new AssertionError(t + " ended instead of waiting");
            }
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().equals(WAITING) && e.getMethodName().equals("sleep")) {
                    return true;
                }
            }
            return false;
        });
    }
}
