package org.multiprocessing4j.internal.codec;

import java.io.Externalizable;
import java.io.Serializable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * What the RECORD fast path of {@link DefaultCodec} needs to know about one class, computed
 * once per class ({@link ClassValue}): whether the class is eligible, its name as UTF-8, the
 * fingerprint of its components, and method handles reading each component field and calling
 * the canonical constructor.
 *
 * <p>A class is <em>eligible</em> if it is a {@link Serializable} record class that is neither
 * {@link Externalizable} nor hidden, declares no {@code writeReplace()} or
 * {@code readResolve()} (which Java serialization would honour and this path would not), whose
 * fields and canonical constructor this library may access (its package is open to it, as for
 * any class on the class path), and every component of which is declared with a fast-path type:
 * a primitive, a boxed primitive, {@code String}, {@code byte[]} or an eligible record class
 * (possibly itself, recursively). The decision is by declared type only, so it is the same for
 * every instance and on both sides of a connection that share the class.
 *
 * <p>The components are read from the record's private fields, as Java serialization does, not
 * through the accessor methods: an explicit accessor (which may copy, normalise or throw) is
 * never called, and encoding runs no code of the record class.
 */
final class RecordShape {

    // Component kinds: the primitives, the boxed primitives (kind + BOXED), then references.
    static final int BOOLEAN = 0;
    static final int BYTE = 1;
    static final int CHAR = 2;
    static final int SHORT = 3;
    static final int INT = 4;
    static final int LONG = 5;
    static final int FLOAT = 6;
    static final int DOUBLE = 7;
    static final int BOXED = 8;
    static final int STRING = 16;
    static final int BYTES = 17;
    static final int RECORD = 18;

    /** The largest class name the two-byte length of the RECORD tag can carry. */
    static final int MAX_NAME_BYTES = 0xFFFF;

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();

    /** The shape of every class that is not eligible. */
    private static final RecordShape NOT_ELIGIBLE = new RecordShape();

    private static final ClassValue<RecordShape> SHAPES = new ClassValue<>() {
        @Override
        protected RecordShape computeValue(Class<?> type) {
            return build(type);
        }
    };

    /** Whether the class is eligible; every other field is {@code null} or empty if not. */
    final boolean eligible;
    final Class<?> type;
    /** {@link Class#getName()} in UTF-8. */
    final byte[] name;
    /** FNV-1a 64 of the component names and declared type names, in declaration order. */
    final long fingerprint;
    final int[] kinds;
    final String[] componentNames;
    final Class<?>[] componentTypes;
    /**
     * Per component, a getter of its field: {@code (Object)T} for a primitive {@code T},
     * {@code (Object)Object} otherwise.
     */
    final MethodHandle[] getters;
    /** The canonical constructor as {@code (Object[])Object}, unboxing primitive components. */
    final MethodHandle constructor;

    private RecordShape() {
        this.eligible = false;
        this.type = null;
        this.name = null;
        this.fingerprint = 0;
        this.kinds = new int[0];
        this.componentNames = new String[0];
        this.componentTypes = new Class<?>[0];
        this.getters = new MethodHandle[0];
        this.constructor = null;
    }

    private RecordShape(Class<?> type, byte[] name, long fingerprint, int[] kinds, String[] componentNames,
            Class<?>[] componentTypes, MethodHandle[] getters, MethodHandle constructor) {
        this.eligible = true;
        this.type = type;
        this.name = name;
        this.fingerprint = fingerprint;
        this.kinds = kinds;
        this.componentNames = componentNames;
        this.componentTypes = componentTypes;
        this.getters = getters;
        this.constructor = constructor;
    }

    /** Returns the (cached) shape of {@code type}; {@link #eligible} says if it is eligible. */
    static RecordShape of(Class<?> type) {
        return SHAPES.get(type);
    }

    /** Returns the kind of a leaf (non-record) fast-path type, or -1. */
    static int leafKind(Class<?> t) {
        if (t.isPrimitive()) {
            if (t == int.class) {
                return INT;
            } else if (t == long.class) {
                return LONG;
            } else if (t == boolean.class) {
                return BOOLEAN;
            } else if (t == double.class) {
                return DOUBLE;
            } else if (t == float.class) {
                return FLOAT;
            } else if (t == short.class) {
                return SHORT;
            } else if (t == byte.class) {
                return BYTE;
            } else if (t == char.class) {
                return CHAR;
            }
            return -1; // void
        }
        if (t == String.class) {
            return STRING;
        } else if (t == byte[].class) {
            return BYTES;
        } else if (t == Integer.class) {
            return BOXED + INT;
        } else if (t == Long.class) {
            return BOXED + LONG;
        } else if (t == Boolean.class) {
            return BOXED + BOOLEAN;
        } else if (t == Double.class) {
            return BOXED + DOUBLE;
        } else if (t == Float.class) {
            return BOXED + FLOAT;
        } else if (t == Short.class) {
            return BOXED + SHORT;
        } else if (t == Byte.class) {
            return BOXED + BYTE;
        } else if (t == Character.class) {
            return BOXED + CHAR;
        }
        return -1;
    }

    private static RecordShape build(Class<?> type) {
        if (!eligible(type, new HashSet<>())) {
            return NOT_ELIGIBLE;
        }
        try {
            RecordComponent[] components = type.getRecordComponents();
            int n = components.length;
            int[] kinds = new int[n];
            String[] names = new String[n];
            Class<?>[] types = new Class<?>[n];
            MethodHandle[] getters = new MethodHandle[n];
            StringBuilder signature = new StringBuilder();
            for (int i = 0; i < n; i++) {
                Class<?> t = components[i].getType();
                int kind = leafKind(t);
                kinds[i] = kind >= 0 ? kind : RECORD;
                names[i] = components[i].getName();
                types[i] = t;
                Field field = type.getDeclaredField(names[i]);
                field.setAccessible(true); // checked by eligible()
                getters[i] = LOOKUP.unreflectGetter(field)
                        .asType(MethodType.methodType(t.isPrimitive() ? t : Object.class, Object.class));
                signature.append(names[i]).append(' ').append(t.getName()).append(';');
            }
            Constructor<?> canonical = type.getDeclaredConstructor(types);
            canonical.setAccessible(true); // checked by eligible()
            MethodHandle constructor = LOOKUP.unreflectConstructor(canonical)
                    .asSpreader(Object[].class, n)
                    .asType(MethodType.methodType(Object.class, Object[].class));
            byte[] name = type.getName().getBytes(StandardCharsets.UTF_8);
            return new RecordShape(type, name, fnv1a64(signature.toString()), kinds, names, types, getters,
                    constructor);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return NOT_ELIGIBLE; // Java serialization takes it, and reports what is wrong
        }
    }

    /**
     * Whether {@code type} and every record type reachable through its component types are
     * eligible; a type already being examined counts as eligible (its own checks are done
     * where it was first met).
     */
    private static boolean eligible(Class<?> type, Set<Class<?>> visiting) {
        if (!visiting.add(type)) {
            return true;
        }
        if (!locallyEligible(type)) {
            return false;
        }
        for (RecordComponent component : type.getRecordComponents()) {
            Class<?> t = component.getType();
            if (leafKind(t) < 0 && !(t.isRecord() && eligible(t, visiting))) {
                return false;
            }
        }
        return true;
    }

    private static boolean locallyEligible(Class<?> type) {
        if (!type.isRecord() || type.isHidden() || !Serializable.class.isAssignableFrom(type)
                || Externalizable.class.isAssignableFrom(type)
                || type.getName().getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES
                || declaresSerialHook(type, "writeReplace") || declaresSerialHook(type, "readResolve")) {
            return false;
        }
        try {
            RecordComponent[] components = type.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                Field field = type.getDeclaredField(components[i].getName());
                if (Modifier.isStatic(field.getModifiers()) || field.getType() != types[i]
                        || !field.trySetAccessible()) {
                    return false;
                }
            }
            return type.getDeclaredConstructor(types).trySetAccessible();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code type} declares a no-argument method {@code name}, of any access. */
    private static boolean declaresSerialHook(Class<?> type, String name) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == 0 && !Modifier.isStatic(m.getModifiers())) {
                return true;
            }
        }
        return false;
    }

    private static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The Java spelling of component {@code i}, for messages: {@code "int id"}. */
    String describe(int i) {
        return componentTypes[i].getTypeName() + " " + componentNames[i];
    }
}
