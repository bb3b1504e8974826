package org.multiprocessing4j.internal.task;

import java.io.Serial;
import java.io.Serializable;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.SerializedLambda;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a task that is a lambda travels to a child, so that a forkserver child can link it before
 * the task arrives.
 *
 * <p>Java serializes a lambda as a {@link SerializedLambda}; reading it back calls the capturing
 * class's {@code $deserializeLambda$}, whose {@code invokedynamic} spins the lambda's class on its
 * first run: ~0.6 ms of a child's start that no warm-up can take away, because the call site is
 * the capturing class's own. Instead, the task stream carries the lambda's {@link Shape} and its
 * captured values ({@link Carried}); the child builds the lambda with {@link LambdaMetafactory}
 * from a factory cached per shape, and an idle forkserver child builds the factories of the
 * shapes recent tasks had ({@link #prelink}) while it waits.
 *
 * <p>What the child gets is what {@code $deserializeLambda$} would have returned: an instance of
 * a lambda class of the same capturing class, implementing the same functional interface, calling
 * the same implementation method with the same captured values, serializable again. Only the
 * moment the capturing class is initialized differs: when the task first calls into it, not
 * while the task is read (so a failing static initializer is the task's failure, reported with
 * exit code 1), and never in an idle child. Lambdas this cannot reproduce exactly travel as Java
 * serializes them: method references, lambdas with marker interfaces or bridge methods, bodies
 * called through {@code invokeinterface} (default methods), and capturing classes this library
 * cannot reach with full privilege (any class outside this library's module when the library is
 * on the module path).
 *
 * <p>Trust: a shape names a private method of a class. Only {@code lambda$…} methods of the
 * capturing class itself are accepted, but unlike {@code $deserializeLambda$} any such method
 * with any functional interface, and neither the shape nor the compact task form goes through a
 * {@code jdk.serialFilter}: the task stream must come from a trusted parent, which it does — only
 * over the bootstrap socket a child inherits from the JVM that started it.
 *
 * <p>Factories are cached per shape, not per class loader: a child resolves every task with one
 * loader.
 */
public final class TaskLambdas {
    /** Separates the fields of a shape in its command-line form. */
    private static final String SEPARATOR = "|";

    /** The {@code writeReplace} of a lambda class {@link #link} can reproduce; null for others. */
    private static final ClassValue<MethodHandle> WRITE_REPLACE = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> lambdaClass) {
            return eligibleClass(lambdaClass) ? writeReplace(lambdaClass) : null;
        }
    };

    /** Capturing classes (internal names) of the shapes {@link #prelink} linked. */
    private static final java.util.Set<String> PRELINKED = ConcurrentHashMap.newKeySet();

    /** Factories by shape, each {@code (Object[] captured)Object}. */
    private static final Map<Shape, MethodHandle> FACTORIES = new ConcurrentHashMap<>();

    private TaskLambdas() {
    }

    /**
     * Everything but the captured values that identifies a lambda: the fields of its {@link
     * SerializedLambda}, class names in internal form.
     *
     * @param capturingClass the class that created the lambda
     * @param functionalInterface the functional interface it implements
     * @param method the interface method's name
     * @param methodType the interface method's descriptor
     * @param implKind the implementation method handle's kind
     * @param implName the implementation method's name
     * @param implType the implementation method's descriptor
     * @param instantiatedType the interface method's instantiated descriptor
     * @param captured how many values it captures
     */
    record Shape(String capturingClass, String functionalInterface, String method,
                 String methodType, int implKind, String implName, String implType,
                 String instantiatedType, int captured) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        // equals and hashCode written out: a record's own go through an invokedynamic whose
        // first call costs a child milliseconds, right when it looks up its task's factory

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && implKind == s.implKind && captured == s.captured
                    && implName.equals(s.implName) && capturingClass.equals(s.capturingClass)
                    && implType.equals(s.implType) && method.equals(s.method)
                    && methodType.equals(s.methodType)
                    && functionalInterface.equals(s.functionalInterface)
                    && instantiatedType.equals(s.instantiatedType);
        }

        @Override
        public int hashCode() {
            return (capturingClass.hashCode() * 31 + implName.hashCode()) * 31 + implType.hashCode();
        }

        /** {@return this shape as one command-line argument} */
        String toArgument() {
            return String.join(SEPARATOR, capturingClass, functionalInterface, method, methodType,
                    Integer.toString(implKind), implName, implType, instantiatedType,
                    Integer.toString(captured));
        }

        /**
         * {@return the shape {@link #toArgument} wrote}
         *
         * @throws IllegalArgumentException if {@code argument} is not one
         */
        static Shape parse(String argument) {
            String[] f = argument.split("\\" + SEPARATOR, -1);
            if (f.length != 9) {
                throw new IllegalArgumentException("not a lambda shape: " + argument);
            }
            return new Shape(f[0], f[1], f[2], f[3], Integer.parseInt(f[4]), f[5], f[6], f[7],
                    Integer.parseInt(f[8]));
        }
    }

    /**
     * A lambda in the task stream: its shape and its captured values.
     *
     * @param shape what identifies the lambda
     * @param captured its captured values, in order
     */
    record Carried(Shape shape, Object[] captured) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /**
     * {@return what the task stream writes for {@code task}: a {@link Carried} if it is a lambda
     * this class reproduces exactly, else {@code task} itself}
     */
    static Object carry(Object task) {
        MethodHandle writeReplace = WRITE_REPLACE.get(task.getClass());
        if (writeReplace == null) {
            return task;
        }
        SerializedLambda replaced;
        try {
            replaced = (SerializedLambda) (Object) writeReplace.invokeExact(task);
        } catch (Throwable t) {
            return task;
        }
        String host = replaced.getCapturingClass();
        if (!host.equals(replaced.getImplClass()) || !replaced.getImplMethodName().startsWith("lambda$")
                || !acceptedKind(replaced.getImplMethodKind())) {
            return task;
        }
        for (String field : List.of(host, replaced.getFunctionalInterfaceClass(),
                replaced.getFunctionalInterfaceMethodName(),
                replaced.getFunctionalInterfaceMethodSignature(), replaced.getImplMethodName(),
                replaced.getImplMethodSignature(), replaced.getInstantiatedMethodType())) {
            if (field.contains(SEPARATOR)) { // legal in a class file, not in a shape
                return task;
            }
        }
        Object[] captured = new Object[replaced.getCapturedArgCount()];
        for (int i = 0; i < captured.length; i++) {
            captured[i] = replaced.getCapturedArg(i);
        }
        return new Carried(new Shape(host, replaced.getFunctionalInterfaceClass(),
                replaced.getFunctionalInterfaceMethodName(),
                replaced.getFunctionalInterfaceMethodSignature(), replaced.getImplMethodKind(),
                replaced.getImplMethodName(), replaced.getImplMethodSignature(),
                replaced.getInstantiatedMethodType(), captured.length), captured);
    }

    /**
     * {@return the lambda {@code carried} describes}
     *
     * @param loader where its classes are found
     * @throws ReflectiveOperationException if a class or the implementation method is missing
     */
    static Object resolve(Carried carried, ClassLoader loader) throws ReflectiveOperationException {
        if (carried.captured().length != carried.shape().captured()) {
            throw new IllegalArgumentException("lambda " + carried.shape().implName() + " carries "
                    + carried.captured().length + " values, its shape says "
                    + carried.shape().captured());
        }
        try {
            return (Object) factory(carried.shape(), loader).invokeExact(carried.captured());
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Builds the factory of the shape {@code argument} (see {@link Shape#toArgument}) and makes
     * one throw-away instance with default captured values, so that a task of that shape finds
     * everything linked. Neither loads more than the classes the shape names nor initializes the
     * capturing class. Anything that fails is skipped: it was only a guess.
     *
     * @return whether the shape is linked now
     */
    public static boolean prelink(String argument, ClassLoader loader) {
        try {
            Shape shape = Shape.parse(argument);
            MethodHandle factory = factory(shape, loader);
            List<Class<?>> types = capturedTypes(shape, loader);
            Object[] defaults = new Object[shape.captured()];
            for (int i = 0; i < defaults.length && i < types.size(); i++) {
                defaults[i] = defaultValue(types.get(i));
            }
            Object ignored = (Object) factory.invokeExact(defaults);
            PRELINKED.add(shape.capturingClass());
            return true;
        } catch (Throwable t) {
            return false; // only a guess
        }
    }

    /**
     * {@return whether a lambda written in {@code host} was linked ahead by {@link #prelink}} For
     * tests and diagnostics.
     */
    public static boolean prelinked(Class<?> host) {
        return PRELINKED.contains(host.getName().replace('.', '/'));
    }

    private static MethodHandle factory(Shape shape, ClassLoader loader)
            throws ReflectiveOperationException {
        MethodHandle f = FACTORIES.get(shape);
        if (f == null) {
            f = link(shape, loader);
            MethodHandle raced = FACTORIES.putIfAbsent(shape, f);
            if (raced != null) {
                f = raced;
            }
        }
        return f;
    }

    private static MethodHandle link(Shape shape, ClassLoader loader)
            throws ReflectiveOperationException {
        if (!shape.implName().startsWith("lambda$") || !acceptedKind(shape.implKind())) {
            throw new IllegalArgumentException("not a lambda body: " + shape.implName());
        }
        Class<?> host = load(shape.capturingClass(), loader);
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(host, MethodHandles.lookup());
        MethodType implType = MethodType.fromMethodDescriptorString(shape.implType(), loader);
        MethodHandle impl = switch (shape.implKind()) {
            case MethodHandleInfo.REF_invokeStatic -> lookup.findStatic(host, shape.implName(), implType);
            case MethodHandleInfo.REF_invokeSpecial ->
                    lookup.findSpecial(host, shape.implName(), implType, host);
            default -> lookup.findVirtual(host, shape.implName(), implType);
        };
        if (impl.type().parameterCount() < shape.captured()) {
            throw new IllegalArgumentException("lambda " + shape.implName() + " takes "
                    + impl.type().parameterCount() + " values, its shape says " + shape.captured());
        }
        MethodType factoryType = MethodType.methodType(load(shape.functionalInterface(), loader),
                impl.type().parameterList().subList(0, shape.captured()));
        try {
            MethodHandle target = LambdaMetafactory.altMetafactory(lookup, shape.method(),
                    factoryType, MethodType.fromMethodDescriptorString(shape.methodType(), loader),
                    impl, MethodType.fromMethodDescriptorString(shape.instantiatedType(), loader),
                    LambdaMetafactory.FLAG_SERIALIZABLE).getTarget();
            return target.asSpreader(Object[].class, shape.captured())
                    .asType(MethodType.methodType(Object.class, Object[].class));
        } catch (java.lang.invoke.LambdaConversionException e) {
            throw new IllegalAccessException("cannot rebuild lambda " + shape.implName() + " of "
                    + host.getName() + ": " + e.getMessage());
        }
    }

    private static List<Class<?>> capturedTypes(Shape shape, ClassLoader loader)
            throws ReflectiveOperationException {
        List<Class<?>> params = MethodType.fromMethodDescriptorString(shape.implType(), loader)
                .parameterList();
        if (shape.implKind() != MethodHandleInfo.REF_invokeStatic) {
            params = new java.util.ArrayList<>(params);
            params.addFirst(load(shape.capturingClass(), loader));
        }
        return params.subList(0, Math.min(shape.captured(), params.size()));
    }

    private static Object defaultValue(Class<?> type) {
        if (!type.isPrimitive()) {
            return null;
        }
        return java.lang.reflect.Array.get(java.lang.reflect.Array.newInstance(type, 1), 0);
    }

    private static Class<?> load(String internalName, ClassLoader loader)
            throws ClassNotFoundException {
        return Class.forName(internalName.replace('/', '.'), false, loader);
    }

    private static boolean acceptedKind(int kind) {
        return kind == MethodHandleInfo.REF_invokeStatic || kind == MethodHandleInfo.REF_invokeSpecial
                || kind == MethodHandleInfo.REF_invokeVirtual;
    }

    /**
     * Whether a lambda class has nothing {@link #link} would not reproduce: no marker interface,
     * no bridge method, and a capturing class this library reaches with full privilege.
     */
    private static boolean eligibleClass(Class<?> lambdaClass) {
        if (!lambdaClass.isHidden() || !lambdaClass.isSynthetic()) {
            return false;
        }
        Class<?>[] interfaces = lambdaClass.getInterfaces();
        if (interfaces.length != 1) { // FLAG_SERIALIZABLE adds nothing to a Serializable interface
            return false;
        }
        int abstractMethods = 0;
        for (var m : interfaces[0].getMethods()) {
            if (java.lang.reflect.Modifier.isAbstract(m.getModifiers())) {
                abstractMethods++;
            }
        }
        // the interface's method and writeReplace: anything more is a bridge
        if (abstractMethods != 1 || lambdaClass.getDeclaredMethods().length != 2) {
            return false;
        }
        try {
            return MethodHandles.privateLookupIn(lambdaClass.getNestHost(), MethodHandles.lookup())
                    .hasFullPrivilegeAccess();
        } catch (IllegalAccessException | RuntimeException e) {
            return false;
        }
    }

    /** {@return the lambda class's {@code writeReplace} as {@code (Object)Object}, or null} */
    private static MethodHandle writeReplace(Class<?> lambdaClass) {
        try {
            java.lang.reflect.Method m = lambdaClass.getDeclaredMethod("writeReplace");
            m.setAccessible(true);
            return MethodHandles.lookup().unreflect(m)
                    .asType(MethodType.methodType(Object.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
