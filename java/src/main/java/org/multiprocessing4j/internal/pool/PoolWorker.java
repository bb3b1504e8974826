package org.multiprocessing4j.internal.pool;

import java.io.EOFException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.ProcessPool;
import org.multiprocessing4j.Task;

/**
 * The loop a {@link ProcessPool} worker runs in its child JVM (see {@link PoolWire} for the
 * messages): run the initializer, say READY, then execute TASK records in the order they arrive
 * and send their results back, batched.
 *
 * <p>Batching: results are appended to one buffer and sent when the frame's tasks are done and
 * no further frame is already waiting, when the buffer passes {@link #FLUSH_BYTES}, or when
 * {@link #FLUSH_NANOS} have passed since the last send (so a slow task's finished neighbours are
 * not held back). The worker is single-threaded; it exits when it reads STOP or end of stream.
 */
public final class PoolWorker {
    private static final int FLUSH_BYTES = 32 * 1024;
    private static final long FLUSH_NANOS = 200_000;
    private static final long IDLE_SPIN_NANOS = 100_000;

    private final Connection conn;
    private final Codec codec;
    private final ByteSink out = new ByteSink(FLUSH_BYTES * 2);
    private final Map<Long, Object> functions = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Object> eldest) {
            return size() > PoolWire.FUNCTION_CACHE;
        }
    };
    private long lastFlush = System.nanoTime();

    private PoolWorker(Connection conn) {
        this.conn = conn;
        this.codec = conn.codec();
    }

    /**
     * The task a worker process runs: {@link #serve}. A record rather than a lambda: deserializing
     * it in the new JVM neither spins a lambda class nor initializes the class that wrote it (a
     * lambda in {@link PoolCore} would initialize PoolCore, and with it its logger and
     * {@code java.util.logging}, in every worker).
     *
     * @param conn the worker's end of its connection to the pool
     * @param initializer run once before the first task, or {@code null}
     */
    record Start(Connection conn, Task initializer) implements Task {
        private static final long serialVersionUID = 1L;

        @Override
        public void run() throws Exception {
            serve(conn, initializer);
        }
    }

    /** Entry point in the worker JVM; returns when told to stop or when the pool is gone. */
    static void serve(Connection conn, Task initializer) throws Exception {
        PoolWorker w = new PoolWorker(conn);
        try {
            if (initializer != null) {
                try {
                    initializer.run();
                } catch (Throwable t) {
                    w.out.writeByte(PoolWire.INIT_FAILED);
                    PoolWire.writeFailure(w.out, w.codec, t);
                    w.flush();
                    throw t;
                }
            }
            w.out.writeByte(PoolWire.READY);
            w.flush();
            w.loop();
        } finally {
            w.out.close();
            conn.close();
        }
    }

    private void loop() throws IOException {
        for (;;) {
            awaitFrame();
            byte[] frame;
            try {
                frame = conn.recvBytes();
            } catch (EOFException poolGone) {
                return;
            }
            PoolWire.Reader in = new PoolWire.Reader(frame, codec);
            while (in.hasMore()) {
                byte tag = in.readByte();
                switch (tag) {
                    case PoolWire.DEFINE -> define(in);
                    case PoolWire.TASK -> execute(in);
                    case PoolWire.STOP -> {
                        flush();
                        return;
                    }
                    default -> throw new IOException("unknown pool record 0x"
                            + Integer.toHexString(tag));
                }
                if (out.size() >= FLUSH_BYTES
                        || (out.size() > 0 && System.nanoTime() - lastFlush > FLUSH_NANOS)) {
                    flush();
                }
            }
            if (out.size() > 0 && !conn.poll()) {
                flush();
            }
        }
    }

    /**
     * Polls for the next frame for up to {@link #IDLE_SPIN_NANOS} before the receive blocks: the
     * parent's turn-around (answer received, next task sent) often takes longer than the
     * connection's own spin, and a worker asleep in the kernel costs tens of microseconds to wake.
     */
    private void awaitFrame() throws IOException {
        if (conn.poll()) {
            return;
        }
        long deadline = System.nanoTime() + IDLE_SPIN_NANOS;
        while (System.nanoTime() - deadline < 0) {
            if (conn.poll()) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    private void define(PoolWire.Reader in) {
        long id = in.readLong();
        Object fn;
        try {
            fn = in.readValue();
        } catch (CodecException | RuntimeException e) {
            fn = new Undecodable(e); // still cached: the parent's mirror of this LRU must match
        }
        functions.put(id, fn);
    }

    /** A function that could not be decoded here; tasks using it fail with the reason. */
    private record Undecodable(Throwable reason) {
    }

    private void execute(PoolWire.Reader in) throws IOException {
        long taskId = in.readLong();
        long fnId = in.readLong();
        byte kind = in.readByte();
        int count = in.readInt();
        Object fn = functions.get(fnId);
        int values = kind == PoolWire.APPLY ? count : kind == PoolWire.STAR ? 2 * count : 0;
        long items = in.position();
        for (int i = 0; i < values; i++) {
            in.skipValue();
        }
        long end = in.position();
        in.position(items);
        long start = out.size();
        long began = System.nanoTime();
        out.writeByte(PoolWire.RESULT);
        out.writeLong(taskId);
        long took = out.skip(8);
        out.writeInt(count);
        int done = 0;
        try {
            if (fn == null) {
                throw new IllegalStateException("pool protocol error: function " + fnId
                        + " is not cached in this worker");
            }
            if (fn instanceof Undecodable u) {
                throw new IllegalStateException("the task's function could not be decoded in the"
                        + " worker: " + u.reason(), u.reason());
            }
            for (; done < count; done++) {
                Object result = run(fn, kind, in);
                PoolWire.writeValue(out, codec, result);
            }
            out.writeLongAt(took, System.nanoTime() - began);
        } catch (Throwable t) {
            in.position(end); // the items not run
            out.truncate(start);
            out.writeByte(PoolWire.ERROR);
            out.writeLong(taskId);
            out.writeLong(System.nanoTime() - began);
            // Errors too: an OutOfMemoryError in a task leaves its garbage collectable, and the
            // worker carries on (with -XX:+ExitOnOutOfMemoryError the JVM exits instead, and
            // the pool replaces it).
            PoolWire.writeFailure(out, codec, t);
        }
    }

    @SuppressWarnings("unchecked")
    private static Object run(Object fn, byte kind, PoolWire.Reader in) throws Exception {
        return switch (kind) {
            case PoolWire.APPLY -> ((ProcessPool.SerializableFunction<Object, Object>) fn)
                    .apply(in.readValue());
            case PoolWire.STAR -> {
                Object a = in.readValue();
                Object b = in.readValue();
                yield ((ProcessPool.SerializableBiFunction<Object, Object, Object>) fn).apply(a, b);
            }
            case PoolWire.CALL -> ((Callable<Object>) fn).call();
            case PoolWire.RUN -> {
                ((Runnable) fn).run();
                yield null;
            }
            default -> throw new IllegalStateException("unknown task kind " + kind);
        };
    }

    private void flush() throws IOException {
        if (out.size() > 0) {
            conn.sendBytes(out.segment());
            out.reset();
        }
        lastFlush = System.nanoTime();
    }
}
