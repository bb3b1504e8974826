package org.multiprocessing4j.internal.pool;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Multiprocessing;
import org.multiprocessing4j.Pipe;
import org.multiprocessing4j.ProcessPool;
import org.multiprocessing4j.RemoteTaskException;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.WorkerDiedException;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Logs;
import org.multiprocessing4j.internal.jfr.PoolTaskEvent;
import org.multiprocessing4j.internal.jfr.PoolWorkerDeathEvent;
import org.multiprocessing4j.platform.Platform;

/**
 * The scheduler behind {@link ProcessPool}: the queue of tasks not yet sent, the workers, and
 * the pool's life cycle.
 *
 * <pre>
 * RUNNING ──shutdown()──▶ SHUTDOWN ──last worker gone──▶ TERMINATED
 *    └──────terminate()/kill()──▶ STOPPING ──last worker gone──┘
 * </pre>
 *
 * <p>Invariants (all guarded by {@link #lock}): a task is in {@code pending}, or reserved by
 * one worker link's writer while it encodes, or in exactly one link's {@code held}; it leaves
 * them only by being answered, failed (its worker ended) or dropped (its job is done or the pool
 * stops). {@code workers} are the links whose reader has not yet finished. The pool becomes
 * TERMINATED only once every worker has been reaped and its connection closed, so nothing is left
 * behind when {@code awaitTermination} returns.
 *
 * <p>Replacement: a worker that ends without having been told to stop (a kill, OOM,
 * {@code System.exit}) fails only the tasks it held and is replaced while the pool runs or still
 * has tasks to run. A worker that reaches {@code maxTasksPerChild} gets STOP after its last task
 * and its replacement is started at once. Three workers in a row that end before their
 * initializer has run (a crash at start), or an initializer that throws, break the pool: queued
 * tasks fail and new ones are refused.
 */
public final class PoolCore {
    private static final int MAX_UNREADY_DEATHS = 3;
    private static final AtomicInteger WORKER_NUMBERS = new AtomicInteger();
    private static final System.Logger LOG = System.getLogger(ProcessPool.class.getName());

    enum State { RUNNING, SHUTDOWN, STOPPING, TERMINATED }

    final ReentrantLock lock = new ReentrantLock();
    private final Condition terminated = lock.newCondition();

    public final int processes;
    private final Task initializer;
    private final int maxTasksPerChild;
    private final Multiprocessing context;

    // Guarded by lock.
    private final ArrayDeque<PoolTask> pending = new ArrayDeque<>();
    private final List<PoolWorkerLink> workers = new ArrayList<>();
    private State state = State.RUNNING;
    private Throwable broken;
    private int ready;
    private int unreadyDeaths;
    /** Replacements being started: the pool cannot terminate before they are in {@code workers}. */
    private int spawning;

    public PoolCore(int processes, Task initializer, int maxTasksPerChild,
            Multiprocessing context) {
        this.processes = processes;
        this.initializer = initializer;
        this.maxTasksPerChild = maxTasksPerChild;
        this.context = context;
    }

    public Codec codec() {
        return context.codec();
    }

    /** Starts every worker; if one cannot start, kills those started and throws. */
    public void start() throws IOException {
        try {
            for (int i = 0; i < processes; i++) {
                spawn(false);
            }
        } catch (IOException | RuntimeException e) {
            stop(Platform.Stop.KILL);
            try {
                awaitTermination(Long.MAX_VALUE);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }

    /**
     * Starts a worker and adds it to {@code workers}; if {@code counted}, it was counted in
     * {@code spawning}, which is decremented when it is added (under the same lock).
     */
    private void spawn(boolean counted) throws IOException {
        Pipe pipe = context.pipe(true);
        Connection child = pipe.second();
        ChildProcess p = context.process(new PoolWorker.Start(child, initializer));
        p.setName("PoolWorker-" + WORKER_NUMBERS.incrementAndGet()).setDaemon(true);
        try {
            p.start();
        } catch (IOException | RuntimeException e) {
            pipe.close();
            p.close();
            throw e;
        }
        child.close(); // the worker holds that end now
        PoolWorkerLink link = new PoolWorkerLink(this, p, pipe.first());
        boolean stopping;
        lock.lock();
        try {
            workers.add(link);
            if (counted) {
                spawning--;
            }
            stopping = state == State.STOPPING || state == State.TERMINATED;
        } finally {
            lock.unlock();
        }
        link.startThreads();
        if (stopping) {
            link.stop(Platform.Stop.KILL);
        }
    }

    // ------------------------------------------------------------------ queueing

    /**
     * Queues tasks behind those already queued.
     *
     * @throws RejectedExecutionException if the pool is shut down or broken
     */
    public void enqueue(Collection<PoolTask> tasks) {
        List<PoolWorkerLink> idle = new ArrayList<>(2);
        lock.lock();
        try {
            if (state != State.RUNNING) {
                throw new RejectedExecutionException(broken != null
                        ? "the pool is broken: " + broken : "the pool is shut down", broken);
            }
            if (PoolTaskEvent.PROBE.isEnabled()) {
                long now = System.nanoTime();
                for (PoolTask t : tasks) {
                    t.queuedAt = now;
                }
            }
            pending.addAll(tasks);
            for (PoolWorkerLink w : workers) {
                if (w.room() > 0) {
                    idle.add(w);
                }
            }
            idle.sort(java.util.Comparator.comparingInt(w -> w.held.size())); // least busy first
        } finally {
            lock.unlock();
        }
        // Send from this thread to workers with room: no hand-off to a writer thread, whose
        // wake-up would cost tens of microseconds. What is left goes to the writers. Not from a
        // completion callback, which runs while its thread holds a worker's receiving side.
        if (!PoolWorkerLink.RECEIVING.get()) {
            for (PoolWorkerLink w : idle) {
                w.tryDispatch();
            }
        }
        lock.lock();
        try {
            if (hasLivePending()) {
                wakeWritersWithRoom();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@return whether tasks wait to be sent} With lock. */
    boolean hasWork() {
        return hasLivePending();
    }

    /** Puts tasks that never reached a worker back at the head of the queue. With lock. */
    void requeue(List<PoolTask> tasks) {
        for (int i = tasks.size() - 1; i >= 0; i--) {
            pending.addFirst(tasks.get(i));
        }
        wakeWritersWithRoom();
    }

    private void wakeWritersWithRoom() {
        for (PoolWorkerLink w : workers) {
            if (w.room() > 0) {
                w.wake.signal();
            }
        }
    }

    /** Moves this worker's share of the queue into {@code batch}. With lock, writer thread. */
    void takeFor(PoolWorkerLink link, List<PoolTask> batch) {
        int room = link.room();
        if (room == 0 || !hasLivePending()) {
            return;
        }
        int share = (pending.size() + Math.max(1, ready) - 1) / Math.max(1, ready);
        int take = Math.min(room, share);
        if (maxTasksPerChild > 0) {
            take = (int) Math.min(take, maxTasksPerChild - link.dispatched);
        }
        while (batch.size() < take && !pending.isEmpty()) {
            PoolTask t = pending.peek();
            if (!t.isDone()) {
                batch.add(t); // before it leaves the queue: whatever add() throws, it is not lost
            }
            pending.poll();
        }
        link.dispatched += batch.size();
        if (maxTasksPerChild > 0 && link.dispatched >= maxTasksPerChild) {
            link.retiring = true;
        }
    }

    private boolean hasLivePending() {
        while (!pending.isEmpty() && pending.peek().isDone()) {
            pending.poll();
        }
        return !pending.isEmpty();
    }

    /** {@return whether the writer should send STOP now} With lock. */
    boolean shouldStop(PoolWorkerLink link) {
        if (link.stopSent) {
            return false;
        }
        if (link.retiring) {
            return true;
        }
        return state == State.SHUTDOWN && link.held.isEmpty() && link.reserved == 0
                && !hasLivePending();
    }

    boolean stopping() {
        return state == State.STOPPING || state == State.TERMINATED;
    }

    // ------------------------------------------------------------------ events from links

    void workerReady(PoolWorkerLink link) {
        lock.lock();
        try {
            link.ready = true;
            ready++;
            unreadyDeaths = 0;
            link.wake.signal();
        } finally {
            lock.unlock();
        }
    }

    void initializerFailed(PoolWorkerLink link, RemoteTaskException failure) {
        List<PoolTask> dropped;
        lock.lock();
        try {
            dropped = breakPool(failure);
        } finally {
            lock.unlock();
        }
        failAll(dropped, failure);
    }

    /** Marks the pool broken and shut down; returns the queued tasks to fail. With lock. */
    private List<PoolTask> breakPool(Throwable why) {
        if (broken == null) {
            broken = why;
        }
        if (state == State.RUNNING) {
            state = State.SHUTDOWN;
        }
        List<PoolTask> dropped = new ArrayList<>(pending);
        pending.clear();
        for (PoolWorkerLink w : workers) {
            w.wake.signal();
        }
        return dropped;
    }

    /** A result frame was handled: room opened in {@code link}, and perhaps it is idle. With lock. */
    void answered(PoolWorkerLink link) {
        link.wake.signal();
        if (!pending.isEmpty()) {
            wakeWritersWithRoom();
        }
    }

    /**
     * A maxTasksPerChild worker was sent STOP: start its replacement now, on a thread of its own
     * (the sender may be a submitting thread, which should not wait for a process to start).
     */
    void replaceRetired(PoolWorkerLink link) {
        lock.lock();
        try {
            if (!(state == State.RUNNING || (state == State.SHUTDOWN && hasLivePending()))) {
                return;
            }
            spawning++;
        } finally {
            lock.unlock();
        }
        Thread.ofPlatform().daemon().name("mp4j-pool-spawn").start(this::spawnCounted);
        try { // after the replacement is under way: a handler that throws must not stop it
            Logs.of("ProcessPool").log(System.Logger.Level.DEBUG, () -> "pool worker " + link.name
                    + " reached maxTasksPerChild; a replacement is starting");
        } catch (RuntimeException logFailed) {
            // logged or not, the replacement starts
        }
    }

    /**
     * A worker's reader has finished: the worker was reaped and its connection closed. Fails
     * what it held, replaces it if needed, and terminates the pool after the last one. Reader
     * thread.
     */
    void workerEnded(PoolWorkerLink link, int exitCode, List<PoolTask> lost, Throwable ioFailure) {
        boolean replace;
        State s;
        List<PoolTask> dropped = List.of();
        Throwable why = null;
        boolean unasked; // neither stopped by the pool nor retiring: a death (the JFR event)
        lock.lock();
        try {
            // terminate()/kill() stop workers without marking each link: STOPPING says so
            unasked = !link.stopSent && !link.retiring && state != State.STOPPING && state != State.TERMINATED;
            workers.remove(link);
            if (link.ready) {
                ready--;
            }
            s = state;
            if (!link.ready && !link.stopSent && s == State.RUNNING
                    && ++unreadyDeaths >= MAX_UNREADY_DEATHS && broken == null) {
                why = new IOException(MAX_UNREADY_DEATHS + " pool workers in a row ended before"
                        + " they were ready; the last, " + link.name + ", with exit code "
                        + Access.workerDied().describe(exitCode) + " (see its standard error)");
                dropped = breakPool(why);
            }
            replace = broken == null && !link.retiring
                    && (state == State.RUNNING || (state == State.SHUTDOWN && hasLivePending()));
            if (replace) {
                spawning++;
            } else {
                dropped = concat(dropped, terminateIfIdle());
            }
        } finally {
            lock.unlock();
        }
        if (ioFailure != null) {
            log(System.Logger.Level.WARNING, "connection to pool worker " + link.name + " failed",
                    ioFailure);
        }
        int pid = link.pid;
        if (unasked && PoolWorkerDeathEvent.PROBE.isEnabled()) {
            PoolWorkerDeathEvent event = new PoolWorkerDeathEvent();
            event.worker = link.name;
            event.pid = pid;
            event.exitCode = exitCode;
            event.tasksLost = lost.size();
            event.replaced = replace;
            event.commit();
        }
        for (PoolTask t : lost) {
            Throwable failure;
            if (s == State.STOPPING) {
                failure = new CancellationException("the pool was terminated");
            } else {
                failure = new WorkerDiedException(link.name, pid, exitCode);
                if (ioFailure != null) {
                    failure.initCause(ioFailure); // why the pool ended it, if it did
                }
            }
            t.job.failed(t, failure);
        }
        failAll(dropped, why != null ? why : broken);
        if (unasked) { // after the tasks failed: a handler that throws must not leave them pending
            boolean replaced = replace;
            int tasks = lost.size();
            try {
                Logs.of("ProcessPool").log(System.Logger.Level.WARNING, () -> "pool worker " + link.name
                        + " (process " + pid + ") ended with exit code "
                        + Access.workerDied().describe(exitCode) + "; " + tasks + " task(s) it held failed"
                        + (replaced ? "; a replacement is starting" : "; not replaced, the pool is ending"));
            } catch (RuntimeException logFailed) {
                // the replacement below starts either way
            }
        }
        if (replace) {
            spawnCounted();
        }
    }

    private static List<PoolTask> concat(List<PoolTask> a, List<PoolTask> b) {
        if (a.isEmpty()) {
            return b;
        }
        List<PoolTask> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** With lock: TERMINATED once shut down and no worker is left; returns tasks to fail. */
    private List<PoolTask> terminateIfIdle() {
        if (state == State.RUNNING || state == State.TERMINATED || !workers.isEmpty()
                || spawning > 0) {
            return List.of();
        }
        List<PoolTask> dropped = new ArrayList<>(pending);
        pending.clear();
        state = State.TERMINATED;
        terminated.signalAll();
        return dropped;
    }

    /** Starts a replacement counted in {@code spawning}; if it cannot start, may break the pool. */
    private void spawnCounted() {
        Throwable failure = null;
        try {
            spawn(true);
        } catch (IOException | RuntimeException e) {
            log(System.Logger.Level.ERROR, "cannot start a pool worker", e);
            failure = e;
        }
        List<PoolTask> dropped;
        lock.lock();
        try {
            if (failure != null) {
                spawning--;
            }
            dropped = failure != null && workers.isEmpty() ? breakPool(failure) : List.of();
            dropped = concat(dropped, terminateIfIdle());
        } finally {
            lock.unlock();
        }
        failAll(dropped, failure != null ? failure : broken);
    }

    private static void failAll(List<PoolTask> tasks, Throwable why) {
        for (PoolTask t : tasks) {
            if (!t.isDone()) {
                Throwable e = why == null ? new CancellationException("the pool was shut down")
                        : why instanceof CancellationException
                                ? new CancellationException(why.getMessage())
                        : new RejectedExecutionException("the pool is broken: " + why, why);
                t.job.failed(t, e);
            }
        }
    }

    // ------------------------------------------------------------------ life cycle

    public boolean isShutdown() {
        lock.lock();
        try {
            return state != State.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    public boolean isTerminated() {
        lock.lock();
        try {
            return state == State.TERMINATED;
        } finally {
            lock.unlock();
        }
    }

    public void shutdown() {
        List<PoolTask> dropped;
        lock.lock();
        try {
            if (state == State.RUNNING) {
                state = State.SHUTDOWN;
            }
            for (PoolWorkerLink w : workers) {
                w.wake.signal();
            }
            dropped = terminateIfIdle();
        } finally {
            lock.unlock();
        }
        failAll(dropped, broken);
    }

    /** Shuts down and removes the queued tasks, returning them. */
    public List<PoolTask> shutdownNow() {
        List<PoolTask> drained;
        lock.lock();
        try {
            if (state == State.RUNNING) {
                state = State.SHUTDOWN;
            }
            drained = new ArrayList<>();
            for (PoolTask t : pending) {
                if (!t.isDone()) {
                    drained.add(t);
                }
            }
            pending.clear();
            for (PoolWorkerLink w : workers) {
                w.wake.signal();
            }
            drained.addAll(terminateIfIdle());
        } finally {
            lock.unlock();
        }
        return drained;
    }

    /** Stops the pool now: queued tasks are cancelled, every worker gets {@code how}. */
    public void stop(Platform.Stop how) {
        List<PoolTask> drained;
        List<PoolWorkerLink> targets;
        lock.lock();
        try {
            if (state == State.TERMINATED) {
                return;
            }
            state = State.STOPPING;
            drained = new ArrayList<>(pending);
            pending.clear();
            targets = new ArrayList<>(workers);
            for (PoolWorkerLink w : workers) {
                w.wake.signal();
            }
            drained.addAll(terminateIfIdle());
        } finally {
            lock.unlock();
        }
        failAll(drained, new CancellationException("the pool was terminated"));
        for (PoolWorkerLink w : targets) {
            w.stop(how);
        }
    }

    public boolean awaitTermination(long nanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (state != State.TERMINATED) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = terminated.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** {@return the live workers' pids, for tests and diagnostics} */
    public List<Integer> workerPids() {
        lock.lock();
        try {
            List<Integer> pids = new ArrayList<>();
            for (PoolWorkerLink w : workers) {
                if (!w.dead) {
                    pids.add(w.pid);
                }
            }
            return pids;
        } finally {
            lock.unlock();
        }
    }

    public void log(System.Logger.Level level, String message, Throwable t) {
        LOG.log(level, message, t);
    }
}
