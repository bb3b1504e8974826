package org.multiprocessing4j;

import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.multiprocessing4j.internal.pool.PoolCore;
import org.multiprocessing4j.internal.pool.PoolFunction;
import org.multiprocessing4j.internal.pool.PoolFuture;
import org.multiprocessing4j.internal.pool.PoolMapJob;
import org.multiprocessing4j.internal.pool.PoolResultIterator;
import org.multiprocessing4j.internal.pool.PoolTask;
import org.multiprocessing4j.internal.pool.PoolWire;
import org.multiprocessing4j.platform.Platform;

/**
 * A pool of worker processes (Python's {@code multiprocessing.Pool} and
 * {@code concurrent.futures.ProcessPoolExecutor}) that is also a standard
 * {@link ExecutorService}.
 *
 * <pre>{@code
 * try (ProcessPool pool = ProcessPool.create(4)) {
 *     List<Integer> squares = pool.map(x -> x * x, List.of(1, 2, 3));     // [1, 4, 9]
 *     CompletableFuture<String> f = pool.submit(() -> ChildProcess.currentProcess().name());
 * }   // close(): runs what was submitted, then stops and reaps the workers
 * }</pre>
 *
 * <h2>Tasks</h2>
 * A task runs in a worker JVM, so it travels there: it must be serializable, with everything it
 * captures. ({@link Connection}s and shared objects, which travel as descriptors, reach the
 * workers only when they start: capture them in the {@linkplain Builder#initializer initializer}
 * and keep them in a static field there.) Lambdas passed where this class takes a
 * {@link SerializableCallable}, {@link SerializableRunnable}, {@link SerializableFunction} or {@link SerializableBiFunction}
 * are serializable by construction. A task that cannot be serialized (including a plain
 * {@code Callable} or {@code Runnable} that is not {@code Serializable}) is refused at the call
 * with {@link IllegalArgumentException}. Arguments and results travel through the context's
 * {@link Codec} (fast paths for strings, boxed primitives, byte arrays and simple records); an
 * argument that cannot be encoded (whatever the codec throws, an {@link Error} such as
 * {@code OutOfMemoryError} too) fails its task, alone, with {@code IllegalArgumentException}
 * whose cause is what was thrown. A
 * function is sent to each worker once per call (once for the pool's life, for a non-capturing
 * lambda or method reference), then only arguments travel.
 *
 * <h2>Failures</h2>
 * A task's exception reaches the caller as a {@link RemoteTaskException} whose cause is the
 * original exception with its remote stack trace (its text stays in the message if the class
 * cannot be deserialized here), wrapped as futures wrap failures
 * ({@link ExecutionException}, or {@link java.util.concurrent.CompletionException}). A worker
 * that dies (a kill, out of memory, {@code System.exit}) fails only the tasks it held, with
 * {@link WorkerDiedException} naming its exit code or signal; it is replaced and every other task
 * completes. A worker holds the task it runs plus a short pipeline of following ones (about 2 ms
 * of work by the pool's running estimate, at least one task, at most 2048); those fail with it.
 * A worker the pool cannot go on with (it answered a task it was not given, or sending to it
 * failed half-way) is killed and replaced the same way: its tasks fail with
 * {@code WorkerDiedException} whose cause says why. Whatever fails, every future completes.
 * If the initializer throws, or workers keep dying before they are ready, the pool is broken:
 * queued tasks fail with {@link RejectedExecutionException} (cause: the reason) and new ones are
 * refused.
 *
 * <h2>Life cycle</h2>
 * The workers start in {@link #create}/{@link Builder#build()} (daemonic children, named
 * {@code PoolWorker-N}) and die with this JVM, even if it is killed. {@link #shutdown()}
 * refuses new tasks and lets queued ones run; {@link #close()} is shutdown plus waiting for
 * termination (it drains, unlike Python's {@code with Pool()}, which terminates);
 * {@link #terminate()}/{@link #kill()} stop at once. After shutdown every submitting method
 * throws {@link RejectedExecutionException}. Terminated means every worker has exited and been
 * reaped, and every descriptor closed.
 *
 * <h2>Threads and callbacks</h2>
 * All methods are thread-safe. The pool runs two platform threads per worker (sender and
 * receiver). Futures are completed by the thread that receives the worker's answer — the
 * receiver, or a thread spinning in {@code get()}/{@code join()} for a result of the same worker
 * (it receives for a few microseconds before it parks, which makes a round trip cheap) — so
 * dependent actions attached with {@code thenApply}, {@code whenComplete} and the like run
 * there: keep them short and non-blocking, or use the {@code …Async} variants. Submitting from
 * such an action is allowed.
 */
public final class ProcessPool implements ExecutorService {
    /** Tasks taken from an {@code imap} input and not yet consumed, per worker. */
    static final int IMAP_TASKS_PER_WORKER = 1024;

    private final PoolCore core;

    private ProcessPool(PoolCore core) {
        this.core = core;
    }

    // ------------------------------------------------------------------ task types

    /**
     * A {@link Callable} that is {@link Serializable}, so that a lambda given where one is
     * expected can be sent to a worker.
     *
     * @param <T> the result type
     */
    @FunctionalInterface
    public interface SerializableCallable<T> extends Callable<T>, Serializable {
    }

    /** A {@link Runnable} that is {@link Serializable}, so that a lambda can be sent to a worker. */
    @FunctionalInterface
    public interface SerializableRunnable extends Runnable, Serializable {
    }

    /**
     * A serializable one-argument function for {@code map}, {@code imap} and
     * {@code applyAsync}; it may throw checked exceptions.
     *
     * @param <A> the argument type
     * @param <R> the result type
     */
    @FunctionalInterface
    public interface SerializableFunction<A, R> extends Serializable {
        /**
         * Runs in a worker.
         *
         * @param a the argument
         * @return the result, sent back to the caller
         * @throws Exception anything; it reaches the caller as a {@link RemoteTaskException}
         */
        R apply(A a) throws Exception;
    }

    /**
     * A serializable two-argument function for {@code starmap}; it may throw checked exceptions.
     *
     * @param <A> the first argument type
     * @param <B> the second argument type
     * @param <R> the result type
     */
    @FunctionalInterface
    public interface SerializableBiFunction<A, B, R> extends Serializable {
        /**
         * Runs in a worker.
         *
         * @param a the first argument
         * @param b the second argument
         * @return the result, sent back to the caller
         * @throws Exception anything; it reaches the caller as a {@link RemoteTaskException}
         */
        R apply(A a, B b) throws Exception;
    }

    /**
     * The lazy result of {@link #imap} and {@link #imapUnordered}. Input items are taken, in the
     * consuming thread, only as results are consumed: at most
     * {@value #IMAP_TASKS_PER_WORKER} × {@linkplain #processes() processes} tasks of
     * {@code chunksize} items are taken and not yet consumed at any time, so an endless input is
     * fine. An unchecked exception thrown by the input's iterator (its {@code hasNext} or
     * {@code next}) ends the input but loses nothing taken before it: every item taken runs (a
     * partly filled last chunk too), {@code next} returns their results first, then throws that
     * exception, unchanged, once; the iteration then ends. (CPython's {@code imap} raises it at
     * the same place, but drops the items of a partly filled chunk.)
     * If the pool is shut down before the input is exhausted, the call that would take more input
     * throws {@link RejectedExecutionException} and the iteration ends after the results already
     * taken. Not thread-safe: consume from one thread at a time.
     *
     * @param <R> the result type
     */
    public interface ResultIterator<R> extends Iterator<R>, AutoCloseable {
        /**
         * {@return whether another result exists} Blocks only while asking the input iterator.
         */
        @Override
        boolean hasNext();

        /**
         * {@return the next result, waiting for it} A failed task throws
         * {@link java.util.concurrent.CompletionException} whose cause is the failure
         * ({@link RemoteTaskException}, {@link WorkerDiedException}); iteration may continue
         * after it with the next task's results. If interrupted while waiting, throws
         * {@code CompletionException} with an {@link InterruptedException} cause and leaves the
         * thread's interrupt status set. A task cancelled by {@code terminate()} or
         * {@code shutdownNow()} throws {@link CancellationException}. Once the results of the
         * items taken have been returned, the exception the input threw, if any, is thrown as is.
         *
         * @throws java.util.NoSuchElementException if there is none, or the iterator is closed
         */
        @Override
        R next();

        /**
         * Python's {@code next(timeout)}: waits at most {@code timeout} for the next result.
         *
         * @param timeout how long to wait; {@code null} waits forever
         * @return the next result
         * @throws TimeoutException if no result came in time (call again to keep waiting)
         * @throws ExecutionException if the task failed (cause as for {@link #next()})
         * @throws InterruptedException if interrupted while waiting
         * @throws CancellationException if the task was cancelled by the pool stopping
         * @throws java.util.NoSuchElementException if there is no further result
         * @throws RuntimeException the exception the input threw (or an {@link Error}), as is,
         *         once the results of the items taken before it have been returned
         */
        R next(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException;

        /**
         * Stops taking input: tasks not yet sent are dropped, those in workers finish and their
         * results are discarded. Idempotent.
         */
        @Override
        void close();
    }

    // ------------------------------------------------------------------ creation

    /**
     * Starts a pool of {@link Runtime#availableProcessors()} workers in the default context.
     *
     * @return the running pool
     * @throws IOException if a worker cannot be started (those started are stopped)
     */
    public static ProcessPool create() throws IOException {
        return builder().build();
    }

    /**
     * Starts a pool of {@code processes} workers in the default context.
     *
     * @param processes number of workers, at least 1
     * @return the running pool
     * @throws IllegalArgumentException if {@code processes < 1}
     * @throws IOException if a worker cannot be started (those started are stopped)
     */
    public static ProcessPool create(int processes) throws IOException {
        return builder().processes(processes).build();
    }

    /** {@return a builder for a pool with non-default settings} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the number of workers the pool keeps running} */
    public int processes() {
        return core.processes;
    }

    // ------------------------------------------------------------------ Python's API

    /**
     * Runs {@code fn(arg)} in a worker (Python's {@code apply_async}); callbacks and error
     * callbacks attach to the returned future. Does not block.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param arg its argument
     * @return the future result; see the class comment for how failures arrive. Cancelling it
     *     before a worker received the task means it never runs; afterwards the worker finishes it
     *     and the outcome is dropped.
     * @throws IllegalArgumentException if {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> CompletableFuture<R> applyAsync(SerializableFunction<? super A, ? extends R> fn,
                                                  A arg) {
        PoolFunction f = PoolFunction.of(fn, core.codec());
        PoolFuture<R> future = new PoolFuture<>();
        future.local = (Callable<Object>) () -> fn.apply(arg);
        core.enqueue(List.of(new PoolTask(future, f, PoolWire.APPLY, new Object[] {arg}, 0, 1, 0)));
        return future;
    }

    /**
     * {@code map(fn, items, chunksize)} with Python's default chunk size: the items split into
     * about four chunks per worker.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; iterated once, in the calling thread
     * @return the results, in input order (unmodifiable)
     * @throws InterruptedException if interrupted while waiting; the rest of the call is
     *     cancelled (tasks already in workers finish and are discarded)
     * @throws ExecutionException with the first failure as cause: {@link RemoteTaskException},
     *     {@link WorkerDiedException}, or {@link IllegalArgumentException} for an argument that
     *     cannot be sent; the tasks not yet sent are dropped
     * @throws CancellationException if the pool was terminated meanwhile
     * @throws IllegalArgumentException if {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> List<R> map(SerializableFunction<? super A, ? extends R> fn,
                              Iterable<? extends A> items)
            throws InterruptedException, ExecutionException {
        return await(mapAsync(fn, items, 0));
    }

    /**
     * Applies {@code fn} to every item in the workers and returns the results in input order
     * (Python's {@code map}). Blocks until every result is in, or the first failure. Items travel
     * in tasks of {@code chunksize} items each: a larger chunk costs fewer messages, a smaller
     * one balances uneven work better.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; iterated once, in the calling thread
     * @param chunksize items per task, at least 1
     * @return the results, in input order (unmodifiable)
     * @throws IllegalArgumentException if {@code chunksize < 1} or {@code fn} cannot be serialized
     * @throws InterruptedException as for {@link #map(SerializableFunction, Iterable)}
     * @throws ExecutionException as for {@link #map(SerializableFunction, Iterable)}
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> List<R> map(SerializableFunction<? super A, ? extends R> fn,
                              Iterable<? extends A> items, int chunksize)
            throws InterruptedException, ExecutionException {
        return await(mapAsync(fn, items, requireChunksize(chunksize)));
    }

    /**
     * Python's {@code map_async}: as {@link #map(SerializableFunction, Iterable, int)} without
     * blocking. Cancelling the future drops the tasks not yet sent.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; iterated once, in the calling thread, before this returns
     * @param chunksize items per task, at least 1; or 0 for the default of
     *     {@link #map(SerializableFunction, Iterable)}
     * @return the future list of results; failures as for {@code map}
     * @throws IllegalArgumentException if {@code chunksize < 0} or {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> CompletableFuture<List<R>> mapAsync(SerializableFunction<? super A, ? extends R> fn,
                                                      Iterable<? extends A> items, int chunksize) {
        Objects.requireNonNull(items, "items");
        if (chunksize < 0) {
            throw new IllegalArgumentException("chunksize must be >= 1 (or 0 for the default), got "
                    + chunksize);
        }
        PoolFunction f = PoolFunction.of(fn, core.codec());
        Object[] args = toArray(items);
        return submitChunks(f, PoolWire.APPLY, args, args.length, chunksize);
    }

    /**
     * Python's {@code starmap}: {@code fn(key, value)} for every pair, results in input order.
     * Pairs are {@link Map.Entry} values (for example {@code Map.entry(a, b)}); only their key
     * and value travel. Default chunk size as {@link #map(SerializableFunction, Iterable)}.
     *
     * @param <A> the first argument type
     * @param <B> the second argument type
     * @param <R> the result type
     * @param fn the function
     * @param pairs the argument pairs; iterated once, in the calling thread
     * @return the results, in input order (unmodifiable)
     * @throws InterruptedException as for {@link #map(SerializableFunction, Iterable)}
     * @throws ExecutionException as for {@link #map(SerializableFunction, Iterable)}
     * @throws IllegalArgumentException if {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> fn,
                                     Iterable<? extends Map.Entry<? extends A, ? extends B>> pairs)
            throws InterruptedException, ExecutionException {
        return starmap(fn, pairs, 0);
    }

    /**
     * {@link #starmap(SerializableBiFunction, Iterable)} with {@code chunksize} pairs per task.
     *
     * @param <A> the first argument type
     * @param <B> the second argument type
     * @param <R> the result type
     * @param fn the function
     * @param pairs the argument pairs; iterated once, in the calling thread
     * @param chunksize pairs per task, at least 1; or 0 for the default
     * @return the results, in input order (unmodifiable)
     * @throws InterruptedException as for {@link #map(SerializableFunction, Iterable)}
     * @throws ExecutionException as for {@link #map(SerializableFunction, Iterable)}
     * @throws IllegalArgumentException if {@code chunksize < 0} or {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> fn,
                                     Iterable<? extends Map.Entry<? extends A, ? extends B>> pairs,
                                     int chunksize)
            throws InterruptedException, ExecutionException {
        Objects.requireNonNull(pairs, "pairs");
        if (chunksize < 0) {
            throw new IllegalArgumentException("chunksize must be >= 1 (or 0 for the default), got "
                    + chunksize);
        }
        PoolFunction f = PoolFunction.of(fn, core.codec());
        List<Object> flat = new ArrayList<>();
        for (Map.Entry<? extends A, ? extends B> e : pairs) {
            flat.add(e.getKey());
            flat.add(e.getValue());
        }
        Object[] args = flat.toArray();
        return await(submitChunks(f, PoolWire.STAR, args, args.length / 2, chunksize));
    }

    /**
     * Python's {@code imap} with one item per task.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless
     * @return the lazy results, in input order
     * @throws IllegalArgumentException if {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imap(SerializableFunction<? super A, ? extends R> fn,
                                         Iterable<? extends A> items) {
        return imap(fn, items, 1);
    }

    /**
     * Python's {@code imap}: lazily applies {@code fn} to the items, results in input order. Work
     * starts at once; input is taken as results are consumed (see {@link ResultIterator}).
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless; iterated only by the consuming thread
     * @param chunksize items per task, at least 1
     * @return the lazy results, in input order
     * @throws IllegalArgumentException if {@code chunksize < 1} or {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imap(SerializableFunction<? super A, ? extends R> fn,
                                         Iterable<? extends A> items, int chunksize) {
        return iterate(fn, items, chunksize, true);
    }

    /**
     * Python's {@code imap_unordered} with one item per task.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless
     * @return the lazy results, in completion order
     * @throws IllegalArgumentException if {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imapUnordered(SerializableFunction<? super A, ? extends R> fn,
                                                  Iterable<? extends A> items) {
        return imapUnordered(fn, items, 1);
    }

    /**
     * Python's {@code imap_unordered}: as {@link #imap(SerializableFunction, Iterable, int)}, but
     * results come in the order their tasks complete (the items of one task stay together, in
     * order).
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless; iterated only by the consuming thread
     * @param chunksize items per task, at least 1
     * @return the lazy results, in completion order
     * @throws IllegalArgumentException if {@code chunksize < 1} or {@code fn} cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imapUnordered(SerializableFunction<? super A, ? extends R> fn,
                                                  Iterable<? extends A> items, int chunksize) {
        return iterate(fn, items, chunksize, false);
    }

    private <R> ResultIterator<R> iterate(SerializableFunction<?, ?> fn, Iterable<?> items,
                                          int chunksize, boolean ordered) {
        Objects.requireNonNull(items, "items");
        requireChunksize(chunksize);
        PoolFunction f = PoolFunction.of(fn, core.codec());
        if (core.isShutdown()) {
            throw new RejectedExecutionException("the pool is shut down");
        }
        PoolResultIterator<R> it = new PoolResultIterator<>(core, items.iterator(), f, PoolWire.APPLY,
                chunksize, ordered, IMAP_TASKS_PER_WORKER * core.processes);
        it.fill();
        return it;
    }

    /**
     * Python's {@code terminate()}: stops every worker now with a terminate request (their shutdown
     * hooks run; what that is on each OS: the
     * {@linkplain org.multiprocessing4j##os-mapping OS mapping}), cancels queued tasks and fails
     * those held by workers with {@link CancellationException}, then waits until every worker has
     * exited. Idempotent.
     *
     * @throws InterruptedException if interrupted while waiting; the workers still stop
     */
    public void terminate() throws InterruptedException {
        core.stop(Platform.Stop.TERMINATE);
        core.awaitTermination(Long.MAX_VALUE);
    }

    /**
     * As {@link #terminate()} with a kill: workers run no shutdown hooks (see the
     * {@linkplain org.multiprocessing4j##os-mapping OS mapping}).
     *
     * @throws InterruptedException if interrupted while waiting; the workers still stop
     */
    public void kill() throws InterruptedException {
        core.stop(Platform.Stop.KILL);
        core.awaitTermination(Long.MAX_VALUE);
    }

    // ------------------------------------------------------------------ ExecutorService

    /**
     * Runs {@code task} in a worker. Does not block.
     *
     * @param <T> the result type
     * @param task the task
     * @return its future (see {@link #applyAsync} for cancellation and the class comment for
     *     failures)
     * @throws IllegalArgumentException if the task cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <T> CompletableFuture<T> submit(SerializableCallable<T> task) {
        return submitCallable(task);
    }

    /**
     * Runs {@code task} in a worker. Does not block.
     *
     * @param task the task
     * @return a future completed with {@code null}
     * @throws IllegalArgumentException if the task cannot be serialized
     * @throws RejectedExecutionException if the pool is shut down
     */
    public CompletableFuture<?> submit(SerializableRunnable task) {
        return submitRunnable(task, null);
    }

    /**
     * Runs {@code task} in a worker; it must also be {@link Serializable} (declare it as a
     * {@link SerializableCallable} to make a lambda so).
     *
     * @throws IllegalArgumentException if the task is not serializable
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        return submitCallable(task);
    }

    /**
     * Runs {@code task} in a worker; it must also be {@link Serializable}.
     *
     * @throws IllegalArgumentException if the task is not serializable
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public CompletableFuture<?> submit(Runnable task) {
        return submitRunnable(task, null);
    }

    /**
     * Runs {@code task} in a worker; the future completes with {@code result}, which stays in
     * this JVM.
     *
     * @throws IllegalArgumentException if the task is not serializable
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> CompletableFuture<T> submit(Runnable task, T result) {
        return submitRunnable(task, result);
    }

    /**
     * Runs {@code command} in a worker, ignoring its outcome; a failure is logged (logger
     * {@code org.multiprocessing4j.ProcessPool}).
     *
     * @throws IllegalArgumentException if the command is not serializable
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public void execute(Runnable command) {
        submitRunnable(command, null).whenComplete((r, e) -> {
            if (e != null && !(e instanceof CancellationException)) {
                core.log(System.Logger.Level.WARNING, "a task given to execute() failed", e);
            }
        });
    }

    private <T> PoolFuture<T> submitCallable(Callable<T> task) {
        PoolFunction f = PoolFunction.of(task, core.codec());
        PoolFuture<T> future = new PoolFuture<>();
        future.local = task;
        core.enqueue(List.of(PoolTask.single(future, f, PoolWire.CALL)));
        return future;
    }

    private <T> PoolFuture<T> submitRunnable(Runnable task, T result) {
        PoolFunction f = PoolFunction.of(task, core.codec());
        PoolFuture<T> future = new PoolFuture<>(true, result);
        future.local = (Callable<T>) () -> {
            task.run();
            return result;
        };
        core.enqueue(List.of(PoolTask.single(future, f, PoolWire.RUN)));
        return future;
    }

    /**
     * Runs every task and waits until all are done. If interrupted, the unfinished ones are
     * cancelled.
     *
     * @throws IllegalArgumentException if a task is not serializable (nothing is submitted)
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks)
            throws InterruptedException {
        return invokeAll(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs every task and waits until all are done or the timeout passes; those unfinished then
     * are cancelled.
     *
     * @throws IllegalArgumentException if a task is not serializable (nothing is submitted)
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout,
                                         TimeUnit unit) throws InterruptedException {
        List<Future<T>> futures = submitAll(tasks);
        long deadline = deadline(timeout, unit);
        try {
            for (Future<T> f : futures) {
                if (!f.isDone()) {
                    try {
                        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (ExecutionException | CancellationException ignored) {
                        // reported by the future itself
                    } catch (TimeoutException timedOut) {
                        break;
                    }
                }
            }
        } finally {
            for (Future<T> f : futures) {
                f.cancel(true);
            }
        }
        return futures;
    }

    /**
     * Runs the tasks and returns the result of one that succeeded; the others are cancelled.
     *
     * @throws ExecutionException if every task failed (the cause is the last failure)
     * @throws IllegalArgumentException if {@code tasks} is empty or a task is not serializable
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
            throws InterruptedException, ExecutionException {
        try {
            return invokeAny(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e); // cannot happen without a timeout
        }
    }

    /**
     * As {@link #invokeAny(Collection)}, giving up after the timeout.
     *
     * @throws TimeoutException if no task succeeded in time (all are then cancelled)
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("no tasks");
        }
        long deadline = deadline(timeout, unit);
        LinkedBlockingQueue<Future<T>> done = new LinkedBlockingQueue<>();
        List<Future<T>> futures = submitAll(tasks);
        try {
            for (Future<T> f : futures) {
                ((CompletableFuture<T>) f).whenComplete((r, e) -> done.add(f));
            }
            ExecutionException last = null;
            for (int i = 0; i < futures.size(); i++) {
                Future<T> f = done.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (f == null) {
                    throw new TimeoutException("no task succeeded within " + timeout + " " + unit);
                }
                try {
                    return f.get();
                } catch (ExecutionException e) {
                    last = e;
                } catch (CancellationException e) {
                    last = new ExecutionException(e);
                }
            }
            throw last;
        } finally {
            for (Future<T> f : futures) {
                f.cancel(true);
            }
        }
    }

    private <T> List<Future<T>> submitAll(Collection<? extends Callable<T>> tasks) {
        for (Callable<T> t : tasks) {
            PoolFunction.of(t, core.codec()); // refuse before submitting any
        }
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        try {
            for (Callable<T> t : tasks) {
                futures.add(submitCallable(t));
            }
        } catch (RuntimeException e) {
            for (Future<T> f : futures) {
                f.cancel(true);
            }
            throw e;
        }
        return futures;
    }

    private static long deadline(long timeout, TimeUnit unit) {
        long nanos = unit.toNanos(timeout);
        long now = System.nanoTime();
        return nanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    }

    /**
     * Refuses new tasks; queued and running ones still complete, then the workers exit. Does not
     * wait (see {@link #awaitTermination}). Idempotent.
     */
    @Override
    public void shutdown() {
        core.shutdown();
    }

    /**
     * Refuses new tasks and removes the queued ones (not yet sent to a worker). Tasks already in
     * workers run to completion (use {@link #terminate()} to stop them). The removed tasks
     * submitted with {@code submit}, {@code applyAsync} or {@code invoke…} are returned as
     * runnables that run them in this JVM and complete their futures; the queued tasks of
     * {@code map}, {@code starmap} and {@code imap} calls are cancelled. Does not wait.
     *
     * @return the removed tasks, to run here if wanted
     */
    @Override
    public List<Runnable> shutdownNow() {
        List<Runnable> out = new ArrayList<>();
        for (PoolTask t : core.shutdownNow()) {
            if (t.job instanceof PoolFuture<?> f && f.local instanceof Callable<?> c) {
                out.add(() -> runHere(f, c));
            } else {
                t.job.failed(t, new CancellationException("removed by shutdownNow()"));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T> void runHere(PoolFuture<T> f, Callable<?> c) {
        try {
            f.complete((T) c.call());
        } catch (Throwable e) {
            f.completeExceptionally(e);
        }
    }

    /** {@return whether {@link #shutdown()}, {@link #terminate()} or the like was called} */
    @Override
    public boolean isShutdown() {
        return core.isShutdown();
    }

    /** {@return whether the pool is shut down and every worker has exited and been reaped} */
    @Override
    public boolean isTerminated() {
        return core.isTerminated();
    }

    /**
     * Waits until the pool is terminated (after {@link #shutdown()} or {@link #terminate()}) or
     * the timeout passes.
     *
     * @return {@code true} if terminated, {@code false} if the timeout passed first
     * @throws InterruptedException if interrupted while waiting
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return core.awaitTermination(unit.toNanos(timeout));
    }

    /**
     * Drains and joins: {@link #shutdown()}, then waits until every queued and running task has
     * completed and every worker has exited. If interrupted while waiting, it
     * {@linkplain #terminate() terminates} the workers, finishes waiting, and returns with the
     * interrupt status set. Idempotent.
     */
    @Override
    public void close() {
        shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                core.awaitTermination(Long.MAX_VALUE);
                break;
            } catch (InterruptedException e) {
                if (!interrupted) {
                    interrupted = true;
                    core.stop(Platform.Stop.TERMINATE);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ProcessPool[processes=" + core.processes + (core.isTerminated() ? ", terminated"
                : core.isShutdown() ? ", shut down" : "") + "]";
    }

    /** {@return the pids of the running workers} For tests. */
    List<Integer> workerPids() {
        return core.workerPids();
    }

    // ------------------------------------------------------------------ helpers

    private <R> CompletableFuture<List<R>> submitChunks(PoolFunction f, byte kind, Object[] args,
                                                        int items, int chunksize) {
        if (chunksize == 0) { // Python: divmod(len, 4 * processes), rounded up
            chunksize = Math.max(1, (items + 4 * core.processes - 1) / (4 * core.processes));
        }
        int tasks = (items + chunksize - 1) / chunksize;
        PoolMapJob<R> job = new PoolMapJob<>(items, tasks);
        if (tasks == 0) {
            if (core.isShutdown()) {
                throw new RejectedExecutionException("the pool is shut down");
            }
            return job.future;
        }
        int width = kind == PoolWire.STAR ? 2 : 1;
        List<PoolTask> list = new ArrayList<>(tasks);
        for (int i = 0; i < items; i += chunksize) {
            list.add(new PoolTask(job, f, kind, args, i * width, Math.min(chunksize, items - i), i));
        }
        core.enqueue(list);
        return job.future;
    }

    private static <T> T await(CompletableFuture<T> f) throws InterruptedException, ExecutionException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        }
    }

    private static Object[] toArray(Iterable<?> items) {
        if (items instanceof Collection<?> c) {
            return c.toArray();
        }
        List<Object> list = new ArrayList<>();
        items.forEach(list::add);
        return list.toArray();
    }

    private static int requireChunksize(int chunksize) {
        if (chunksize < 1) {
            throw new IllegalArgumentException("chunksize must be >= 1, got " + chunksize);
        }
        return chunksize;
    }

    // ------------------------------------------------------------------ builder

    /**
     * Settings of a new pool. Not thread-safe; {@link #build()} may be called more than once.
     */
    public static final class Builder {
        private int processes = Runtime.getRuntime().availableProcessors();
        private Task initializer;
        private int maxTasksPerChild;
        private Multiprocessing context = Multiprocessing.context();
        private final List<String> jvmOptions = new ArrayList<>();

        private Builder() {
        }

        /**
         * Sets the number of workers (default: {@link Runtime#availableProcessors()}, the CPUs
         * this JVM may use).
         *
         * @param processes at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code processes < 1}
         */
        public Builder processes(int processes) {
            if (processes < 1) {
                throw new IllegalArgumentException("processes must be >= 1, got " + processes);
            }
            this.processes = processes;
            return this;
        }

        /**
         * Sets code each worker runs once when it starts, before any task (Python's
         * {@code initializer} with its {@code initargs} captured by the lambda). It may capture
         * {@link Connection}s, {@link SharedQueue}s, {@link SharedMemory} and other shared objects:
         * they reach the worker as handles, as for a {@link ChildProcess}. If it throws, the
         * pool is broken (see the class comment).
         *
         * @param initializer the code; {@code null} for none
         * @return this builder
         */
        public Builder initializer(Task initializer) {
            this.initializer = initializer;
            return this;
        }

        /**
         * Replaces each worker by a fresh process after it has run {@code tasks} tasks (Python's
         * {@code maxtasksperchild}; a {@code map} chunk is one task). Default: never.
         *
         * @param tasks at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code tasks < 1}
         */
        public Builder maxTasksPerChild(int tasks) {
            if (tasks < 1) {
                throw new IllegalArgumentException("maxTasksPerChild must be >= 1, got " + tasks);
            }
            this.maxTasksPerChild = tasks;
            return this;
        }

        /**
         * Sets the context: start method, worker JVM options and codec (default:
         * {@link Multiprocessing#context()}).
         *
         * @param context the context
         * @return this builder
         */
        public Builder context(Multiprocessing context) {
            this.context = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Adds JVM options for the workers (for example {@code "-Xmx256m"}), after the
         * context's.
         *
         * @param options the options
         * @return this builder
         */
        public Builder jvmOptions(String... options) {
            for (String o : options) {
                jvmOptions.add(Objects.requireNonNull(o, "option"));
            }
            return this;
        }

        /**
         * Starts the workers and returns the pool. Returns once the worker processes exist;
         * tasks submitted before they are ready wait in the pool's queue.
         *
         * @return the running pool
         * @throws IOException if a worker cannot be started (those started are stopped)
         * @throws IllegalStateException if this process is a daemonic child (which may not have
         *     children)
         */
        public ProcessPool build() throws IOException {
            Multiprocessing ctx = jvmOptions.isEmpty() ? context
                    : context.withJvmOptions(jvmOptions.toArray(String[]::new));
            PoolCore core = new PoolCore(processes, initializer, maxTasksPerChild, ctx);
            core.start();
            return new ProcessPool(core);
        }
    }
}
