package org.multiprocessing4j;

import java.io.IOException;
import java.io.Serial;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.internal.queue.QueueLayout;

/**
 * A {@link SharedQueue} that also counts unfinished tasks (Python's
 * {@code multiprocessing.JoinableQueue}): every record taken is a task that a consumer marks
 * finished with {@link #taskDone()}, and {@link #join()} waits until every record put has been
 * taken and marked done.
 *
 * <pre>{@code
 * try (SharedJoinableQueue<Integer> q = SharedJoinableQueue.create()) {
 *     ChildProcess worker = new ChildProcess(() -> {
 *         for (;;) {
 *             int n = q.take();
 *             System.out.println(n * n);
 *             q.taskDone();
 *         }
 *     });
 *     worker.setDaemon(true);
 *     worker.start();
 *     for (int i = 0; i < 10; i++) {
 *         q.put(i);
 *     }
 *     q.join();                      // all ten squared and printed
 * }
 * }</pre>
 *
 * <h2>Counting, and what a death does to it</h2>
 * Python keeps one counter that {@code put} raises and {@code task_done} lowers; a process killed
 * in the wrong instant leaves it wrong and {@code join()} then never returns. Here the count is
 * derived from the queue itself and from one counter per process of tasks it has taken and not
 * yet marked done:
 * <ul>
 *   <li>a record counts from the moment its {@code put} returns (a put still in progress counts
 *       too, so {@code join} waits for it);</li>
 *   <li>a producer killed during {@code put} adds nothing (its record is lost, see
 *       {@link SharedQueue});</li>
 *   <li>a record that fails to decode in {@code take} is consumed and does not count;</li>
 *   <li>when a process dies, the tasks it had taken and not marked done stop counting: they will
 *       never be done, and {@code join} would otherwise wait forever. Joiners notice the death
 *       within 5 ms.</li>
 * </ul>
 * {@link #taskDone()} may be called in another process than the one that took the record (as in
 * Python); it then finishes a task taken by some other live process (one held by a dead process
 * only if no live process holds any, since those no longer count). Unlike Python, where a
 * {@code task_done()} that runs ahead of the matching {@code get()} passes unnoticed, calling it
 * more often than records were taken throws {@link IllegalStateException} at once.
 *
 * <p>Thread-safe; travels to children like a {@link SharedQueue}; {@link #close()} as there (a
 * blocked {@link #join()} ends with {@link IllegalStateException}).
 *
 * @param <E> the element type
 */
public final class SharedJoinableQueue<E> extends SharedQueue<E> {
    @Serial
    private static final long serialVersionUID = 1L;

    SharedJoinableQueue(SharedMemory memory, QueueLayout.Header header, boolean initialize) {
        super(memory, header, initialize);
    }

    /**
     * Creates a joinable queue without a maxsize (Python's {@code JoinableQueue()}); see
     * {@link SharedQueue#create()} for the capacity. {@link SharedQueue#builder()}{@code
     * .createJoinable()} sets capacity, slot size and name.
     *
     * @param <E> the element type
     * @return the queue
     * @throws IOException if the shared memory cannot be created
     */
    public static <E> SharedJoinableQueue<E> create() throws IOException {
        return builder().createJoinable();
    }

    /**
     * Creates a joinable queue that holds at most {@code maxsize} items (Python's
     * {@code JoinableQueue(maxsize)}).
     *
     * @param <E> the element type
     * @param maxsize the capacity in items; 0 means the default, as {@link #create()}
     * @return the queue
     * @throws IllegalArgumentException if {@code maxsize} is negative or above 2<sup>24</sup>
     * @throws IOException if the shared memory cannot be created
     */
    public static <E> SharedJoinableQueue<E> create(int maxsize) throws IOException {
        return builder().maxsize(maxsize).createJoinable();
    }

    /**
     * Opens a joinable queue another process created with a name.
     *
     * @param <E> the element type
     * @param name the name
     * @return a view of the same queue
     * @throws IllegalStateException if the name holds a queue that is not joinable, another kind
     *     of region, or another layout version
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException as for {@link SharedQueue#open(String)}
     */
    public static <E> SharedJoinableQueue<E> open(String name) throws IOException {
        return joinable(name, SharedQueue.open(name));
    }

    /**
     * As {@link #open(String)}, with the codec this view encodes and decodes elements with, as
     * {@link SharedQueue#open(String, Codec)} describes.
     *
     * @param <E> the element type
     * @param name the name
     * @param codec the codec of this view
     * @return a view of the same queue
     * @throws NullPointerException if {@code codec} is null
     * @throws IllegalStateException as for {@link #open(String)}
     * @throws java.nio.file.NoSuchFileException if there is no such name
     * @throws IOException as for {@link SharedQueue#open(String)}
     */
    public static <E> SharedJoinableQueue<E> open(String name, Codec codec) throws IOException {
        return joinable(name, SharedQueue.open(name, codec));
    }

    private static <E> SharedJoinableQueue<E> joinable(String name, SharedQueue<E> q) {
        if (q instanceof SharedJoinableQueue<E> j) {
            return j;
        }
        q.close();
        throw new IllegalStateException("shared queue '" + name + "' was not created joinable");
    }

    /**
     * Marks one taken task finished (Python's {@code task_done()}). Never blocks.
     *
     * @throws IllegalStateException if no task is taken and not yet done (called too many
     *     times), or if this queue is closed
     */
    public void taskDone() {
        markTaskDone();
    }

    /**
     * Waits until every record put has been taken and marked done (Python's {@code join()}):
     * returns at once if that is so now. Records whose holder died stop counting (see the class
     * comment).
     *
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException if this queue is closed, also while waiting
     */
    public void join() throws InterruptedException {
        awaitTasksDone(-1);
    }

    /**
     * As {@link #join()}, for at most {@code timeout}.
     *
     * @param timeout how long to wait; zero or negative: do not wait
     * @param unit its unit
     * @return whether every task is done; {@code false} once the timeout has fully elapsed
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException if this queue is closed, also while waiting
     */
    public boolean join(long timeout, TimeUnit unit) throws InterruptedException {
        return awaitTasksDone(Math.max(0, unit.toNanos(timeout)));
    }
}
