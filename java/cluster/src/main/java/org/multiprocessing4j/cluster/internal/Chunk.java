package org.multiprocessing4j.cluster.internal;

import com.hazelcast.cluster.Member;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One task on its way to a member: its {@link Wire} bytes, and the future of its decoded
 * results (one per item, in order). Cancelling the future drops the task if it was not sent yet,
 * or asks the member to interrupt it; either way the future completes cancelled at once.
 */
public final class Chunk extends CompletableFuture<Object[]> {
    final byte[] task;
    final ClassLoader loader; // the submitting thread's context loader, for decoding the answer
    private final Dispatcher dispatcher;
    // guarded by dispatcher
    boolean queued; // in the dispatcher's queue and counted in its queued count
    Member member;
    Future<byte[]> sent;

    Chunk(Dispatcher dispatcher, byte[] task, ClassLoader loader) {
        this.dispatcher = dispatcher;
        this.task = task;
        this.loader = loader;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            dispatcher.cancelled(this);
        }
        return cancelled;
    }
}
