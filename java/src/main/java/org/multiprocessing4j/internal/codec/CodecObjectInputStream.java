package org.multiprocessing4j.internal.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;

/**
 * An {@link ObjectInputStream} that resolves classes with the decoding thread's context class
 * loader if it has one, else with the codec's loader, instead of the JDK's "latest user-defined
 * loader on the stack" (which is this library's loader and may not see the application's
 * classes). Primitive type names ({@code "int"}, ...) resolve to the primitive classes. Dynamic
 * proxy classes keep the JDK's resolution. Every object read is reported to an
 * {@link ExpandedSize} as soon as it is completed.
 */
final class CodecObjectInputStream extends ObjectInputStream {

    private final ClassLoader fallbackLoader;
    private final ExpandedSize expandedSize;

    CodecObjectInputStream(InputStream in, ClassLoader fallbackLoader, ExpandedSize expandedSize)
            throws IOException {
        super(in);
        this.fallbackLoader = fallbackLoader;
        this.expandedSize = expandedSize;
        enableResolveObject(true);
    }

    @Override
    protected Object resolveObject(Object obj) throws IOException {
        if (obj != null) {
            expandedSize.completed(obj);
        }
        return obj;
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        ClassLoader loader = context != null ? context : fallbackLoader;
        try {
            return Class.forName(desc.getName(), false, loader);
        } catch (ClassNotFoundException e) {
            Class<?> primitive = primitive(desc.getName());
            if (primitive == null) {
                throw e;
            }
            return primitive;
        }
    }

    private static Class<?> primitive(String name) {
        return switch (name) {
            case "boolean" -> boolean.class;
            case "byte" -> byte.class;
            case "char" -> char.class;
            case "short" -> short.class;
            case "int" -> int.class;
            case "long" -> long.class;
            case "float" -> float.class;
            case "double" -> double.class;
            case "void" -> void.class;
            default -> null;
        };
    }
}
