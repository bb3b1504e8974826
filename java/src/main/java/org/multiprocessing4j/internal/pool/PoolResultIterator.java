package org.multiprocessing4j.internal.pool;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.multiprocessing4j.ProcessPool;

/**
 * The iterator of {@code imap}/{@code imapUnordered}: takes items from the input lazily, in the
 * consuming thread, keeping at most {@code maxInFlight} tasks taken and not yet consumed, so an
 * endless input never fills memory. An exception from the input ends it: the items taken before
 * it are sent (a partly filled last chunk too), and the exception is thrown by {@code next} once
 * their results have been consumed (CPython's {@code _guarded_task_generation} puts it at the
 * same place, after the results taken before it, but drops a partly filled chunk).
 *
 * <p>Invariants (guarded by {@code lock}): {@code outstanding} holds, in input order, every task
 * sent and not yet consumed; a task's {@code outcome} is set once, by a pool thread;
 * {@code finished} holds (unordered mode) the tasks with an outcome not yet consumed, in
 * completion order.
 */
public final class PoolResultIterator<R> implements ProcessPool.ResultIterator<R>, PoolJob {
    private final PoolCore core;
    private final Iterator<?> source;
    private final PoolFunction fn;
    private final byte kind;
    private final int chunksize;
    private final boolean ordered;
    private final int maxInFlight;

    /** Tasks taken from the input per queue operation. */
    private static final int BATCH = 64;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<PoolTask> outstanding = new ArrayDeque<>();
    private final ArrayDeque<PoolTask> finished = new ArrayDeque<>();
    private volatile boolean closed;

    // Consumer side (the thread iterating).
    private boolean sourceDone;
    /** Why the input could not be taken further (the pool shut down), if so. */
    private java.util.concurrent.RejectedExecutionException refused;
    /** What the input threw, to be thrown once the results taken before it are consumed. */
    private Throwable inputFailure;
    private int nextIndex;
    private Object[] current;
    private int currentPos;

    public PoolResultIterator(PoolCore core, Iterator<?> source, PoolFunction fn, byte kind,
                              int chunksize, boolean ordered, int maxInFlight) {
        this.core = core;
        this.source = source;
        this.fn = fn;
        this.kind = kind;
        this.chunksize = chunksize;
        this.ordered = ordered;
        this.maxInFlight = maxInFlight;
    }

    /**
     * Sends tasks until {@code maxInFlight} are out or the input ends, in batches of at most
     * {@link #BATCH} tasks (one queue operation, and one message per worker, per batch).
     * Consumer thread.
     */
    public void fill() {
        List<PoolTask> batch = new ArrayList<>();
        while (!sourceDone && !closed) {
            int room;
            lock.lock();
            try {
                room = Math.min(BATCH, maxInFlight - outstanding.size());
            } finally {
                lock.unlock();
            }
            if (room <= 0) {
                return;
            }
            for (int k = 0; k < room && !sourceDone; k++) {
                PoolTask t = nextTask();
                if (t != null) {
                    batch.add(t);
                }
            }
            if (batch.isEmpty()) {
                return;
            }
            lock.lock();
            try {
                outstanding.addAll(batch);
            } finally {
                lock.unlock();
            }
            try {
                core.enqueue(batch);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Shut down: these never run, nor does the rest of the input. Reported once the
                // results already taken have been consumed.
                lock.lock();
                try {
                    outstanding.removeAll(batch);
                } finally {
                    lock.unlock();
                }
                sourceDone = true;
                refused = e;
                return;
            }
            batch.clear();
        }
    }

    /** Takes up to {@code chunksize} items from the input; null at its end. */
    private PoolTask nextTask() {
        int width = kind == PoolWire.STAR ? 2 : 1;
        Object[] args = new Object[chunksize * width];
        int n = 0;
        while (n < chunksize) {
            Object item;
            try {
                if (!source.hasNext()) {
                    break;
                }
                item = source.next();
            } catch (RuntimeException | Error e) {
                // The input ends here; the items taken so far still run (a short chunk).
                inputFailure = e;
                break;
            }
            if (kind == PoolWire.STAR) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
                args[2 * n] = e.getKey();
                args[2 * n + 1] = e.getValue();
            } else {
                args[n] = item;
            }
            n++;
        }
        if (n < chunksize || inputFailure != null) {
            sourceDone = true;
            if (n == 0) {
                return null;
            }
        }
        PoolTask t = new PoolTask(this, fn, kind, args, 0, n, nextIndex);
        nextIndex += n;
        return t;
    }

    @Override
    public boolean hasNext() {
        if (current != null && currentPos < current.length) {
            return true;
        }
        lock.lock();
        try {
            if (!outstanding.isEmpty()) {
                return true;
            }
        } finally {
            lock.unlock();
        }
        if (closed) {
            return false;
        }
        if (!sourceDone) {
            fill();
        }
        lock.lock();
        try {
            // next() then says why
            return !outstanding.isEmpty() || refused != null || inputFailure != null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public R next() {
        try {
            return next(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException("interrupted while waiting for a result", e);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(e); // no timeout was given
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public R next(Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (current != null && currentPos < current.length) {
            return take();
        }
        if (closed) {
            throw new NoSuchElementException("the iterator is closed");
        }
        fill();
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        PoolTask done;
        lock.lockInterruptibly();
        try {
            for (;;) {
                done = ordered ? outstanding.peek() : finished.peek();
                if (done != null && done.outcome != null) {
                    if (ordered) {
                        outstanding.poll();
                    } else {
                        finished.poll();
                        outstanding.remove(done);
                    }
                    break;
                }
                if (outstanding.isEmpty() && sourceDone) {
                    if (refused != null) {
                        throw refused;
                    }
                    Throwable failure = inputFailure;
                    if (failure != null) {
                        inputFailure = null; // thrown once; the iteration ends with it
                        if (failure instanceof Error error) {
                            throw error;
                        }
                        throw (RuntimeException) failure;
                    }
                    throw new NoSuchElementException();
                }
                if (timeout == null) {
                    changed.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException("no result within " + timeout);
                    }
                    changed.awaitNanos(left);
                }
            }
        } finally {
            lock.unlock();
        }
        fill();
        if (done.outcome instanceof Throwable t) {
            if (t instanceof CancellationException c) {
                throw c;
            }
            throw new ExecutionException(t);
        }
        current = (Object[]) done.outcome;
        currentPos = 0;
        return take();
    }

    @SuppressWarnings("unchecked")
    private R take() {
        R r = (R) current[currentPos];
        current[currentPos++] = null;
        return r;
    }

    @Override
    public void close() {
        closed = true;
    }

    // ------------------------------------------------------------------ PoolJob

    @Override
    public boolean isDone() {
        return closed;
    }

    @Override
    public void completed(PoolTask task, Object[] results) {
        finish(task, results);
    }

    @Override
    public void failed(PoolTask task, Throwable failure) {
        finish(task, failure);
    }

    private void finish(PoolTask task, Object outcome) {
        lock.lock();
        try {
            task.outcome = outcome;
            if (!ordered) {
                finished.add(task);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
