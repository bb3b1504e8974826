/**
 * The machinery behind {@link org.multiprocessing4j.ProcessPool}, CPython's {@code pool} module:
 * the scheduler and life cycle ({@link org.multiprocessing4j.internal.pool.PoolCore}), the parent
 * side of one worker and its window of tasks in flight
 * ({@link org.multiprocessing4j.internal.pool.PoolWorkerLink}),
 * the worker loop that runs in the child ({@link org.multiprocessing4j.internal.pool.PoolWorker}),
 * the messages between them ({@link org.multiprocessing4j.internal.pool.PoolWire}) and the jobs
 * results go to ({@link org.multiprocessing4j.internal.pool.PoolJob},
 * {@link org.multiprocessing4j.internal.pool.PoolFuture},
 * {@link org.multiprocessing4j.internal.pool.PoolMapJob},
 * {@link org.multiprocessing4j.internal.pool.PoolResultIterator}).
 *
 * <p>Invariants: a worker's death fails only the tasks that worker held
 * ({@code WorkerDiedException}) and the worker is replaced. ARCHITECTURE.md, "The tracker and
 * what cleans what after a crash".
 *
 * <p>Not API: the module does not export this package. It may use the public package, the other
 * internal packages and the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.pool;
