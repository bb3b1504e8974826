package org.multiprocessing4j.internal.codec;

import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.lang.reflect.RecordComponent;
import java.util.Set;

/**
 * The allow-list of a codec for peers that have not authenticated
 * ({@code Codec.forUntrustedPeers()}, {@code Codec.Builder.allowValueTypes()}): a strict filter
 * that allows a class if the user's patterns allow it, and otherwise only if it is
 *
 * <ul>
 *   <li>a primitive type;</li>
 *   <li>one of the JDK value types below (boxes, {@code String}, {@code BigInteger},
 *       {@code BigDecimal}, the {@code java.util} lists, sets, maps and their unmodifiable,
 *       empty, singleton and {@code List.of}/{@code Set.of}/{@code Map.of} forms, {@code UUID},
 *       {@code BitSet}, {@code Date}, {@code java.time}), or a supertype the serialization
 *       stream names with them ({@code Object}, {@code Number}, {@code Enum});</li>
 *   <li>an enum class (only a constant's name is read; no code of it runs but its static
 *       initializer);</li>
 *   <li>a {@link Serializable} record class declaring no {@code readResolve()}, every component
 *       of which is declared as an allowed type or as one of the JDK interfaces and supertypes a
 *       value may be declared with ({@code Object}, {@code List}, {@code Map}, ...) — the
 *       actual component values are judged again, one by one, as they are read; a record is
 *       built by its canonical constructor, so no {@code readObject} of it runs;</li>
 *   <li>an array of an allowed type.</li>
 * </ul>
 *
 * Everything else is rejected: no class outside this list ever has its {@code readObject},
 * {@code readResolve} or constructor run. A pattern of the user that rejects ({@code "!..."})
 * wins over the list. Thread-safe; the decisions are cached per class.
 */
final class ValueTypes implements ObjectInputFilter {

    /** JDK classes allowed by exact name. */
    private static final Set<String> CLASSES = Set.of(
            "java.lang.Object", "java.lang.Number", "java.lang.Enum", "java.lang.String",
            "java.lang.Boolean", "java.lang.Byte", "java.lang.Character", "java.lang.Short",
            "java.lang.Integer", "java.lang.Long", "java.lang.Float", "java.lang.Double",
            "java.lang.String$CaseInsensitiveComparator",
            "java.math.BigInteger", "java.math.BigDecimal",
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque",
            "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap",
            "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet",
            "java.util.Map$Entry", // HashMap and HashSet check their table as a Map.Entry[]
            "java.util.EnumMap", "java.util.EnumSet$SerializationProxy", "java.util.RegularEnumSet",
            "java.util.JumboEnumSet",
            "java.util.Arrays$ArrayList", "java.util.CollSer",
            "java.util.Collections$EmptyList", "java.util.Collections$EmptySet",
            "java.util.Collections$EmptyMap", "java.util.Collections$SingletonList",
            "java.util.Collections$SingletonSet", "java.util.Collections$SingletonMap",
            "java.util.Collections$ReverseComparator",
            "java.util.UUID", "java.util.BitSet", "java.util.Date");

    /** JDK classes allowed by name prefix (nested classes of one outer class). */
    private static final String[] PREFIXES = {
        "java.util.Collections$Unmodifiable", "java.util.ImmutableCollections$",
    };

    /** JDK packages allowed whole (not their subpackages). */
    private static final Set<String> PACKAGES = Set.of("java.time");

    /** Types a record component may be declared with besides allowed classes: values are judged as read. */
    private static final Set<String> DECLARABLE = Set.of(
            "java.io.Serializable", "java.lang.Comparable", "java.lang.CharSequence",
            "java.util.Collection", "java.util.List", "java.util.Set", "java.util.SortedSet",
            "java.util.NavigableSet", "java.util.Queue", "java.util.Deque", "java.util.Map",
            "java.util.SortedMap", "java.util.NavigableMap", "java.util.AbstractList",
            "java.util.AbstractSet", "java.util.AbstractMap",
            "java.time.temporal.Temporal", "java.time.temporal.TemporalAmount", "java.time.chrono.ChronoLocalDate");

    private final ObjectInputFilter user; // null: no patterns
    private final ClassValue<Boolean> decisions = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return decide(type);
        }
    };
    /** Record classes whose components are being checked on this thread (a record may name itself). */
    private final ThreadLocal<Set<Class<?>>> checking = ThreadLocal.withInitial(java.util.HashSet::new);

    /**
     * @param user the user's patterns as a filter, or {@code null}; consulted first
     */
    ValueTypes(ObjectInputFilter user) {
        this.user = user;
    }

    @Override
    public Status checkInput(FilterInfo info) {
        Class<?> c = info.serialClass();
        if (c == null) {
            return Status.UNDECIDED; // a limit check only: the limits decide
        }
        return allowed(c) ? Status.ALLOWED : Status.REJECTED;
    }

    /** {@return whether values of class {@code c} may be decoded} */
    boolean allowed(Class<?> c) {
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (c.isPrimitive()) {
            return true;
        }
        Status byUser = userStatus(c);
        if (byUser != Status.UNDECIDED) {
            return byUser == Status.ALLOWED;
        }
        if (c.isRecord() && checking.get().contains(c)) {
            return true; // a record component of the record being decided: decided by that decision
        }
        return decisions.get(c);
    }

    private Status userStatus(Class<?> c) {
        if (user == null) {
            return Status.UNDECIDED;
        }
        return user.checkInput(new FilterInfo() {
            @Override
            public Class<?> serialClass() {
                return c;
            }

            @Override
            public long arrayLength() {
                return -1;
            }

            @Override
            public long depth() {
                return 1;
            }

            @Override
            public long references() {
                return 1;
            }

            @Override
            public long streamBytes() {
                return 0;
            }
        });
    }

    private boolean decide(Class<?> c) {
        String name = c.getName();
        if (c.getClassLoader() == null) { // only the JDK's own classes count as JDK value types
            if (CLASSES.contains(name) || PACKAGES.contains(c.getPackageName())) {
                return true;
            }
            for (String prefix : PREFIXES) {
                if (name.startsWith(prefix)) {
                    return true;
                }
            }
        }
        if (Enum.class.isAssignableFrom(c)) {
            return true;
        }
        if (c.isRecord()) {
            return allowedRecord(c);
        }
        return false;
    }

    private boolean allowedRecord(Class<?> c) {
        if (!Serializable.class.isAssignableFrom(c) || declares(c, "readResolve")) {
            return false;
        }
        Set<Class<?>> inProgress = checking.get();
        inProgress.add(c);
        try {
            for (RecordComponent rc : c.getRecordComponents()) {
                if (!declarable(rc.getType())) {
                    return false;
                }
            }
            return true;
        } finally {
            inProgress.remove(c);
        }
    }

    private boolean declarable(Class<?> t) {
        Class<?> e = t;
        while (e.isArray()) {
            e = e.getComponentType();
        }
        if (e.getClassLoader() == null && DECLARABLE.contains(e.getName())) {
            return true;
        }
        return allowed(e);
    }

    private static boolean declares(Class<?> c, String method) {
        try {
            c.getDeclaredMethod(method);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
