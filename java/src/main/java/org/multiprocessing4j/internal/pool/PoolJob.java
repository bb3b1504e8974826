package org.multiprocessing4j.internal.pool;

import org.multiprocessing4j.ProcessPool;

/**
 * What a {@link ProcessPool} call is waiting for: a future, a map result, an imap iterator. The
 * pool's threads report each of its {@link PoolTask}s exactly once, as completed or failed;
 * implementations are thread-safe (several worker links report concurrently) and must not block.
 */
public interface PoolJob {
    /** {@return whether the job needs no further results (done, failed or cancelled)} Its unsent
     * tasks are then dropped. */
    boolean isDone();

    /** The task's items returned {@code results}, one per item, in order. */
    void completed(PoolTask task, Object[] results);

    /** The task failed as a whole: the remote exception, a worker's death or cancellation. */
    void failed(PoolTask task, Throwable failure);
}
