package org.multiprocessing4j.cluster;

import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
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
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.ProcessPool;
import org.multiprocessing4j.ProcessPool.ResultIterator;
import org.multiprocessing4j.ProcessPool.SerializableBiFunction;
import org.multiprocessing4j.ProcessPool.SerializableCallable;
import org.multiprocessing4j.ProcessPool.SerializableFunction;
import org.multiprocessing4j.ProcessPool.SerializableRunnable;
import org.multiprocessing4j.cluster.internal.Chunk;
import org.multiprocessing4j.cluster.internal.Dispatcher;
import org.multiprocessing4j.cluster.internal.Wire;

/**
 * {@link ProcessPool}'s API on a Hazelcast cluster: the same serializable lambdas run on the
 * cluster's members, through Hazelcast's executor service. Also a standard
 * {@link ExecutorService}.
 *
 * <pre>{@code
 * try (ClusterPool pool = ClusterPool.builder().localMembers(3).build()) {  // 3 member JVMs
 *     List<Integer> squares = pool.map(x -> x * x, List.of(1, 2, 3));        // [1, 4, 9]
 * }   // close(): runs what was submitted, then stops the members
 * }</pre>
 *
 * <h2>Tasks</h2>
 * As for {@link ProcessPool}: a function, its arguments and its results travel through a
 * {@link Codec} (this pool's, {@link Codec#defaults()} unless {@link Builder#codec set}); a task
 * that cannot be encoded is refused at the call with {@link IllegalArgumentException}. Members
 * decode with {@link Codec#defaults()} — its deserialization filter limits, and the JVM-wide
 * {@code jdk.serialFilter} of the member JVM if it sets one — and encode results with it. The
 * function travels with every task (a task holds {@code chunksize} items), not once per member.
 * Members run tasks on {@linkplain Cluster#threadsPerMember() their executor threads},
 * concurrently: a task must not rely on running alone in its JVM, as it may in a
 * {@code ProcessPool} worker. Members keep nothing between tasks but static state.
 *
 * <h2>Where it differs from a local pool</h2>
 * <ul>
 *   <li><b>A member that dies</b> (or leaves) fails the tasks it held with
 *       {@link MemberLostException}; they are not retried. The pool sends nothing more to that
 *       member and every other task completes on the others. Each member holds at most
 *       {@code 2 ×} {@link Cluster#threadsPerMember()} of this pool's tasks at a time; the rest
 *       wait in this JVM, so a dying member takes at most that many with it.</li>
 *   <li><b>A class a member cannot load</b> (the task's, an argument's, one the task's code
 *       uses) fails that task with {@link MissingClassException} naming the member and the
 *       class. Classes are not shipped: members run with their own class path (local members
 *       with this program's).</li>
 *   <li><b>{@code imap} over an endless input</b> takes input only as results are consumed: at
 *       most {@value #IMAP_TASKS_PER_THREAD} × {@link #parallelism()} tasks (at least 16) are in
 *       flight, plus the one whose results {@code next()} is returning; see
 *       {@link ProcessPool.ResultIterator}.</li>
 *   <li>No initializer, {@code maxTasksPerChild}, {@code terminate()} or {@code kill()}: members
 *       belong to the cluster, not to the pool. {@link #shutdownNow()} cancels queued tasks and
 *       asks members to interrupt running ones.</li>
 *   <li>A failed task's exception arrives as {@link org.multiprocessing4j.RemoteTaskException}
 *       whose cause is the original with the member's stack trace (its text stays in the
 *       message if it cannot be decoded here), as for a local pool.</li>
 * </ul>
 *
 * <h2>Life cycle and threads</h2>
 * All methods are thread-safe. {@link #shutdown()} refuses new tasks and lets queued ones run;
 * {@link #close()} is shutdown plus waiting for every task, then, for a pool built with
 * {@link Builder#localMembers(int)} or {@link Builder#members(String, String...)}, closing the cluster it
 * started or joined (its members stop). A pool made from a {@link Cluster} leaves it running.
 * Futures complete in Hazelcast's client threads: keep dependent actions short or use the
 * {@code …Async} variants.
 */
public final class ClusterPool implements ExecutorService {
    /** Tasks an {@code imap} may have taken and not consumed, per thread of the cluster. */
    public static final int IMAP_TASKS_PER_THREAD = 4;

    private final Cluster cluster;
    private final boolean ownsCluster;
    private final Codec codec;
    private final Dispatcher dispatcher;
    private final int parallelism;

    private ClusterPool(Cluster cluster, boolean ownsCluster, Codec codec) {
        this.cluster = cluster;
        this.ownsCluster = ownsCluster;
        this.codec = codec;
        int members = Math.max(1, cluster.members().size());
        this.parallelism = members * cluster.threadsPerMember();
        this.dispatcher = new Dispatcher(cluster.client(), codec, 2 * cluster.threadsPerMember(),
                new Dispatcher.Failures() {
                    @Override
                    public Exception memberLost(String member, Throwable cause) {
                        return new MemberLostException(member,
                                cluster.localMember(member).map(Cluster.LocalMember::pid).orElse(-1L), cause);
                    }

                    @Override
                    public Exception missingClass(String member, String className, String text) {
                        return new MissingClassException(member, className, text);
                    }
                });
        cluster.register(this);
    }

    /** A pool on {@code cluster}, which it leaves running when closed. */
    static ClusterPool on(Cluster cluster, Codec codec) {
        return new ClusterPool(cluster, false, codec);
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the cluster this pool runs on} */
    public Cluster cluster() {
        return cluster;
    }

    /**
     * {@return the threads the cluster had for this pool when it was made: members times
     * {@link Cluster#threadsPerMember()}} It sizes the default chunk and the {@code imap} window.
     */
    public int parallelism() {
        return parallelism;
    }

    // ------------------------------------------------------------------ Python's API

    /**
     * Runs {@code fn(arg)} on a member (Python's {@code apply_async}). Does not block.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param arg its argument
     * @return the future result; failures as described in the class comment. Cancelling it
     *     before it was sent means it never runs; afterwards the member is asked to interrupt it.
     * @throws IllegalArgumentException if {@code fn} or {@code arg} cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> CompletableFuture<R> applyAsync(SerializableFunction<? super A, ? extends R> fn, A arg) {
        return single(Wire.APPLY, fn, new Object[] {arg}, 1);
    }

    /**
     * {@code map(fn, items, chunksize)} with Python's default chunk size: the items split into
     * about four tasks per thread of the cluster ({@link #parallelism()}).
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; iterated once, in the calling thread
     * @return the results, in input order (unmodifiable)
     * @throws InterruptedException if interrupted while waiting; the rest of the call is
     *     cancelled
     * @throws ExecutionException with the first failure as cause:
     *     {@link org.multiprocessing4j.RemoteTaskException}, {@link MemberLostException},
     *     {@link MissingClassException}, {@link CodecException}; the other tasks of the call are
     *     cancelled
     * @throws IllegalArgumentException if {@code fn} or an item cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> List<R> map(SerializableFunction<? super A, ? extends R> fn, Iterable<? extends A> items)
            throws InterruptedException, ExecutionException {
        return await(mapAsync(fn, items, 0));
    }

    /**
     * Applies {@code fn} to every item on the members and returns the results in input order
     * (Python's {@code map}). Blocks until every result is in, or the first failure.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; iterated once, in the calling thread
     * @param chunksize items per task, at least 1
     * @return the results, in input order (unmodifiable)
     * @throws IllegalArgumentException if {@code chunksize < 1}, or {@code fn} or an item cannot
     *     be encoded
     * @throws InterruptedException as for {@link #map(SerializableFunction, Iterable)}
     * @throws ExecutionException as for {@link #map(SerializableFunction, Iterable)}
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> List<R> map(SerializableFunction<? super A, ? extends R> fn, Iterable<? extends A> items,
                              int chunksize) throws InterruptedException, ExecutionException {
        return await(mapAsync(fn, items, requireChunksize(chunksize)));
    }

    /**
     * Python's {@code map_async}: as {@link #map(SerializableFunction, Iterable, int)} without
     * blocking. Cancelling the future cancels the call's tasks.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; iterated once, in the calling thread, before this returns
     * @param chunksize items per task, at least 1; or 0 for the default
     * @return the future list of results; failures as for {@code map}
     * @throws IllegalArgumentException if {@code chunksize < 0}, or {@code fn} or an item cannot
     *     be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> CompletableFuture<List<R>> mapAsync(SerializableFunction<? super A, ? extends R> fn,
                                                      Iterable<? extends A> items, int chunksize) {
        Objects.requireNonNull(items, "items");
        if (chunksize < 0) {
            throw new IllegalArgumentException("chunksize must be >= 1 (or 0 for the default), got " + chunksize);
        }
        Object[] args = toArray(items);
        return many(Wire.APPLY, fn, args, args.length, chunksize);
    }

    /**
     * Python's {@code starmap}: {@code fn(key, value)} for every pair, results in input order,
     * default chunk size.
     *
     * @param <A> the first argument type
     * @param <B> the second argument type
     * @param <R> the result type
     * @param fn the function
     * @param pairs the argument pairs ({@link Map.Entry}: only key and value travel)
     * @return the results, in input order (unmodifiable)
     * @throws InterruptedException as for {@link #map(SerializableFunction, Iterable)}
     * @throws ExecutionException as for {@link #map(SerializableFunction, Iterable)}
     * @throws IllegalArgumentException if {@code fn} or an argument cannot be encoded
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
     * @param pairs the argument pairs
     * @param chunksize pairs per task, at least 1; or 0 for the default
     * @return the results, in input order (unmodifiable)
     * @throws InterruptedException as for {@link #map(SerializableFunction, Iterable)}
     * @throws ExecutionException as for {@link #map(SerializableFunction, Iterable)}
     * @throws IllegalArgumentException if {@code chunksize < 0}, or {@code fn} or an argument
     *     cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> fn,
                                     Iterable<? extends Map.Entry<? extends A, ? extends B>> pairs,
                                     int chunksize) throws InterruptedException, ExecutionException {
        Objects.requireNonNull(pairs, "pairs");
        if (chunksize < 0) {
            throw new IllegalArgumentException("chunksize must be >= 1 (or 0 for the default), got " + chunksize);
        }
        List<Object> flat = new ArrayList<>();
        for (Map.Entry<? extends A, ? extends B> e : pairs) {
            flat.add(e.getKey());
            flat.add(e.getValue());
        }
        Object[] args = flat.toArray();
        return await(many(Wire.STAR, fn, args, args.length / 2, chunksize));
    }

    /**
     * Python's {@code imap} with one item per task.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless
     * @return the lazy results, in input order
     * @throws IllegalArgumentException if {@code fn} cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imap(SerializableFunction<? super A, ? extends R> fn, Iterable<? extends A> items) {
        return imap(fn, items, 1);
    }

    /**
     * Python's {@code imap}: lazily applies {@code fn} to the items, results in input order.
     * Work starts at once; input is taken, in the consuming thread, only as results are consumed
     * (at most {@value #IMAP_TASKS_PER_THREAD} × {@link #parallelism()} tasks, at least 16, in
     * flight, plus the one whose results are being returned), so an endless input is fine. Otherwise as
     * {@link ProcessPool.ResultIterator} describes; an item that cannot be encoded fails its task
     * with {@link IllegalArgumentException}.
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless; iterated only by the consuming thread
     * @param chunksize items per task, at least 1
     * @return the lazy results, in input order
     * @throws IllegalArgumentException if {@code chunksize < 1} or {@code fn} cannot be encoded
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
     * @throws IllegalArgumentException if {@code fn} cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imapUnordered(SerializableFunction<? super A, ? extends R> fn,
                                                  Iterable<? extends A> items) {
        return imapUnordered(fn, items, 1);
    }

    /**
     * Python's {@code imap_unordered}: as {@link #imap(SerializableFunction, Iterable, int)}, but
     * results come in the order their tasks complete (the items of one task stay together).
     *
     * @param <A> the argument type
     * @param <R> the result type
     * @param fn the function
     * @param items the arguments; may be endless; iterated only by the consuming thread
     * @param chunksize items per task, at least 1
     * @return the lazy results, in completion order
     * @throws IllegalArgumentException if {@code chunksize < 1} or {@code fn} cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <A, R> ResultIterator<R> imapUnordered(SerializableFunction<? super A, ? extends R> fn,
                                                  Iterable<? extends A> items, int chunksize) {
        return iterate(fn, items, chunksize, false);
    }

    private <R> ResultIterator<R> iterate(Object fn, Iterable<?> items, int chunksize, boolean ordered) {
        Objects.requireNonNull(items, "items");
        requireChunksize(chunksize);
        byte[] f = encodeFunction(fn);
        if (dispatcher.isShutdown()) {
            throw new RejectedExecutionException("the pool is shut down");
        }
        ClusterResultIterator<R> it = new ClusterResultIterator<>(this, items.iterator(), f, chunksize,
                ordered, Math.max(16, IMAP_TASKS_PER_THREAD * parallelism));
        it.fill();
        return it;
    }

    // ------------------------------------------------------------------ ExecutorService

    /**
     * Runs {@code task} on a member. Does not block.
     *
     * @param <T> the result type
     * @param task the task
     * @return its future (see {@link #applyAsync} for cancellation)
     * @throws IllegalArgumentException if the task cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public <T> CompletableFuture<T> submit(SerializableCallable<T> task) {
        return single(Wire.CALL, task, new Object[0], 0);
    }

    /**
     * Runs {@code task} on a member. Does not block.
     *
     * @param task the task
     * @return a future completed with {@code null}
     * @throws IllegalArgumentException if the task cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    public CompletableFuture<?> submit(SerializableRunnable task) {
        return single(Wire.RUN, task, new Object[0], 0);
    }

    /**
     * Runs {@code task} on a member; it must also be {@link Serializable}.
     *
     * @throws IllegalArgumentException if the task cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        return single(Wire.CALL, task, new Object[0], 0);
    }

    /**
     * Runs {@code task} on a member; it must also be {@link Serializable}.
     *
     * @throws IllegalArgumentException if the task cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public CompletableFuture<?> submit(Runnable task) {
        return single(Wire.RUN, task, new Object[0], 0);
    }

    /**
     * Runs {@code task} on a member; the future completes with {@code result}, which stays in
     * this JVM.
     *
     * @throws IllegalArgumentException if the task cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> CompletableFuture<T> submit(Runnable task, T result) {
        CompletableFuture<Object> f = single(Wire.RUN, task, new Object[0], 0);
        CompletableFuture<T> out = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                f.cancel(mayInterruptIfRunning);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        f.whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(result);
            }
        });
        return out;
    }

    /**
     * Runs {@code command} on a member, ignoring its outcome; a failure is logged at
     * {@code WARNING} (logger {@code org.multiprocessing4j.cluster.ClusterPool}).
     *
     * @throws IllegalArgumentException if the command cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public void execute(Runnable command) {
        submit(command).whenComplete((r, e) -> {
            if (e != null && !(e instanceof CancellationException)) {
                System.getLogger(ClusterPool.class.getName()).log(System.Logger.Level.WARNING,
                        "a task given to execute() failed", e);
            }
        });
    }

    /**
     * Runs every task and waits until all are done. If interrupted, the unfinished ones are
     * cancelled.
     *
     * @throws IllegalArgumentException if a task cannot be encoded (nothing is submitted)
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        return invokeAll(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs every task and waits until all are done or the timeout passes; those unfinished then
     * are cancelled.
     *
     * @throws IllegalArgumentException if a task cannot be encoded (nothing is submitted)
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException {
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
     * @throws IllegalArgumentException if {@code tasks} is empty or a task cannot be encoded
     * @throws RejectedExecutionException if the pool is shut down
     */
    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
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
        List<byte[]> encoded = new ArrayList<>(tasks.size());
        for (Callable<T> t : tasks) {
            encoded.add(encodeTask(Wire.CALL, encodeFunction(t), new Object[0], 0, 0)); // refuse before submitting any
        }
        if (dispatcher.isShutdown()) {
            throw new RejectedExecutionException("the pool is shut down");
        }
        List<Chunk> chunks = new ArrayList<>(encoded.size());
        List<Future<T>> futures = new ArrayList<>(encoded.size());
        for (byte[] b : encoded) {
            Chunk c = dispatcher.chunk(b);
            chunks.add(c);
            futures.add(first(c));
        }
        dispatcher.submit(chunks);
        return futures;
    }

    /** Refuses new tasks; queued and running ones still complete. Does not wait. Idempotent. */
    @Override
    public void shutdown() {
        dispatcher.shutdown();
    }

    /**
     * Refuses new tasks, cancels the queued ones (not yet sent to a member) and asks the members
     * to interrupt the running ones; their futures complete cancelled. Does not wait.
     *
     * @return an empty list: a task not yet sent exists here only as bytes, so none can be
     *     handed back to run
     */
    @Override
    public List<Runnable> shutdownNow() {
        for (Chunk c : dispatcher.shutdownNow()) {
            c.cancel(false);
        }
        dispatcher.cancelInFlight();
        return List.of();
    }

    /** {@return whether {@link #shutdown()}, {@link #shutdownNow()} or {@link #close()} was called} */
    @Override
    public boolean isShutdown() {
        return dispatcher.isShutdown();
    }

    /**
     * {@return whether the pool is shut down and every task has completed (and, for a pool that
     * started or joined its own cluster, that cluster is closed)}
     */
    @Override
    public boolean isTerminated() {
        return dispatcher.isIdleAfterShutdown() && (!ownsCluster || cluster.isClosed());
    }

    /**
     * Waits until every task has completed after {@link #shutdown()}, or the timeout passes.
     * Does not close a cluster the pool owns (see {@link #close()}).
     *
     * @return {@code true} if every task completed, {@code false} if the timeout passed first
     * @throws InterruptedException if interrupted while waiting
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return dispatcher.awaitIdle(unit.toNanos(timeout));
    }

    /**
     * Drains: {@link #shutdown()}, then waits until every queued and running task has completed;
     * then closes the cluster if this pool started or joined it (its local members stop). If
     * interrupted while waiting, it {@linkplain #shutdownNow() cancels} what is left, finishes
     * closing, and returns with the interrupt status set. Idempotent.
     */
    @Override
    public void close() {
        shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                dispatcher.awaitIdle(Long.MAX_VALUE);
                break;
            } catch (InterruptedException e) {
                if (!interrupted) {
                    interrupted = true;
                    shutdownNow();
                }
            }
        }
        cluster.unregister(this);
        if (ownsCluster) {
            cluster.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ClusterPool[" + cluster + ", parallelism=" + parallelism
                + (isTerminated() ? ", terminated" : isShutdown() ? ", shut down" : "") + "]";
    }

    // ------------------------------------------------------------------ helpers

    byte[] encodeFunction(Object fn) {
        Objects.requireNonNull(fn, "task");
        if (!(fn instanceof Serializable)) {
            throw new IllegalArgumentException("the task is not Serializable: " + fn.getClass().getName()
                    + " (declare the lambda as a ProcessPool.SerializableCallable, SerializableRunnable,"
                    + " SerializableFunction or SerializableBiFunction)");
        }
        try {
            return Wire.encodeValue(codec, fn);
        } catch (CodecException | RuntimeException e) {
            throw new IllegalArgumentException("cannot encode the task: " + e.getMessage(), e);
        }
    }

    byte[] encodeTask(byte kind, byte[] fn, Object[] args, int from, int count) {
        try {
            return Wire.encodeTask(codec, kind, fn, args, from, count);
        } catch (CodecException | RuntimeException e) {
            throw new IllegalArgumentException("cannot encode an argument: " + e.getMessage(), e);
        }
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    private <T> CompletableFuture<T> single(byte kind, Object fn, Object[] args, int count) {
        byte[] task = encodeTask(kind, encodeFunction(fn), args, 0, count);
        Chunk c = dispatcher.chunk(task);
        CompletableFuture<T> out = first(c);
        dispatcher.submit(List.of(c));
        return out;
    }

    /** The first result of {@code c}; cancelling it cancels {@code c}. */
    @SuppressWarnings("unchecked")
    private static <T> CompletableFuture<T> first(Chunk c) {
        CompletableFuture<T> out = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                c.cancel(mayInterruptIfRunning);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        c.whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete((T) r[0]);
            }
        });
        return out;
    }

    private <R> CompletableFuture<List<R>> many(byte kind, Object fn, Object[] args, int items, int chunksize) {
        byte[] f = encodeFunction(fn);
        if (chunksize == 0) { // Python: divmod(len, 4 * processes), rounded up
            chunksize = Math.max(1, (items + 4 * parallelism - 1) / (4 * parallelism));
        }
        int width = kind == Wire.STAR ? 2 : 1;
        List<Chunk> chunks = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i < items; i += chunksize) {
            chunks.add(dispatcher.chunk(encodeTask(kind, f, args, i * width, Math.min(chunksize, items - i))));
            offsets.add(i);
        }
        Object[] results = new Object[items];
        int[] remaining = {chunks.size()};
        CompletableFuture<List<R>> out = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                for (Chunk c : chunks) {
                    c.cancel(mayInterruptIfRunning);
                }
                return cancelled;
            }
        };
        for (int k = 0; k < chunks.size(); k++) {
            int offset = offsets.get(k);
            chunks.get(k).whenComplete((r, e) -> {
                if (e != null) {
                    if (out.completeExceptionally(e)) {
                        for (Chunk c : chunks) {
                            c.cancel(true);
                        }
                    }
                    return;
                }
                boolean last;
                synchronized (results) {
                    System.arraycopy(r, 0, results, offset, r.length);
                    last = --remaining[0] == 0;
                }
                if (last) {
                    @SuppressWarnings("unchecked")
                    List<R> list = (List<R>) Collections.unmodifiableList(Arrays.asList(results));
                    out.complete(list);
                }
            });
        }
        if (chunks.isEmpty()) {
            if (dispatcher.isShutdown()) {
                throw new RejectedExecutionException("the pool is shut down");
            }
            out.complete(List.of());
            return out;
        }
        dispatcher.submit(chunks);
        return out;
    }

    private static <T> T await(CompletableFuture<T> f) throws InterruptedException, ExecutionException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        }
    }

    private static long deadline(long timeout, TimeUnit unit) {
        long nanos = unit.toNanos(timeout);
        long now = System.nanoTime();
        return nanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
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
     * Settings of a new pool: where it runs ({@link #localMembers(int)},
     * {@link #members(String, String...)} or {@link #cluster(Cluster)}) and its codec. Not thread-safe.
     */
    public static final class Builder {
        private final Cluster.Builder clusterBuilder = Cluster.builder();
        private boolean clusterGiven;
        private Cluster cluster;
        private Codec codec = Codec.defaults();

        private Builder() {
        }

        /**
         * Starts {@code count} member JVMs on this machine for the pool (see
         * {@link Cluster.Builder#localMembers(int)}); {@link ClusterPool#close()} stops them.
         *
         * @param count at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code count < 1}
         */
        public Builder localMembers(int count) {
            clusterBuilder.localMembers(count);
            clusterGiven = true;
            return this;
        }

        /**
         * Joins an existing cluster named {@code clusterName} through these members (see
         * {@link Cluster.Builder#members(String...)}); {@link ClusterPool#close()} disconnects.
         *
         * @param clusterName the cluster's name
         * @param hostPorts {@code host:port} of members
         * @return this builder
         * @throws IllegalArgumentException if an address is not {@code host:port} or the name
         *     is empty
         */
        public Builder members(String clusterName, String... hostPorts) {
            clusterBuilder.clusterName(clusterName).members(hostPorts);
            clusterGiven = true;
            return this;
        }

        /**
         * Sets the threads per member (see {@link Cluster.Builder#threadsPerMember(int)}).
         *
         * @param threads at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code threads < 1}
         */
        public Builder threadsPerMember(int threads) {
            clusterBuilder.threadsPerMember(threads);
            return this;
        }

        /**
         * Adds JVM options for local members (see {@link Cluster.Builder#memberJvmOptions}).
         *
         * @param options the options
         * @return this builder
         */
        public Builder memberJvmOptions(String... options) {
            clusterBuilder.memberJvmOptions(options);
            return this;
        }

        /**
         * Runs the pool on a cluster this program already has; {@link ClusterPool#close()} then
         * leaves it running.
         *
         * @param cluster the cluster
         * @return this builder
         */
        public Builder cluster(Cluster cluster) {
            this.cluster = Objects.requireNonNull(cluster, "cluster");
            return this;
        }

        /**
         * Sets the codec that encodes functions, arguments and results here, and decodes results
         * (default {@link Codec#defaults()}; members use theirs, see the class comment).
         *
         * @param codec the codec
         * @return this builder
         */
        public Builder codec(Codec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /**
         * Starts or joins the cluster if needed, and returns the pool. Blocks until local
         * members form the cluster.
         *
         * @return the pool
         * @throws IllegalStateException if neither a cluster nor its members were given, or
         *     both, or the given cluster is closed
         * @throws IOException as {@link Cluster.Builder#start()}
         * @throws InterruptedException as {@link Cluster.Builder#start()}
         */
        public ClusterPool build() throws IOException, InterruptedException {
            if ((cluster != null) == clusterGiven) {
                throw new IllegalStateException("give either cluster(c), or localMembers(n) or members(...)");
            }
            if (cluster != null) {
                return new ClusterPool(cluster, false, codec);
            }
            Cluster c = clusterBuilder.start();
            try {
                return new ClusterPool(c, true, codec);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------ imap

    /** The lazy results of imap/imapUnordered; see {@link ProcessPool.ResultIterator}. */
    private static final class ClusterResultIterator<R> implements ResultIterator<R> {
        private final ClusterPool pool;
        private final java.util.Iterator<?> input;
        private final byte[] fn;
        private final int chunksize;
        private final boolean ordered;
        private final int window;
        private final java.util.ArrayDeque<Chunk> outstanding = new java.util.ArrayDeque<>();
        private final LinkedBlockingQueue<Chunk> done = new LinkedBlockingQueue<>();
        private Object[] current;
        private int index;
        private boolean inputDone;
        private Throwable inputFailure;
        private boolean closed;

        ClusterResultIterator(ClusterPool pool, java.util.Iterator<?> input, byte[] fn, int chunksize,
                              boolean ordered, int window) {
            this.pool = pool;
            this.input = input;
            this.fn = fn;
            this.chunksize = chunksize;
            this.ordered = ordered;
            this.window = window;
        }

        /** Takes input and submits tasks until {@code window} are outstanding or input ends. */
        void fill() {
            while (!inputDone && !closed && outstanding.size() < window) {
                List<Object> items = new ArrayList<>(chunksize);
                try {
                    while (items.size() < chunksize && input.hasNext()) {
                        items.add(input.next());
                    }
                    if (items.size() < chunksize) {
                        inputDone = true;
                    }
                } catch (RuntimeException | Error e) {
                    inputDone = true;
                    inputFailure = e;
                }
                if (items.isEmpty()) {
                    break;
                }
                if (pool.dispatcher().isShutdown()) {
                    inputDone = true;
                    throw new RejectedExecutionException("the pool is shut down");
                }
                Chunk c;
                try {
                    c = pool.dispatcher().chunk(pool.encodeTask(Wire.APPLY, fn, items.toArray(), 0, items.size()));
                } catch (IllegalArgumentException e) {
                    c = pool.dispatcher().chunk(new byte[0]);
                    c.completeExceptionally(e);
                    outstanding.add(c);
                    if (!ordered) {
                        done.add(c);
                    }
                    continue;
                }
                if (!ordered) {
                    Chunk submitted = c;
                    c.whenComplete((r, e) -> done.add(submitted));
                }
                outstanding.add(c);
                try {
                    pool.dispatcher().submit(List.of(c));
                } catch (RejectedExecutionException e) {
                    outstanding.removeLast();
                    inputDone = true;
                    throw e;
                }
            }
        }

        @Override
        public boolean hasNext() {
            if (current != null && index < current.length) {
                return true;
            }
            if (!closed && outstanding.isEmpty()) {
                fill();
            }
            return !outstanding.isEmpty() || inputFailure != null;
        }

        @Override
        public R next() {
            try {
                return next(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CompletionException(e);
            } catch (ExecutionException e) {
                throw new java.util.concurrent.CompletionException(e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException(e); // no timeout given
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public R next(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
            if (current != null && index < current.length) {
                return (R) current[index++];
            }
            if (closed || !hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            if (outstanding.isEmpty()) { // only the input's failure is left
                Throwable f = inputFailure;
                inputFailure = null;
                if (f instanceof Error err) {
                    throw err;
                }
                throw (RuntimeException) f;
            }
            Chunk c;
            if (ordered) {
                c = outstanding.peek();
                if (timeout == null) {
                    try {
                        c.get();
                    } catch (ExecutionException | CancellationException ignored) {
                        // reported below
                    }
                } else {
                    try {
                        c.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                    } catch (ExecutionException | CancellationException ignored) {
                        // reported below
                    }
                }
                outstanding.poll();
            } else {
                c = timeout == null ? done.take() : done.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                if (c == null) {
                    throw new TimeoutException("no result within " + timeout);
                }
                outstanding.remove(c);
            }
            fill();
            Object[] r = c.get(); // done: throws its failure or CancellationException
            current = r;
            index = 0;
            if (r.length == 0) {
                return next(timeout);
            }
            return (R) current[index++];
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (Chunk c : outstanding) {
                c.cancel(true);
            }
            outstanding.clear();
            current = null;
            inputFailure = null;
        }
    }
}
