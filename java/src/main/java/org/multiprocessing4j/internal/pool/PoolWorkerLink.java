package org.multiprocessing4j.internal.pool;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.ChildProcess;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.RemoteTaskException;
import org.multiprocessing4j.WorkerDiedException;
import org.multiprocessing4j.internal.jfr.PoolTaskEvent;
import org.multiprocessing4j.platform.Platform;

/**
 * The parent's side of one pool worker: its process, its duplex connection, the tasks it holds,
 * and two platform threads — a writer that sends tasks while the worker's window has room, and a
 * reader that receives results. Reading and writing on separate threads means neither side can
 * block the other with a full socket buffer; platform threads, because both block in native
 * reads and writes (a virtual thread would pin its carrier).
 *
 * <p>Invariants, all guarded by the pool lock: {@code held} is exactly the tasks sent to this
 * worker and not yet answered, in the order sent, which is the order the worker runs and answers
 * them; a task is in at most one worker's {@code held}; once {@code dead} is set, nothing is
 * added to {@code held} (a writer that loses that race puts its batch back in the pool's queue:
 * those tasks never reached the worker).
 *
 * <p>Window: the number of tasks held is kept near {@link #TARGET_NANOS} of work, estimated from
 * the run times the worker reports (a moving average), between 1 and {@link #MAX_WINDOW}: fast
 * tasks are pipelined deeply (so the worker never waits for the next one and one system call
 * carries many), slow ones are held one or two at a time (so an idle worker is never starved by
 * a busy one's backlog, and a death fails little). A worker whose oldest task has run for
 * {@link #STALL_NANOS} gets nothing more until it answers, whatever the estimate.
 *
 * <p>Receiving: the reader thread, or a thread waiting in {@code get()} for one of this worker's
 * results ({@link #pump()}), which then needs no wake-up; {@code recvToken} makes them take
 * turns. Sending: the writer thread, or a submitting thread that finds the worker with room
 * ({@link #tryDispatch()}); {@code sendLock} makes them take turns. A thread that is receiving
 * never sends, so a full socket buffer on each side cannot deadlock.
 *
 * <p>Whatever is thrown where, every task taken from the pool's queue is answered, failed or put
 * back: a task whose argument cannot be encoded (an exception or an {@link Error} from the codec,
 * out of memory) fails alone; anything else that goes wrong between taking a batch and sending
 * it, an answer that does not match the tasks held, or a frame that cannot be handled, leaves
 * the wire and the function mirror in an unknown state, so the worker is killed
 * ({@link #abandon}): its tasks fail with {@link WorkerDiedException}, whose cause says why, and
 * the pool replaces it.
 */
public final class PoolWorkerLink {
    public static final int MAX_WINDOW = 2048;
    public static final int INITIAL_WINDOW = 4;
    private static final long TARGET_NANOS = 2_000_000;
    /** A worker whose current task has run this long gets nothing more until it answers. */
    private static final long STALL_NANOS = 5_000_000;
    private static final long JOIN_GRACE_MILLIS = 5_000;

    final PoolCore core;
    final ChildProcess process;
    final Connection conn;
    final String name;
    final int pid;
    final Condition wake;

    // Guarded by core.lock.
    final ArrayDeque<PoolTask> held = new ArrayDeque<>();
    boolean ready;
    boolean dead;
    /** No more tasks: STOP was sent (shutdown or maxTasksPerChild) or the pool is stopping. */
    boolean stopSent;
    /** Will take no more tasks because of maxTasksPerChild; a replacement is on its way. */
    boolean retiring;
    int reserved;
    long dispatched;
    int window = INITIAL_WINDOW;
    private long nextTaskId;
    private double nanosPerTask = -1;
    /** When the oldest held task became the oldest (sent to an idle worker, or the last answer). */
    private long headSince;

    /** Threads spinning in {@code get()} for a result of this worker, receiving themselves. */
    final AtomicInteger pumpers = new AtomicInteger();
    /** How long the reader thread stands by while callers receive. */
    private static final long STANDBY_NANOS = 100_000;
    /** Serializes receiving between the reader thread and waiting callers ({@link #pump()}). */
    private final ReentrantLock recvToken = new ReentrantLock();
    /** Serializes sending: the sink, the mirror, and the order of {@code held} and the wire. */
    final ReentrantLock sendLock = new ReentrantLock();
    // Guarded by sendLock.
    private boolean sinkClosed;
    private final List<PoolTask> unsendable = new ArrayList<>();
    private final List<Throwable> unsendableWhy = new ArrayList<>();
    private final ByteSink sink = new ByteSink(64 * 1024);
    private final Map<Long, Boolean> mirror = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > PoolWire.FUNCTION_CACHE;
        }
    };

    private final Thread reader;
    private final Thread writer;
    /** Why this link killed its worker, if it did: the cause of its tasks' failure. */
    private volatile Throwable abandonedFor;
    /**
     * A frame could not be handled: the worker is being ended, and nothing it sends counts any
     * more (an answer handled after that would complete a task the failure left held, while
     * the tasks before it fail). Set with {@code recvToken} held.
     */
    private volatile boolean receiveBroken;

    PoolWorkerLink(PoolCore core, ChildProcess process, Connection conn) {
        this.core = core;
        this.process = process;
        this.conn = conn;
        this.name = process.name();
        this.pid = process.pid();
        this.wake = core.lock.newCondition();
        this.reader = Thread.ofPlatform().daemon().name("mp4j-pool-" + name + "-reader")
                .unstarted(this::readLoop);
        this.writer = Thread.ofPlatform().daemon().name("mp4j-pool-" + name + "-writer")
                .unstarted(this::writeLoop);
    }

    void startThreads() {
        reader.start();
        writer.start();
    }

    /** {@return how many more tasks this worker should get now} Called with the pool lock. */
    int room() {
        if (!ready || dead || stopSent || retiring) {
            return 0;
        }
        if (!held.isEmpty() && System.nanoTime() - headSince > STALL_NANOS) {
            return 0; // stuck in a long task, whatever the estimate says: send elsewhere
        }
        return Math.max(0, window - held.size() - reserved);
    }

    // ------------------------------------------------------------------ writer

    /**
     * The writer thread: waits until this worker has room and the pool has tasks (or it is time
     * to send STOP), then dispatches.
     */
    private void writeLoop() {
        try {
            for (;;) {
                core.lock.lock();
                try {
                    for (;;) {
                        if (dead || core.stopping() || stopSent) {
                            return;
                        }
                        if ((room() > 0 && core.hasWork()) || core.shouldStop(this)) {
                            break;
                        }
                        wake.awaitUninterruptibly();
                    }
                } finally {
                    core.lock.unlock();
                }
                sendLock.lock();
                try {
                    dispatch();
                } finally {
                    sendLock.unlock();
                }
                failUnsendable();
            }
        } catch (IOException | RuntimeException | Error e) {
            core.log(System.Logger.Level.ERROR, "pool writer for " + name + " failed", e);
            killQuietly();
        } finally {
            sendLock.lock();
            try {
                sinkClosed = true;
                sink.close();
            } finally {
                sendLock.unlock();
            }
            failUnsendable();
        }
    }

    /**
     * Sends this worker its share of the queued tasks (and STOP if it is time), if any, from
     * the calling thread — the writer, or a submitting thread that found the worker idle (which
     * saves a thread hand-off on the way to the worker). Never called by the reader: a reader
     * blocked sending while the worker is blocked sending results would deadlock.
     *
     * @return whether anything was sent
     */
    boolean dispatch() throws IOException {
        assert sendLock.isHeldByCurrentThread();
        List<PoolTask> batch = new ArrayList<>();
        boolean stop;
        core.lock.lock();
        try {
            if (dead || stopSent || core.stopping()) {
                return false;
            }
            try {
                core.takeFor(this, batch);
            } catch (Throwable e) {
                core.requeue(batch); // taken, never encoded: back at the head of the queue
                throw e;
            }
            stop = core.shouldStop(this);
            if (batch.isEmpty() && !stop) {
                return false;
            }
            if (stop) {
                stopSent = true;
            }
            reserved = batch.size();
        } finally {
            core.lock.unlock();
        }
        List<PoolTask> sent;
        try {
            sent = encode(batch);
            if (stop) {
                sink.writeByte(PoolWire.STOP);
            }
        } catch (Throwable e) {
            // encode() fails a task it cannot encode by itself: this is the sink or the mirror
            // failing, and what the worker would get (and has cached) is no longer known.
            abandon(batch, e);
            return false;
        }
        core.lock.lock();
        try {
            reserved = 0;
            if (dead) {
                core.requeue(sent); // never reached the worker
                return false;
            }
            if (held.isEmpty()) {
                headSince = System.nanoTime();
            }
            long now = 0;
            for (PoolTask t : sent) {
                t.id = ++nextTaskId;
                held.add(t);
                if (t.queuedAt != 0) { // queued during a recording: see PoolTaskEvent
                    t.sentAt = now == 0 ? (now = System.nanoTime()) : now;
                }
                if (t.job instanceof PoolFuture<?> f) {
                    f.holder = this;
                }
            }
        } finally {
            core.lock.unlock();
        }
        if (sink.size() > 0) {
            try {
                conn.sendBytes(sink.segment());
            } catch (IOException gone) {
                return false; // the reader sees the end of stream and fails what is held
            } catch (Throwable e) {
                abandon(List.of(), e); // held, perhaps half sent: the worker's death fails them
                return false;
            }
        }
        if (stop && retiring) {
            core.replaceRetired(this);
        }
        return true;
    }

    /**
     * Gives up on this worker after a failure that leaves what it was sent, or what it caches,
     * unknown: {@code batch} (taken, not held) fails with {@code why} (but for the tasks
     * {@link #encode} already failed), the link takes nothing more, and the worker is killed, so
     * that the tasks it holds fail when the reader sees its end. If it was retiring, it is
     * replaced as any worker that died. Sending thread, with {@code sendLock}.
     */
    private void abandon(List<PoolTask> batch, Throwable why) {
        abandonedFor = why;
        Set<PoolTask> failing = Collections.newSetFromMap(new IdentityHashMap<>());
        failing.addAll(unsendable);
        for (PoolTask t : batch) {
            if (failing.add(t)) {
                unsendable.add(t);
                unsendableWhy.add(why);
            }
        }
        core.lock.lock();
        try {
            reserved = 0;
            dead = true; // nothing more is sent or added to held
            retiring = false;
            wake.signalAll();
        } finally {
            core.lock.unlock();
        }
        core.log(System.Logger.Level.ERROR, "cannot send to pool worker " + name
                + "; killing it", why);
        killQuietly();
    }

    /**
     * A submitting thread's attempt to send to this worker itself; gives up at once if another
     * thread is sending to it.
     */
    void tryDispatch() {
        if (sendLock.isHeldByCurrentThread() || !sendLock.tryLock()) {
            return;
        }
        try {
            if (!sinkClosed) {
                dispatch();
            }
        } catch (Throwable e) {
            // Not the submitter's failure (its task may be queued, or fail on its own): the
            // writer thread sends what is queued.
            core.log(System.Logger.Level.WARNING, "sending to pool worker " + name + " failed", e);
        } finally {
            sendLock.unlock();
        }
        failUnsendable();
    }

    /**
     * Fails the tasks whose arguments could not be encoded, outside {@code sendLock}: failing a
     * job may run callbacks, which may submit (and send) again.
     */
    private void failUnsendable() {
        List<PoolTask> failed;
        List<Throwable> why;
        sendLock.lock();
        try {
            if (unsendable.isEmpty()) {
                return;
            }
            failed = new ArrayList<>(unsendable);
            why = new ArrayList<>(unsendableWhy);
            unsendable.clear();
            unsendableWhy.clear();
        } finally {
            sendLock.unlock();
        }
        for (int i = 0; i < failed.size(); i++) {
            try {
                failed.get(i).job.failed(failed.get(i), why.get(i));
            } catch (Throwable e) {
                core.log(System.Logger.Level.ERROR, "failing a pool task failed", e);
            }
        }
    }

    /**
     * Encodes the batch into {@code sink} (with DEFINE records for functions the worker lacks)
     * and returns the tasks encoded; a task that cannot be encoded — whatever the codec or the
     * sink throws, an {@link Error} too — leaves nothing in the sink or the mirror and goes to
     * {@code unsendable}, to be failed once {@code sendLock} is released.
     * Sending thread, with {@code sendLock}.
     */
    private List<PoolTask> encode(List<PoolTask> batch) {
        sink.reset();
        List<PoolTask> sent = new ArrayList<>(batch.size()); // add() never allocates
        Codec codec = conn.codec();
        for (PoolTask t : batch) {
            PoolFunction fn = t.fn;
            long mark = sink.size();
            try {
                // The mirror changes only once the task is in the sink, in the order the worker
                // will apply them (the DEFINE puts, the TASK touches).
                boolean define = !mirror.containsKey(fn.id());
                if (define) {
                    sink.writeByte(PoolWire.DEFINE);
                    sink.writeLong(fn.id());
                    PoolWire.writeEncoded(sink, fn.encoded());
                }
                sink.writeByte(PoolWire.TASK);
                sink.writeLong(nextTaskId + sent.size() + 1);
                sink.writeLong(fn.id());
                sink.writeByte(t.kind);
                sink.writeInt(t.count);
                int values = t.kind == PoolWire.APPLY ? t.count
                        : t.kind == PoolWire.STAR ? 2 * t.count : 0;
                for (int i = 0; i < values; i++) {
                    PoolWire.writeValue(sink, codec, t.args[t.offset + i]);
                }
                if (define) {
                    mirror.put(fn.id(), Boolean.TRUE);
                }
                mirror.get(fn.id()); // the worker touches it when it reads the TASK
                sent.add(t);
            } catch (Throwable e) {
                // An Error too (a codec's own, a stack overflow, out of memory): the task's
                // bytes are dropped and the other tasks go on.
                sink.truncate(mark);
                unsendable.add(t);
                unsendableWhy.add(new IllegalArgumentException(
                        "a task's argument cannot be sent to a pool worker: "
                        + (e instanceof Error ? e.toString() : e.getMessage()), e));
            }
        }
        return sent;
    }

    // ------------------------------------------------------------------ reader

    /**
     * The reader thread: waits until the connection is readable, then handles every frame there
     * is. A thread waiting for one of this worker's results may handle frames too
     * ({@link #pump()}); {@code recvToken} makes them take turns, so frames are handled in order.
     */
    private void readLoop() {
        Throwable broken = null;
        try {
            for (;;) {
                if (pumpers.get() > 0) {
                    // A caller is receiving for us: stay out of its way (no wake-up per answer,
                    // no queueing on the token), and look again shortly.
                    LockSupport.parkNanos(STANDBY_NANOS);
                    continue;
                }
                conn.poll(null);
                if (!recvToken.tryLock()) {
                    continue; // a caller is receiving: it handles what is there
                }
                try {
                    while (conn.poll()) {
                        handle(conn.recvBytes());
                    }
                } finally {
                    recvToken.unlock();
                }
            }
        } catch (java.io.EOFException | java.nio.channels.ClosedChannelException ended) {
            // the worker exited (or died)
        } catch (IOException | RuntimeException | Error e) {
            broken = e;
            killQuietly();
        }
        ended(broken);
    }

    /**
     * Handles the frames already received, if no other thread is doing so; for a thread waiting
     * for a result of this worker, which then needs no wake-up from the reader thread. Never
     * blocks; errors are left for the reader thread to see.
     */
    void pump() {
        if (!recvToken.tryLock()) {
            Thread.onSpinWait();
            return;
        }
        try {
            while (!dead && conn.poll()) {
                handle(conn.recvBytes());
            }
        } catch (java.io.EOFException | java.nio.channels.ClosedChannelException ended) {
            // the reader thread sees the end of stream too, and handles it
        } catch (Throwable e) {
            // A frame received here and not handled is gone: the reader would never see it,
            // and its tasks would wait forever. End the worker; the reader fails what it held.
            abandonedFor = e;
            killQuietly();
        } finally {
            recvToken.unlock();
        }
    }

    /**
     * Whether this thread is handling answers (and so may run completion callbacks): such a
     * thread must never block sending to a worker, since the worker may be blocked sending to
     * us and this thread holds the right to receive.
     */
    static final ThreadLocal<Boolean> RECEIVING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private void handle(byte[] frame) throws IOException {
        if (receiveBroken) {
            return; // the worker is being ended: its tasks fail when the reader sees its end
        }
        RECEIVING.set(Boolean.TRUE);
        try {
            handleFrame(frame);
        } catch (Throwable e) {
            receiveBroken = true; // before recvToken is released: no frame after this one counts
            throw e;
        } finally {
            RECEIVING.set(Boolean.FALSE);
        }
    }

    private void handleFrame(byte[] frame) throws IOException {
        Codec codec = conn.codec();
        PoolWire.Reader in = new PoolWire.Reader(frame, codec);
        List<PoolTask> tasks = new ArrayList<>();
        List<Object> outcomes = new ArrayList<>();
        long ran = 0;
        while (in.hasMore()) {
            byte tag = in.readByte();
            switch (tag) {
                case PoolWire.READY -> core.workerReady(this);
                case PoolWire.INIT_FAILED -> core.initializerFailed(this,
                        in.readFailure().toException("the initializer of pool worker " + name
                                + " (pid " + pid + ")"));
                case PoolWire.RESULT -> {
                    tasks.add(null);
                    long id = in.readLong();
                    long took = in.readLong();
                    ran += took;
                    int count = in.readInt();
                    Object[] results = new Object[count];
                    Throwable bad = null;
                    for (int i = 0; i < count; i++) {
                        try {
                            results[i] = in.readValue(); // consumes the bytes even if it throws
                        } catch (Throwable e) { // a codec's Error or out of memory: this task only
                            bad = bad == null ? e : bad;
                        }
                    }
                    outcomes.add(new Answer(id, bad == null ? results : new RemoteTaskException(
                            "a result from pool worker " + name + " cannot be decoded: "
                            + bad, bad), took));
                }
                case PoolWire.ERROR -> {
                    tasks.add(null);
                    long id = in.readLong();
                    long took = in.readLong();
                    ran += took;
                    outcomes.add(new Answer(id, in.readFailure().toException(
                            "a task in pool worker " + name + " (pid " + pid + ")"), took));
                }
                default -> throw new IOException("unknown record 0x" + Integer.toHexString(tag)
                        + " from pool worker " + name);
            }
        }
        if (outcomes.isEmpty()) {
            return;
        }
        core.lock.lock();
        try {
            // Check every answer before taking any task from held: on a mismatch the worker is
            // ended with all its tasks still held, so that each of them fails.
            Iterator<PoolTask> expected = held.iterator();
            for (int i = 0; i < outcomes.size(); i++) {
                Answer a = (Answer) outcomes.get(i);
                PoolTask t = expected.hasNext() ? expected.next() : null;
                if (t == null || t.id != a.id) {
                    throw new IOException("pool protocol error: worker " + name + " answered task "
                            + a.id + ", expected " + (t == null ? "none" : t.id));
                }
                if (a.outcome instanceof Object[] results && results.length != t.count) {
                    throw new IOException("pool protocol error: worker " + name + " answered task "
                            + a.id + " with " + results.length + " results for " + t.count
                            + " items");
                }
            }
            for (int i = 0; i < outcomes.size(); i++) {
                tasks.set(i, held.poll());
            }
            headSince = System.nanoTime();
            // The worker says how long its tasks ran: IPC and scheduling delays do not count.
            // A moving average per task (weight 1/4 each), so a frame of many answers counts for
            // many: the first, slow answers of a cold JVM are forgotten within a few frames. A
            // frame may raise the estimate at most 4-fold: one task caught by a collection, a
            // compilation or preemption must not collapse the window (tasks that really became
            // slower raise it within a few answers, and a stalled worker gets nothing meanwhile).
            double sample = (double) ran / outcomes.size();
            if (nanosPerTask > 0) {
                sample = Math.min(sample, 4 * nanosPerTask);
            }
            nanosPerTask = nanosPerTask < 0 ? sample
                    : sample + (nanosPerTask - sample) * Math.pow(0.75, outcomes.size());
            window = (int) Math.max(nanosPerTask < TARGET_NANOS / 2 ? 2 : 1,
                    Math.min(MAX_WINDOW, TARGET_NANOS / Math.max(1, nanosPerTask)));
            core.answered(this);
        } finally {
            core.lock.unlock();
        }
        for (int i = 0; i < outcomes.size(); i++) {
            Answer a = (Answer) outcomes.get(i);
            PoolTask t = tasks.get(i);
            if (t.queuedAt != 0 && PoolTaskEvent.PROBE.isEnabled()) {
                PoolTaskEvent event = new PoolTaskEvent();
                event.worker = name;
                event.pid = pid;
                event.items = t.count;
                event.queueTime = t.sentAt - t.queuedAt;
                event.runTime = a.ran;
                event.failed = !(a.outcome instanceof Object[]);
                event.commit();
            }
            try {
                if (a.outcome instanceof Object[] results) {
                    t.job.completed(t, results);
                } else {
                    t.job.failed(t, (Throwable) a.outcome);
                }
            } catch (Throwable e) { // taken from held: it must complete, and the others too
                try {
                    t.job.failed(t, e);
                } catch (Throwable again) {
                    core.log(System.Logger.Level.ERROR, "completing a pool task failed", again);
                }
            }
        }
    }

    /** One answer: the task's id, its results or failure, and how long the worker ran it. */
    private record Answer(long id, Object outcome, long ran) {
    }

    /** The worker's connection ended: reap it, fail what it held, let the pool replace it. */
    private void ended(Throwable broken) {
        List<PoolTask> lost;
        core.lock.lock();
        try {
            dead = true;
            lost = new ArrayList<>(held);
            held.clear();
            wake.signalAll();
        } finally {
            core.lock.unlock();
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int exitCode = reap();
        conn.close();
        try {
            process.close();
        } catch (IllegalStateException stillRunning) {
            core.log(System.Logger.Level.WARNING, "pool worker " + name + " could not be reaped", null);
        }
        core.workerEnded(this, exitCode, lost, broken != null ? broken : abandonedFor);
    }

    private int reap() {
        try {
            if (!process.join(Duration.ofMillis(JOIN_GRACE_MILLIS))) {
                process.kill();
                process.join();
            }
            return process.exitCode().orElse(Integer.MIN_VALUE);
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return Integer.MIN_VALUE;
        }
    }

    /** Delivers {@code how} to the worker; nothing if it has been reaped or closed. */
    void stop(Platform.Stop how) {
        try {
            switch (how) {
                case KILL -> process.kill();
                case TERMINATE -> process.terminate();
                case INTERRUPT -> process.interrupt();
            }
        } catch (IOException | IllegalStateException alreadyGone) {
            // reaped or closed: nothing to stop
        }
    }

    private void killQuietly() {
        stop(Platform.Stop.KILL);
    }

    @Override
    public String toString() {
        return name;
    }
}
