package org.multiprocessing4j.cluster;

import com.hazelcast.collection.IQueue;
import com.hazelcast.config.QueueConfig;
import com.hazelcast.core.HazelcastInstance;
import java.io.UncheckedIOException;
import java.util.AbstractQueue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;

/**
 * A {@link BlockingQueue} kept by the cluster (Hazelcast's {@code IQueue}): every program
 * connected to the cluster that asks {@link Cluster#queue(String)} for the same name shares it,
 * and it survives the death of any one member (Hazelcast keeps a backup on another member).
 *
 * <h2>Elements</h2>
 * Elements travel as the bytes of the queue's {@link Codec} ({@link Codec#forUntrustedPeers()}
 * unless another was given: any peer that reaches the cluster can put to it), encoded in the
 * calling thread of {@code put}/{@code offer}. A value that cannot be encoded throws
 * {@link IllegalArgumentException} (cause: the {@link CodecException}) and nothing is enqueued;
 * {@code take}/{@code poll} decode a fresh copy, and an element that cannot be decoded is
 * consumed and reported as an {@link UncheckedIOException} whose cause is the
 * {@link CodecException}. {@code null} is not allowed ({@link NullPointerException}).
 * {@link #contains}, {@link #remove(Object)} and the iterator's {@code remove} compare encoded
 * bytes, not {@code equals}: use values whose encoding is deterministic (strings, numbers,
 * records of them).
 *
 * <h2>Blocking, threads and failures</h2>
 * {@code put}, {@code take} and the timed {@code offer}/{@code poll} block this thread until the
 * cluster answers and respond to interruption with {@link InterruptedException}. All methods are
 * thread-safe. {@link #iterator()} walks a snapshot taken when it is called (weakly consistent).
 * Once the {@link Cluster} is closed, every method throws
 * {@link com.hazelcast.core.HazelcastInstanceNotActiveException} (an
 * {@link IllegalStateException}); if the cluster cannot be reached, calls fail after Hazelcast's
 * invocation timeout (120 s by default) with a {@code com.hazelcast} exception.
 *
 * @param <E> the element type
 */
public final class ClusterQueue<E> extends AbstractQueue<E> implements BlockingQueue<E> {
    private final IQueue<byte[]> queue;
    private final ClusterCodec codec;

    private ClusterQueue(IQueue<byte[]> queue, Codec codec) {
        this.queue = queue;
        this.codec = new ClusterCodec(codec);
    }

    static <E> ClusterQueue<E> open(HazelcastInstance client, String name, int capacity, Codec codec) {
        if (Objects.requireNonNull(name, "name").isEmpty()) {
            throw new IllegalArgumentException("empty queue name");
        }
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be >= 0 (0: unbounded), got " + capacity);
        }
        if (capacity > 0) {
            client.getConfig().addQueueConfig(new QueueConfig(name).setMaxSize(capacity));
        }
        return new ClusterQueue<>(client.getQueue(name), codec);
    }

    /** {@return the queue's name in the cluster} */
    public String name() {
        return queue.getName();
    }

    /**
     * Removes the queue and its elements from the cluster (Python's {@code unlink}); a later
     * use of the name, by anyone, starts an empty queue.
     */
    public void destroy() {
        queue.destroy();
    }

    /**
     * Adds {@code e} if there is room now.
     *
     * @throws IllegalArgumentException if {@code e} cannot be encoded
     * @throws NullPointerException if {@code e} is null
     */
    @Override
    public boolean offer(E e) {
        return queue.offer(codec.encode(e));
    }

    /**
     * Adds {@code e}, waiting up to the timeout for room.
     *
     * @throws IllegalArgumentException if {@code e} cannot be encoded
     * @throws NullPointerException if {@code e} is null
     */
    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) throws InterruptedException {
        return queue.offer(codec.encode(e), timeout, unit);
    }

    /**
     * Adds {@code e}, waiting for room as long as needed.
     *
     * @throws IllegalArgumentException if {@code e} cannot be encoded
     * @throws NullPointerException if {@code e} is null
     */
    @Override
    public void put(E e) throws InterruptedException {
        queue.put(codec.encode(e));
    }

    /**
     * Removes and returns the head, waiting for one as long as needed.
     *
     * @throws UncheckedIOException if the element cannot be decoded (it is consumed)
     */
    @Override
    public E take() throws InterruptedException {
        return cast(codec.decode(queue.take()));
    }

    /**
     * Removes and returns the head, waiting up to the timeout; {@code null} if none came.
     *
     * @throws UncheckedIOException as for {@link #take()}
     */
    @Override
    public E poll(long timeout, TimeUnit unit) throws InterruptedException {
        return cast(codec.decode(queue.poll(timeout, unit)));
    }

    /**
     * Removes and returns the head, or {@code null} if the queue is empty.
     *
     * @throws UncheckedIOException as for {@link #take()}
     */
    @Override
    public E poll() {
        return cast(codec.decode(queue.poll()));
    }

    /**
     * Returns the head without removing it, or {@code null} if the queue is empty.
     *
     * @throws UncheckedIOException if it cannot be decoded
     */
    @Override
    public E peek() {
        return cast(codec.decode(queue.peek()));
    }

    @Override
    public int size() {
        return queue.size();
    }

    @Override
    public int remainingCapacity() {
        return queue.remainingCapacity();
    }

    /**
     * Removes one element whose encoding equals {@code o}'s.
     *
     * @throws IllegalArgumentException if {@code o} cannot be encoded
     */
    @Override
    public boolean remove(Object o) {
        return o != null && queue.remove(codec.encode(o));
    }

    /**
     * {@return whether an element's encoding equals {@code o}'s}
     *
     * @throws IllegalArgumentException if {@code o} cannot be encoded
     */
    @Override
    public boolean contains(Object o) {
        return o != null && queue.contains(codec.encode(o));
    }

    @Override
    public void clear() {
        queue.clear();
    }

    /**
     * Moves every element to {@code c}.
     *
     * @throws UncheckedIOException if an element cannot be decoded (those drained are lost)
     */
    @Override
    public int drainTo(Collection<? super E> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    /**
     * Moves at most {@code maxElements} elements to {@code c}.
     *
     * @throws UncheckedIOException if an element cannot be decoded (those drained are lost)
     */
    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        Objects.requireNonNull(c, "c");
        if (c == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        List<byte[]> raw = new ArrayList<>();
        int n = queue.drainTo(raw, maxElements);
        for (byte[] b : raw) {
            c.add(cast(codec.decode(b)));
        }
        return n;
    }

    /**
     * {@return an iterator over a snapshot of the elements, head first} Its {@code remove}
     * removes one element with the same encoding from the queue.
     *
     * @throws UncheckedIOException if an element cannot be decoded
     */
    @Override
    public Iterator<E> iterator() {
        List<byte[]> snapshot = new ArrayList<>(queue);
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < snapshot.size();
            }

            @Override
            public E next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return cast(codec.decode(snapshot.get(next++)));
            }

            @Override
            public void remove() {
                if (next == 0) {
                    throw new IllegalStateException("next() was not called");
                }
                queue.remove(snapshot.get(next - 1));
            }
        };
    }

    @Override
    public String toString() {
        return "ClusterQueue[" + queue.getName() + "]";
    }

    @SuppressWarnings("unchecked")
    private static <E> E cast(Object o) {
        return (E) o;
    }
}
