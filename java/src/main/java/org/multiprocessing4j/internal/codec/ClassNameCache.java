package org.multiprocessing4j.internal.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers, per class loader, which record class {@code Class.forName(name, false, loader)}
 * returned, so that decoding a RECORD value neither calls {@code Class.forName} nor builds a
 * {@code String} of the name each time. The answer is the same as calling it again: the JVM
 * records a loader as an initiating loader of the classes it resolves and returns that class
 * for the name from then on.
 *
 * <p>Holds neither loaders nor classes strongly: a loader and the classes it sees can still be
 * unloaded. Only record classes are remembered, so the cache grows at most by the record
 * classes a loader can load. Failures are not remembered. Thread-safe.
 */
final class ClassNameCache {

    private static final ValueLayout.OfLong LONG_UNALIGNED = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int HOT_SLOTS = 32; // a power of two

    /** Names per loader; nothing in a value refers strongly to a class, so to its key. */
    private static final Map<ClassLoader, Names> BY_LOADER = Collections.synchronizedMap(new WeakHashMap<>());

    /** The last loader looked up, and its names: the hot path skips the synchronized map. */
    private static volatile Recent recent = new Recent(new WeakReference<>(null), new Names());

    private record Recent(WeakReference<ClassLoader> loader, Names names) {
    }

    /** One name resolved by one loader. Immutable, so safely published by a racy array write. */
    private record Hit(MemorySegment name, WeakReference<Class<?>> type) {
    }

    /** The names one loader resolved to record classes. */
    private static final class Names {
        final Map<String, WeakReference<Class<?>>> byName = new ConcurrentHashMap<>();
        /** Recent hits by a hash of the encoded name; racy on purpose, a miss just goes slow. */
        final Hit[] hot = new Hit[HOT_SLOTS];
    }

    private ClassNameCache() {
    }

    /**
     * Returns {@code Class.forName(name, false, loader)} for the UTF-8 name at
     * {@code in[offset, offset + length)}, from the cache if this loader already resolved this
     * name to a record class.
     *
     * @param in the bytes holding the name
     * @param offset where the name starts
     * @param length its length in bytes, {@code >= 1}, within {@code in}
     * @param loader the loader; {@code null} (the bootstrap loader) is not cached
     * @return the class
     * @throws ClassNotFoundException if the loader cannot find it
     * @throws LinkageError if loading it fails
     */
    static Class<?> resolve(MemorySegment in, long offset, int length, ClassLoader loader)
            throws ClassNotFoundException {
        if (loader == null) {
            return Class.forName(utf8(in, offset, length), false, null);
        }
        Names names = namesOf(loader);
        int slot = slot(in, offset, length);
        Hit hit = names.hot[slot];
        if (hit != null && hit.name().byteSize() == length
                && MemorySegment.mismatch(in, offset, offset + length, hit.name(), 0, length) == -1) {
            Class<?> type = hit.type().get();
            if (type != null) {
                return type;
            }
        }
        String name = utf8(in, offset, length);
        WeakReference<Class<?>> cached = names.byName.get(name);
        Class<?> type = cached == null ? null : cached.get();
        if (type == null) {
            type = Class.forName(name, false, loader);
            if (!type.isRecord()) {
                return type;
            }
            cached = new WeakReference<>(type);
            names.byName.put(name, cached);
        }
        names.hot[slot] = new Hit(MemorySegment.ofArray(in.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)),
                cached);
        return type;
    }

    private static String utf8(MemorySegment in, long offset, int length) {
        return new String(in.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Hashes the length and the last (up to) eight bytes: names differ most at their ends. */
    private static int slot(MemorySegment in, long offset, int length) {
        long tail;
        if (length >= 8) {
            tail = in.get(LONG_UNALIGNED, offset + length - 8);
        } else {
            tail = 0;
            for (int i = 0; i < length; i++) {
                tail = (tail << 8) | (in.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF);
            }
        }
        long h = (tail ^ length) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 59) & (HOT_SLOTS - 1);
    }

    private static Names namesOf(ClassLoader loader) {
        Recent r = recent;
        if (r.loader().get() == loader) {
            return r.names();
        }
        Names names = BY_LOADER.computeIfAbsent(loader, l -> new Names());
        recent = new Recent(new WeakReference<>(loader), names);
        return names;
    }
}
