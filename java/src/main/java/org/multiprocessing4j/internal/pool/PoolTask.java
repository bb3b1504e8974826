package org.multiprocessing4j.internal.pool;

/**
 * One unit of work sent to one worker (Python's chunk): {@code count} items of one
 * {@link PoolJob}, run by one function. A pool task is held by at most one worker; the worker's
 * death fails it, never another worker's.
 */
public final class PoolTask {
    public final PoolJob job;
    final PoolFunction fn;
    final byte kind;
    /** The arguments: {@code count} values (APPLY) or {@code 2 * count} (STAR) from {@code offset}. */
    final Object[] args;
    final int offset;
    final int count;
    /** Index of the first item within its job. */
    final int first;
    /** Assigned by the worker link when sent; guarded by the pool lock. */
    long id;
    /**
     * For the JFR event: {@code System.nanoTime()} when queued, 0 if no recording asked for it
     * then; then when written to a worker. Guarded by the pool lock.
     */
    long queuedAt;
    long sentAt;
    /** For iterator jobs: the results ({@code Object[]}) or the failure; guarded by the job. */
    Object outcome;

    public PoolTask(PoolJob job, PoolFunction fn, byte kind, Object[] args, int offset, int count,
            int first) {
        this.job = job;
        this.fn = fn;
        this.kind = kind;
        this.args = args;
        this.offset = offset;
        this.count = count;
        this.first = first;
    }

    /** A task holding a single callable or runnable (no arguments). */
    public static PoolTask single(PoolJob job, PoolFunction fn, byte kind) {
        return new PoolTask(job, fn, kind, null, 0, 1, 0);
    }

    boolean isDone() {
        return job.isDone();
    }
}
