package org.multiprocessing4j.cluster.internal;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.RemoteTaskException;

/**
 * Sends a pool's tasks to the cluster's members and completes their futures.
 *
 * <p>Tasks wait here, in submission order, until a member has room: each member holds at most
 * {@code perMember} of this pool's tasks at once (sent and not answered), and a task goes to the
 * member holding fewest. So a slow member gets less work, a task not yet sent can be cancelled or
 * dropped without reaching the cluster, and a member that dies holds only its share. A member
 * whose invocation failed because it left is never sent another task by this pool, even before
 * the cluster has removed it from its member list.
 *
 * <p>Thread-safety: all state is guarded by {@code this}; tasks are sent and futures completed
 * outside the lock (Hazelcast may complete a future in the sending thread).
 */
public final class Dispatcher {
    /** Builds the exceptions whose types belong to the API. */
    public interface Failures {
        /**
         * {@return the exception for a task lost with its member}
         *
         * @param member {@code host:port}
         * @param cause what Hazelcast reported
         */
        Exception memberLost(String member, Throwable cause);

        /**
         * {@return the exception for a class the member cannot load}
         *
         * @param member {@code host:port}
         * @param className the class
         * @param text the member's description
         */
        Exception missingClass(String member, String className, String text);
    }

    private final HazelcastInstance client;
    private final IExecutorService executor;
    private final Codec codec;
    private final int perMember;
    private final Failures failures;

    private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
    private final Map<UUID, Integer> load = new HashMap<>();
    private final Set<UUID> lost = new HashSet<>();
    private final Set<Chunk> sentChunks = new HashSet<>();
    private int inFlight;
    private int queued; // chunks in pending not yet cancelled (pending may hold cancelled ones)
    private boolean shutdown;

    /**
     * A dispatcher for one pool.
     *
     * @param client the Hazelcast client
     * @param codec decodes answers
     * @param perMember tasks each member may hold at once
     * @param failures builds the API's exceptions
     */
    public Dispatcher(HazelcastInstance client, Codec codec, int perMember, Failures failures) {
        this.client = client;
        this.executor = client.getExecutorService(MemberSettings.EXECUTOR);
        this.codec = codec;
        this.perMember = perMember;
        this.failures = failures;
    }

    /**
     * {@return a new task, not yet submitted}
     *
     * @param task its {@link Wire} bytes
     */
    public Chunk chunk(byte[] task) {
        return new Chunk(this, task, Thread.currentThread().getContextClassLoader());
    }

    /**
     * Queues the tasks, all or none, and sends what members have room for.
     *
     * @param chunks the tasks
     * @throws RejectedExecutionException if {@link #shutdown()} was called
     */
    public void submit(List<Chunk> chunks) {
        List<Chunk> send;
        synchronized (this) {
            if (shutdown) {
                throw new RejectedExecutionException("the pool is shut down");
            }
            for (Chunk c : chunks) {
                c.queued = true;
            }
            pending.addAll(chunks);
            queued += chunks.size();
            send = assignLocked();
        }
        send(send);
    }

    /** Refuses further tasks; queued ones are still sent. */
    public synchronized void shutdown() {
        shutdown = true;
        notifyAll();
    }

    /** {@return whether {@link #shutdown()} was called} */
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    /** {@return whether shut down with nothing queued or in flight} */
    public synchronized boolean isIdleAfterShutdown() {
        return shutdown && queued == 0 && inFlight == 0;
    }

    /**
     * Shuts down and removes the queued tasks (their futures are not completed here).
     *
     * @return the removed tasks
     */
    public List<Chunk> shutdownNow() {
        synchronized (this) {
            shutdown = true;
            List<Chunk> out = new ArrayList<>();
            for (Chunk c : pending) {
                if (c.queued) {
                    c.queued = false;
                    out.add(c);
                }
            }
            pending.clear();
            queued = 0;
            notifyAll();
            return out;
        }
    }

    /** Cancels every task in flight (each member is asked to interrupt it). */
    public void cancelInFlight() {
        List<Chunk> sent;
        synchronized (this) {
            sent = new ArrayList<>(sentChunks);
        }
        for (Chunk c : sent) {
            c.cancel(true);
        }
    }

    /**
     * Waits until shut down with nothing queued or in flight.
     *
     * @param nanos the most to wait
     * @return whether that state was reached
     * @throws InterruptedException if interrupted
     */
    public synchronized boolean awaitIdle(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (!(shutdown && queued == 0 && inFlight == 0)) {
            long left = deadline - System.nanoTime();
            if (nanos != Long.MAX_VALUE && left <= 0) {
                return false;
            }
            long ms = nanos == Long.MAX_VALUE ? 0 : Math.max(1, left / 1_000_000);
            wait(ms);
        }
        return true;
    }

    void cancelled(Chunk c) {
        Future<byte[]> sent;
        synchronized (this) {
            if (c.queued) { // left in pending (removing it would cost a scan): skipped when reached
                c.queued = false;
                queued--;
                notifyAll();
                return;
            }
            sent = c.sent;
        }
        if (sent != null) {
            cancelOnMember(sent);
        }
    }

    /**
     * Hazelcast's cancel waits for the member's answer: never in the caller's thread (it may be
     * one of Hazelcast's own, completing another task) but on a daemon thread of its own.
     */
    private static void cancelOnMember(Future<byte[]> sent) {
        CANCELLER.execute(() -> {
            try {
                sent.cancel(true);
            } catch (RuntimeException memberGone) {
                // the task's future completes anyway, cancelled here or failed by Hazelcast
            }
        });
    }

    private static final java.util.concurrent.ExecutorService CANCELLER =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "mp4j-cluster-cancel");
                t.setDaemon(true);
                return t;
            });

    /** Picks a member for each queued task while some member has room. Caller holds the lock. */
    private List<Chunk> assignLocked() {
        List<Chunk> out = new ArrayList<>();
        Set<Member> members = client.getCluster().getMembers();
        while (!pending.isEmpty()) {
            Member best = null;
            int bestLoad = perMember;
            boolean any = false;
            for (Member m : members) {
                if (m.isLiteMember() || lost.contains(m.getUuid())) {
                    continue;
                }
                any = true;
                int l = load.getOrDefault(m.getUuid(), 0);
                if (l < bestLoad) {
                    best = m;
                    bestLoad = l;
                }
            }
            Chunk head = pending.peek();
            if (!head.queued) {
                pending.poll(); // cancelled while queued
                continue;
            }
            if (best == null) {
                if (!any && inFlight == 0) {
                    // nobody to run them and nobody whose answer would free a place
                    for (Chunk c : pending) {
                        if (c.queued) {
                            c.queued = false;
                            out.add(c); // sent with member == null: fails below
                        }
                    }
                    pending.clear();
                    queued = 0;
                }
                break;
            }
            Chunk c = pending.poll();
            c.queued = false;
            queued--;
            c.member = best;
            load.merge(best.getUuid(), 1, Integer::sum);
            inFlight++;
            sentChunks.add(c);
            out.add(c);
        }
        return out;
    }

    private void send(List<Chunk> chunks) {
        for (Chunk c : chunks) {
            if (c.member == null) {
                c.completeExceptionally(new IllegalStateException(
                        "no cluster member is left to run the task"));
                continue;
            }
            Future<byte[]> f;
            try {
                f = executor.submitToMember(new ChunkTask(c.task), c.member);
            } catch (RuntimeException e) {
                answered(c, null, e);
                continue;
            }
            synchronized (this) {
                c.sent = f;
            }
            if (c.isCancelled()) {
                cancelOnMember(f);
            }
            if (f instanceof CompletableFuture<byte[]> stage) {
                stage.whenComplete((answer, failure) -> answered(c, answer, failure));
            } else {
                throw new IllegalStateException("Hazelcast returned a future that is not a CompletableFuture: "
                        + f.getClass().getName());
            }
        }
    }

    private void answered(Chunk c, byte[] answer, Throwable failure) {
        String address = c.member.getAddress().getHost() + ":" + c.member.getAddress().getPort();
        boolean memberLost = failure != null && isMemberLoss(unwrap(failure), c.member);
        try {
            if (failure != null) {
                Throwable f = unwrap(failure);
                if (f instanceof CancellationException) {
                    c.cancel(false);
                } else {
                    c.completeExceptionally(memberLost ? failures.memberLost(address, f) : f);
                }
            } else {
                c.complete(decode(c, answer, address));
            }
        } catch (Exception e) {
            c.completeExceptionally(e);
        } catch (Throwable e) {
            c.completeExceptionally(e);
            throw e;
        } finally {
            List<Chunk> send;
            synchronized (this) {
                if (memberLost) {
                    lost.add(c.member.getUuid());
                }
                load.merge(c.member.getUuid(), -1, Integer::sum);
                inFlight--;
                sentChunks.remove(c);
                send = assignLocked();
                notifyAll();
            }
            send(send);
        }
    }

    private Object[] decode(Chunk c, byte[] answer, String address) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(c.loader);
        try {
            Wire.Reader r = new Wire.Reader(answer);
            byte status = r.readByte();
            switch (status) {
                case Wire.OK -> {
                    Object[] out = new Object[r.readInt()];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = r.readValue(codec);
                    }
                    return out;
                }
                case Wire.FAILED -> {
                    String text = r.readString();
                    MemorySegment bytes = r.readBytes();
                    Throwable cause = null;
                    if (bytes.byteSize() > 0) {
                        try {
                            cause = (Throwable) codec.decode(bytes);
                        } catch (CodecException | ClassCastException notHere) {
                            text = text + "\n(the exception could not be decoded here: " + notHere + ")";
                        }
                    }
                    throw new RemoteTaskException(cause != null
                            ? "task failed on member " + address + ": " + cause : text, cause);
                }
                case Wire.MISSING_CLASS -> {
                    String className = r.readString();
                    throw failures.missingClass(address, className, r.readString());
                }
                case Wire.UNDECODABLE -> throw new CodecException(r.readString());
                default -> throw new CodecException("member " + address + " answered with unknown status " + status);
            }
        } finally {
            t.setContextClassLoader(before);
        }
    }

    private boolean isMemberLoss(Throwable f, Member m) {
        if (f instanceof MemberLeftException || f instanceof TargetDisconnectedException
                || f instanceof TargetNotMemberException || f instanceof HazelcastInstanceNotActiveException
                || f instanceof IOException) {
            return true;
        }
        return !client.getCluster().getMembers().contains(m);
    }

    private static Throwable unwrap(Throwable f) {
        while ((f instanceof CompletionException || f instanceof ExecutionException)
                && !(f instanceof MemberLeftException) && f.getCause() != null) {
            f = f.getCause();
        }
        return f;
    }
}
