package org.multiprocessing4j.internal.codec;

import java.io.InvalidObjectException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bounds the expanded size of one deserialized value (see {@code Codec.Builder.maxExpandedSize}),
 * which is what hashing and comparing its nested collections can cost. One instance per decode,
 * confined to the decoding thread.
 *
 * <p>{@link #completed(Object)} is called for every object as soon as it is completed (from
 * {@link java.io.ObjectInputStream#resolveObject}), children before their parent. It computes the
 * object's size from the sizes already known of what it holds and adds it to the total:
 *
 * <pre>
 * size(o) = 1 + sum of size(x) over the x o holds, if o is a JDK Collection or Map (elements,
 *               keys and values), an Object[] (elements) or a record (its reference components)
 * size(o) = 1 otherwise (strings, boxes, enums, other classes); size(null) = 0
 * total   = sum of size(o) over the objects completed so far
 * </pre>
 *
 * A shared child is counted once per reference to it, exactly as {@code hashCode} and
 * {@code equals} walk it. A child not completed yet (a back-reference to an object still being
 * read, that is a cycle) counts its shallow size (1 plus how many things it holds now). Why this bounds the hashing: a {@code HashSet} or
 * {@code HashMap} hashes an element only after the element is completed, and an element's hash
 * walks at most size(element) objects, which the total already holds. What escapes the count
 * are classes whose {@code hashCode} walks objects this class cannot see (a user-defined
 * collection, a record in a module not open to this library): those classes are either the
 * user's own (trusted) or rejected by the allow-list of a codec for unauthenticated peers.
 *
 * <p>Two costs escape it. A back-reference is not seen here (resolveObject is not called for
 * it), so a hand-made stream that repeats a reference to one completed key n times inside one
 * hash collection makes it hash that key n times while the collection, which keeps the key once,
 * counts it once. And keys with equal hash codes that are not {@code Comparable} cost
 * {@code HashMap} quadratic time in {@code equals} calls whatever their sizes (measured: 16384
 * distinct one-string sets with one hash code, 852 KB, take ~42 s to decode).
 */
final class ExpandedSize {

    /** Raised when the limit is exceeded; {@link DefaultCodec} turns it into a {@code CodecException}. */
    static final class TooLarge extends InvalidObjectException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /** The reference components of each record class, readable by this library, or null. */
    private static final ClassValue<Field[]> RECORD_FIELDS = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            List<Field> fields = new ArrayList<>();
            try {
                for (RecordComponent rc : type.getRecordComponents()) {
                    if (rc.getType().isPrimitive()) {
                        continue;
                    }
                    Field f = type.getDeclaredField(rc.getName());
                    if (Modifier.isStatic(f.getModifiers()) || !f.trySetAccessible()) {
                        return null;
                    }
                    fields.add(f);
                }
            } catch (NoSuchFieldException | RuntimeException e) {
                return null;
            }
            return fields.toArray(Field[]::new);
        }
    };

    private final long limit;
    /**
     * Sizes of the completed objects that hold more than leaves, by identity. The size of one
     * that holds only leaves is its shallow size, known without the identity hash a lookup
     * costs; so is the size of one still being read (a cycle), as an upper bound.
     */
    private final IdentityHashMap<Object, Long> sizes = new IdentityHashMap<>();
    private long total;
    /** Whether the object being accounted for holds anything but leaves. */
    private boolean deep;

    ExpandedSize(long limit) {
        this.limit = limit;
    }

    /**
     * Accounts for {@code o}, just completed.
     *
     * @throws TooLarge if the expanded size of the value now exceeds the limit
     */
    void completed(Object o) throws TooLarge {
        long size = 1;
        deep = false;
        if (o instanceof Object[] array) {
            for (Object x : array) {
                size = add(size, x);
            }
        } else if (o instanceof Collection<?> c && isJdk(o)) {
            for (Object x : c) {
                size = add(size, x);
            }
        } else if (o instanceof Map<?, ?> m && isJdk(o)) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                size = add(add(size, e.getKey()), e.getValue());
            }
        } else if (o instanceof Record) {
            Field[] fields = RECORD_FIELDS.get(o.getClass());
            if (fields != null) {
                for (Field f : fields) {
                    try {
                        size = add(size, f.get(o));
                    } catch (IllegalAccessException e) {
                        break; // cannot happen: made accessible above
                    }
                }
            }
        }
        if (deep) {
            sizes.put(o, size); // a parent cannot tell its size from its shallow size
        }
        total = Math.addExact(total, Math.min(size, limit + 1));
        if (total > limit) {
            throw new TooLarge("deserialization rejected: the value's expanded size (its objects"
                    + " counted once per reference to each, as hashing its collections walks them)"
                    + " exceeds the limit of " + limit + "; if the value is meant to share that"
                    + " much, raise the limit with Codec.builder().maxExpandedSize(n)");
        }
    }

    private long add(long size, Object x) {
        if (x == null) {
            return size;
        }
        if (!mayHold(x)) {
            return size + 1; // a leaf: no lookup, which would cost its identity hash
        }
        deep = true;
        Long known = sizes.isEmpty() ? null : sizes.get(x);
        return Math.min(size + (known != null ? known : shallowSize(x)), limit + 1);
    }

    /**
     * {@return the size of {@code x} if all it holds are leaves (else an upper bound of that),
     * which is its size unless {@link #sizes} knows better}
     */
    private static long shallowSize(Object x) {
        if (x instanceof Object[] array) {
            return 1L + array.length;
        } else if (x instanceof Collection<?> c && isJdk(x)) {
            return 1L + c.size();
        } else if (x instanceof Map<?, ?> m && isJdk(x)) {
            return 1L + 2L * m.size();
        } else if (x instanceof Record) {
            Field[] fields = RECORD_FIELDS.get(x.getClass());
            return fields == null ? 1 : 1L + fields.length;
        }
        return 1;
    }

    /** {@return whether {@code x} may have a size above 1} */
    private static boolean mayHold(Object x) {
        return x instanceof Collection<?> || x instanceof Map<?, ?> || x instanceof Object[] || x instanceof Record;
    }

    /** {@return whether {@code o} is an instance of a class of the JDK (the boot loader's)} */
    private static boolean isJdk(Object o) {
        return o.getClass().getClassLoader() == null;
    }
}
