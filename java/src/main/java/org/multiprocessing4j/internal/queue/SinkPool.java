package org.multiprocessing4j.internal.queue;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.multiprocessing4j.ByteSink;

/**
 * Reusable encode buffers of one queue view, so that a {@code put} allocates nothing in the
 * common case: one buffer per thread slot (the thread id picks one of {@value #CACHED}), taken
 * with a swap so that two threads never share one; a buffer that grew past 1 MiB is not kept.
 * Thread-safe.
 */
public final class SinkPool {
    private static final int CACHED = 4;
    private static final long LARGEST_KEPT = 1 << 20;

    private final int initialCapacity;
    private final AtomicReferenceArray<ByteSink> sinks = new AtomicReferenceArray<>(CACHED);

    /** A pool whose new buffers start with {@code initialCapacity} bytes. */
    public SinkPool(int initialCapacity) {
        this.initialCapacity = initialCapacity;
    }

    /** {@return an empty buffer, to be given back with {@link #giveBack}} */
    public ByteSink borrow() {
        ByteSink s = sinks.getAndSet(index(), null);
        if (s == null) {
            s = new ByteSink(initialCapacity);
        }
        s.reset();
        return s;
    }

    /** Keeps {@code s} for the next {@link #borrow} of this thread slot, or closes it. */
    public void giveBack(ByteSink s) {
        if (s.capacity() > LARGEST_KEPT || !sinks.compareAndSet(index(), null, s)) {
            s.close(); // do not keep a huge buffer around, nor more than a few
        }
    }

    /** Closes the kept buffers; call once no thread borrows any more. */
    public void close() {
        for (int i = 0; i < CACHED; i++) {
            ByteSink s = sinks.getAndSet(i, null);
            if (s != null) {
                s.close();
            }
        }
    }

    private static int index() {
        return (int) Thread.currentThread().threadId() & (CACHED - 1);
    }
}
