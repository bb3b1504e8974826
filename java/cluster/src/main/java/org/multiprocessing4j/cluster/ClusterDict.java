package org.multiprocessing4j.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.io.UncheckedIOException;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;

/**
 * A map kept by the cluster (Hazelcast's {@code IMap}, partitioned over the members with one
 * backup): Python's {@code Manager().dict()} for a cluster. Every program connected to the
 * cluster that asks {@link Cluster#dict(String)} for the same name shares it.
 *
 * <h2>Keys and values</h2>
 * Both travel as the bytes of the dict's {@link Codec} ({@link Codec#forUntrustedPeers()} unless
 * another was given), encoded in the calling thread; a value that cannot be encoded throws
 * {@link IllegalArgumentException} (cause: the {@link CodecException}) and nothing is written,
 * one that cannot be decoded throws {@link UncheckedIOException}. <b>Keys are equal when their
 * encodings are</b> (as in every Hazelcast map), not by {@code equals}: use keys whose encoding
 * is deterministic — strings, boxed primitives, records of them — not, say, a {@code HashSet}.
 * The same holds for the values compared by {@link #remove(Object, Object)},
 * {@link #replace(Object, Object, Object)} and {@link #containsValue(Object)}. {@code null} keys
 * and values are not allowed ({@link NullPointerException}). {@code get} of a key that cannot be
 * encoded returns {@code null}, as for any absent key.
 *
 * <h2>Atomicity, views, threads, failures</h2>
 * Single-key operations, {@code putIfAbsent}, {@code replace} and {@code remove(key, value)} are
 * atomic in the cluster. {@link #entrySet()}, {@link #keySet()} and {@link #values()} are views
 * whose iterators walk a snapshot taken when the iterator is made (weakly consistent); their
 * {@code remove} and an entry's {@code setValue} write through. All methods are thread-safe and
 * block until the cluster answers. Once the {@link Cluster} is closed, every method throws
 * {@link com.hazelcast.core.HazelcastInstanceNotActiveException} (an
 * {@link IllegalStateException}).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class ClusterDict<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
    private final IMap<byte[], byte[]> map;
    private final ClusterCodec codec;

    private ClusterDict(IMap<byte[], byte[]> map, Codec codec) {
        this.map = map;
        this.codec = new ClusterCodec(codec);
    }

    static <K, V> ClusterDict<K, V> open(HazelcastInstance client, String name, Codec codec) {
        if (Objects.requireNonNull(name, "name").isEmpty()) {
            throw new IllegalArgumentException("empty dict name");
        }
        return new ClusterDict<>(client.getMap(name), codec);
    }

    /** {@return the dict's name in the cluster} */
    public String name() {
        return map.getName();
    }

    /** Removes the dict and its entries from the cluster (Python's {@code unlink}). */
    public void destroy() {
        map.destroy();
    }

    @Override
    public int size() {
        return map.size();
    }

    @Override
    public boolean isEmpty() {
        return map.isEmpty();
    }

    @Override
    public boolean containsKey(Object key) {
        byte[] k = keyOrNull(key);
        return k != null && map.containsKey(k);
    }

    @Override
    public boolean containsValue(Object value) {
        byte[] v = keyOrNull(value);
        return v != null && map.containsValue(v);
    }

    @Override
    public V get(Object key) {
        byte[] k = keyOrNull(key);
        return k == null ? null : cast(codec.decode(map.get(k)));
    }

    /**
     * Sets {@code key} to {@code value}.
     *
     * @return the previous value, or {@code null}
     * @throws IllegalArgumentException if the key or value cannot be encoded
     */
    @Override
    public V put(K key, V value) {
        return cast(codec.decode(map.put(codec.encode(key), codec.encode(value))));
    }

    @Override
    public V remove(Object key) {
        byte[] k = keyOrNull(key);
        return k == null ? null : cast(codec.decode(map.remove(k)));
    }

    @Override
    public void putAll(Map<? extends K, ? extends V> m) {
        Map<byte[], byte[]> raw = new java.util.HashMap<>();
        for (Map.Entry<? extends K, ? extends V> e : m.entrySet()) {
            raw.put(codec.encode(e.getKey()), codec.encode(e.getValue()));
        }
        map.putAll(raw);
    }

    @Override
    public void clear() {
        map.clear();
    }

    /** Atomic in the cluster. @throws IllegalArgumentException if the key or value cannot be encoded */
    @Override
    public V putIfAbsent(K key, V value) {
        return cast(codec.decode(map.putIfAbsent(codec.encode(key), codec.encode(value))));
    }

    /** Atomic in the cluster; values compare by their encoding. */
    @Override
    public boolean remove(Object key, Object value) {
        byte[] k = keyOrNull(key);
        byte[] v = keyOrNull(value);
        return k != null && v != null && map.remove(k, v);
    }

    /** Atomic in the cluster; values compare by their encoding. @throws IllegalArgumentException if a value cannot be encoded */
    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        return map.replace(codec.encode(key), codec.encode(oldValue), codec.encode(newValue));
    }

    /** Atomic in the cluster. @throws IllegalArgumentException if the key or value cannot be encoded */
    @Override
    public V replace(K key, V value) {
        return cast(codec.decode(map.replace(codec.encode(key), codec.encode(value))));
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return map.size();
            }

            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                List<Map.Entry<byte[], byte[]>> snapshot = new ArrayList<>(map.entrySet());
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < snapshot.size();
                    }

                    @Override
                    public Map.Entry<K, V> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        Map.Entry<byte[], byte[]> e = snapshot.get(next++);
                        K key = cast(codec.decode(e.getKey()));
                        V value = cast(codec.decode(e.getValue()));
                        return new AbstractMap.SimpleEntry<>(key, value) {
                            private static final long serialVersionUID = 1L;

                            @Override
                            public V setValue(V v) {
                                super.setValue(v);
                                return cast(codec.decode(map.put(e.getKey(), codec.encode(v))));
                            }
                        };
                    }

                    @Override
                    public void remove() {
                        if (next == 0) {
                            throw new IllegalStateException("next() was not called");
                        }
                        map.delete(snapshot.get(next - 1).getKey());
                    }
                };
            }

            @Override
            public void clear() {
                map.clear();
            }
        };
    }

    @Override
    public String toString() {
        return "ClusterDict[" + map.getName() + "]";
    }

    /** The encoding of a key or value given as {@code Object}; {@code null} if it cannot be encoded. */
    private byte[] keyOrNull(Object o) {
        Objects.requireNonNull(o, "null keys and values are not allowed");
        try {
            return codec.encode(o);
        } catch (IllegalArgumentException notEncodable) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }
}
