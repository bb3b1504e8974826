package org.multiprocessing4j.internal.pool;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.multiprocessing4j.ByteSink;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;

/**
 * A function (or callable, or runnable) on its way to the workers: encoded once, in the calling
 * thread, and known to the workers by {@code id}, so each worker receives it once per job rather
 * than once per task.
 *
 * @param id the pool-wide id
 * @param encoded the codec's encoding of the function
 */
public record PoolFunction(long id, byte[] encoded) {
    private static final AtomicLong IDS = new AtomicLong();
    private static final int CACHE = 256;

    /** Stateless functions (no instance fields: non-capturing lambdas, method references) by class. */
    private static final ClassValue<Boolean> STATELESS = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                    if (!java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                        return false;
                    }
                }
            }
            return true;
        }
    };

    /** Encodings of recently used stateless functions, by identity (the JVM reuses their instances). */
    private record Identity(Object fn) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Identity i && i.fn == fn;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(fn);
        }
    }

    private static final Map<Identity, PoolFunction> RECENT = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Identity, PoolFunction> eldest) {
            return size() > CACHE;
        }
    };

    /**
     * {@return {@code fn} encoded with {@code codec}} A stateless function used recently is not
     * encoded again.
     *
     * @throws NullPointerException if {@code fn} is null
     * @throws IllegalArgumentException if {@code fn} cannot be encoded (not serializable, or it
     *     captures something that is not)
     */
    public static PoolFunction of(Object fn, Codec codec) {
        java.util.Objects.requireNonNull(fn, "task");
        if (!(fn instanceof java.io.Serializable)) {
            throw new IllegalArgumentException("a pool task must be Serializable so that it can be sent"
                    + " to a worker process: " + fn.getClass().getName() + " is not (use a lambda"
                    + " typed as ProcessPool.SerializableCallable, SerializableRunnable or"
                    + " SerializableFunction)");
        }
        boolean stateless = codec == Codec.defaults() && STATELESS.get(fn.getClass());
        if (stateless) {
            synchronized (RECENT) {
                PoolFunction f = RECENT.get(new Identity(fn));
                if (f != null) {
                    return f;
                }
            }
        }
        byte[] bytes;
        try (ByteSink sink = new ByteSink(256)) {
            codec.encode(fn, sink);
            bytes = sink.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        } catch (CodecException e) {
            throw new IllegalArgumentException("the task cannot be sent to a pool worker: "
                    + e.getMessage() + " (captured values travel by serialization)", e);
        }
        PoolFunction f = new PoolFunction(IDS.incrementAndGet(), bytes);
        if (stateless) {
            synchronized (RECENT) {
                RECENT.put(new Identity(fn), f);
            }
        }
        return f;
    }
}
