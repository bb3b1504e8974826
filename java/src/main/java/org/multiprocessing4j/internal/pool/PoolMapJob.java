package org.multiprocessing4j.internal.pool;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@code map}/{@code starmap} call: the results of every task, in input order. Completes when
 * the last task completes, or fails with the first task's failure (Python's {@code MapResult});
 * the tasks not yet sent are then dropped.
 */
public final class PoolMapJob<R> implements PoolJob {
    public final CompletableFuture<List<R>> future = new CompletableFuture<>();
    private final Object[] results;
    private final AtomicInteger remaining;

    public PoolMapJob(int items, int tasks) {
        this.results = new Object[items];
        this.remaining = new AtomicInteger(tasks);
        if (tasks == 0) {
            future.complete(List.of());
        }
    }

    @Override
    public boolean isDone() {
        return future.isDone();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void completed(PoolTask task, Object[] values) {
        System.arraycopy(values, 0, results, task.first, task.count);
        if (remaining.decrementAndGet() == 0) { // a full fence: every task's copy is visible
            future.complete((List<R>) Collections.unmodifiableList(Arrays.asList(results)));
        }
    }

    @Override
    public void failed(PoolTask task, Throwable failure) {
        future.completeExceptionally(failure);
    }
}
