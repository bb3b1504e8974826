package org.multiprocessing4j.internal.pool;

import java.util.concurrent.CompletableFuture;
import org.multiprocessing4j.ProcessPool;

/**
 * The future of one task given to a {@link ProcessPool} ({@code submit}, {@code applyAsync}).
 * Cancelling it before a worker has received the task means the task never runs; after that,
 * the worker runs it and its outcome is dropped.
 */
public final class PoolFuture<T> extends CompletableFuture<T> implements PoolJob {
    private final boolean fixed;
    private final T fixedResult;
    /** The worker the task was sent to, whose results a waiting thread may receive itself. */
    public volatile PoolWorkerLink holder;
    /** The task, kept so that {@code shutdownNow} can hand it back to be run here. */
    public volatile Object local;

    public PoolFuture() {
        this(false, null);
    }

    public PoolFuture(boolean fixed, T fixedResult) {
        this.fixed = fixed;
        this.fixedResult = fixedResult;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void completed(PoolTask task, Object[] results) {
        complete(fixed ? fixedResult : (T) results[0]);
    }

    @Override
    public void failed(PoolTask task, Throwable failure) {
        completeExceptionally(failure);
    }

    /**
     * Spins briefly before blocking, receiving the worker's answers itself meanwhile: a pool
     * round trip takes a few microseconds when nobody sleeps, while waking a parked thread costs
     * tens of microseconds on many machines (more on virtual ones).
     */
    @Override
    public T get() throws InterruptedException, java.util.concurrent.ExecutionException {
        spin();
        return super.get();
    }

    @Override
    public T get(long timeout, java.util.concurrent.TimeUnit unit)
            throws InterruptedException, java.util.concurrent.ExecutionException,
            java.util.concurrent.TimeoutException {
        spin();
        return super.get(timeout, unit);
    }

    @Override
    public T join() {
        spin();
        return super.join();
    }

    private void spin() {
        if (isDone()) {
            return;
        }
        long budget = spinNanos;
        long deadline = System.nanoTime() + budget;
        PoolWorkerLink pumping = null;
        try {
            while (!isDone() && System.nanoTime() - deadline < 0) {
                PoolWorkerLink link = holder;
                if (link != null) {
                    if (pumping == null) {
                        pumping = link;
                        link.pumpers.incrementAndGet();
                    }
                    link.pump();
                } else {
                    Thread.onSpinWait();
                }
            }
        } finally {
            if (pumping != null) {
                pumping.pumpers.decrementAndGet();
            }
        }
        // Adapt, as adaptive mutexes do: keep spinning while spins pay off (short tasks, an idle
        // machine); spin little when they do not (long tasks, or no CPU to spare).
        spinNanos = isDone() ? Math.min(MAX_SPIN_NANOS, 2 * budget)
                : Math.max(MIN_SPIN_NANOS, budget / 2);
    }

    /** Measured on 2 cores: shorter spins park before most replies, longer ones starve others. */
    private static final long MAX_SPIN_NANOS = 50_000;
    private static final long MIN_SPIN_NANOS = 2_000;
    private static volatile long spinNanos = MAX_SPIN_NANOS;

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>(); // dependants are plain futures, not pool jobs
    }
}
