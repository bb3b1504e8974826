/**
 * The process-shared synchronization algorithms and their regions: the robust mutex that a
 * waiter takes over from a holder proven dead
 * ({@link org.multiprocessing4j.internal.sync.RobustMutex}), one layout class per region with its
 * offset table and ordering argument ({@link org.multiprocessing4j.internal.sync.MutexLayout},
 * {@link org.multiprocessing4j.internal.sync.LockLayout},
 * {@link org.multiprocessing4j.internal.sync.SemaphoreLayout},
 * {@link org.multiprocessing4j.internal.sync.EventLayout},
 * {@link org.multiprocessing4j.internal.sync.ConditionLayout},
 * {@link org.multiprocessing4j.internal.sync.BarrierLayout}; each starts with the common
 * {@link org.multiprocessing4j.internal.RegionHeader}), process identity
 * ({@link org.multiprocessing4j.internal.sync.ProcessToken}) and liveness, proved by a mark the
 * kernel keeps on each region's file rather than by pid
 * ({@link org.multiprocessing4j.internal.sync.LivenessMark}), the one spin-then-sleep waiting
 * policy of queues and synchronization objects alike
 * ({@link org.multiprocessing4j.internal.sync.Waiting}, over the platform's wait channel of a
 * {@link org.multiprocessing4j.internal.sync.WaitWord}) and access-mode-named atomic word access
 * ({@link org.multiprocessing4j.internal.sync.Words}); the primitives' common life cycle and
 * serial form ({@link org.multiprocessing4j.internal.sync.SyncRegion}) and creating or opening a
 * region by name or anonymously, waiting for a creator's magic, for them and for queues
 * ({@link org.multiprocessing4j.internal.sync.Regions}).
 *
 * <p>Rules: shared words are naturally aligned 4- or 8-byte words, accessed only through
 * {@code Words}; a region's magic is written last with a release store; a layout's offsets are
 * pinned to its table by a test. What the Java memory model does not promise across processes,
 * and what is relied on instead, is stated on {@code Words}.
 *
 * <p>Not API. It may use the {@code platform} seam, never a backend.
 */
package org.multiprocessing4j.internal.sync;
