package org.multiprocessing4j.internal.task;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * Serializes a {@link Task} for a child, in one of two forms. A lambda whose captured values are
 * all plain (null, strings, boxed primitives, connections with the default codec) travels in the
 * {@link Compact} form: its {@link TaskLambdas.Shape} and those values, no Java serialization.
 * Anything else goes through Java serialization (a lambda as its {@link TaskLambdas.Carried}
 * shape and values when {@link TaskLambdas} can rebuild it), {@link Inheritable} resources
 * ({@link Connection}s, shared memory) as {@link Slot}s naming the index of the descriptor among
 * those the child receives. A spawned child inherits them as its inherited handles
 * {@code FIRST_TASK_HANDLE + index}; a forkserver child receives them over its bootstrap socket. A resource captured twice travels once.
 */
public final class TaskStreams {
    /**
     * Inherited handles 0 and 1 are a spawned child's bootstrap socket and frame pipe; the task's
     * handles follow them.
     */
    public static final int FIRST_TASK_HANDLE = 2;

    private TaskStreams() {
    }

    /**
     * The serialized task and the descriptors the child must inherit, in order.
     *
     * @param lambdaShape the task's {@link TaskLambdas.Shape} as an argument, or {@code null} if
     *     it did not travel as one
     */
    public record Encoded(byte[] bytes, List<Descriptor> descriptors, String lambdaShape) {
    }

    /**
     * Serializes {@code task}.
     *
     * @throws IllegalArgumentException if it captures something that is not serializable
     */
    public static Encoded encode(Task task) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        List<Descriptor> order = new ArrayList<>();
        String shape = null;
        Object carried = TaskLambdas.carry(task);
        if (carried instanceof TaskLambdas.Carried c) {
            shape = c.shape().toArgument();
            byte[] compact = Compact.encode(shape, c.captured(), order);
            if (compact != null) {
                return new Encoded(compact, List.copyOf(order), shape);
            }
            order.clear();
        }
        try (HandleOutputStream out = new HandleOutputStream(bytes, order)) {
            out.writeObject(carried);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("the task cannot be sent to the child: it captures"
                    + " an instance of " + e.getMessage() + ", which is not java.io.Serializable"
                    + " (captured values travel by serialization; Connections travel as handles)",
                    e);
        } catch (IOException e) {
            throw new IllegalArgumentException("the task cannot be sent to the child: " + e, e);
        }
        return new Encoded(bytes.toByteArray(), List.copyOf(order), shape);
    }

    /**
     * Deserializes a task in the child.
     *
     * @param descriptors the handles in this process, by index (see {@link Encoded})
     * @throws IOException if the bytes are not a task, or name a descriptor index out of range
     * @throws ClassNotFoundException if a class is missing from the child's class path
     */
    public static Task decode(byte[] bytes, Handle[] descriptors)
            throws IOException, ClassNotFoundException {
        if (bytes.length > 0 && bytes[0] == Compact.MAGIC) {
            return Compact.decode(bytes, descriptors);
        }
        try (HandleInputStream in = new HandleInputStream(new ByteArrayInputStream(bytes),
                descriptors)) {
            return (Task) in.readObject();
        }
    }

    /**
     * {@return the task's handles in a spawned child: its inherited handles
     * {@code FIRST_TASK_HANDLE + i}}
     *
     * @param count how many the parent passed
     * @throws IOException if the backend cannot provide one
     */
    public static Handle[] inheritedHandles(int count) throws IOException {
        Handle[] handles = new Handle[count];
        for (int i = 0; i < count; i++) {
            handles[i] = Platform.current().inheritedHandle(FIRST_TASK_HANDLE + i);
        }
        return handles;
    }

    /**
     * The task stream of a lambda whose captured values are all plain — {@code null}, strings,
     * boxed primitives, and connections with the default codec — without Java serialization,
     * whose machinery costs a child that has not compiled it a few hundred microseconds:
     * <pre>
     * byte  MAGIC ('L', never the first byte of a serialization stream, 0xAC)
     * UTF   the lambda's shape ({@link TaskLambdas.Shape#toArgument})
     * byte  count of captured values, then per value a tag and its payload:
     *       NULL | STRING int length, UTF-16 chars | INT int | LONG long | BOOLEAN byte
     *       | DOUBLE long bits | CONNECTION int slot, byte readable, byte writable, long maxFrame
     *       | SAME int index of an earlier value (the same object again)
     * </pre>
     * Anything else travels by serialization, as does a lambda this cannot describe.
     */
    static final class Compact {
        static final byte MAGIC = 'L';
        private static final byte NULL = 0;
        private static final byte STRING = 1;
        private static final byte INT = 2;
        private static final byte LONG = 3;
        private static final byte BOOLEAN = 4;
        private static final byte DOUBLE = 5;
        private static final byte CONNECTION = 6;
        private static final byte SAME = 7;
        /** Parsed shapes by their argument form: a task of a known shape parses nothing. */
        private static final Map<String, TaskLambdas.Shape> SHAPES =
                new java.util.concurrent.ConcurrentHashMap<>();

        private Compact() {
        }

        /**
         * {@return the compact stream, or {@code null} if a value is not plain (then {@code
         * order} may hold descriptors already: the caller clears it)}
         *
         * @throws IllegalArgumentException if a captured connection is closed
         */
        public static byte[] encode(String shape, Object[] captured, List<Descriptor> order) {
            if (captured.length > 255 || shape.length() > 16_000) {
                return null;
            }
            for (Object v : captured) {
                if (!plain(v)) {
                    return null;
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + shape.length());
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                out.writeByte(MAGIC);
                out.writeUTF(shape);
                out.writeByte(captured.length);
                Map<Object, Integer> seen = new IdentityHashMap<>();
                Map<Descriptor, Integer> slots = new IdentityHashMap<>();
                for (int i = 0; i < captured.length; i++) {
                    Object v = captured[i];
                    Integer earlier = v == null ? null : seen.putIfAbsent(v, i);
                    if (earlier != null) {
                        out.writeByte(SAME);
                        out.writeInt(earlier);
                        continue;
                    }
                    switch (v) {
                        case null -> out.writeByte(NULL);
                        case String t -> { // UTF-16 as is: unpaired surrogates survive
                            out.writeByte(STRING);
                            out.writeInt(t.length());
                            byte[] utf16 = new byte[2 * t.length()];
                            for (int k = 0; k < t.length(); k++) {
                                char ch = t.charAt(k);
                                utf16[2 * k] = (byte) (ch >>> 8);
                                utf16[2 * k + 1] = (byte) ch;
                            }
                            out.write(utf16);
                        }
                        case Integer n -> {
                            out.writeByte(INT);
                            out.writeInt(n);
                        }
                        case Long n -> {
                            out.writeByte(LONG);
                            out.writeLong(n);
                        }
                        case Boolean b -> {
                            out.writeByte(BOOLEAN);
                            out.writeBoolean(b);
                        }
                        case Double d -> {
                            out.writeByte(DOUBLE);
                            out.writeLong(Double.doubleToRawLongBits(d));
                        }
                        case Connection c -> {
                            Descriptor d = Access.connection().descriptor(c);
                            if (d.isClosed()) {
                                throw new IllegalArgumentException("the task cannot be sent to the"
                                        + " child: a captured Connection is closed: " + c);
                            }
                            Access.connection().childHandle(c); // marks it shared, as serializing does
                            Integer slot = slots.get(d);
                            if (slot == null) {
                                slot = order.size();
                                slots.put(d, slot);
                                order.add(d);
                            }
                            out.writeByte(CONNECTION);
                            out.writeInt(slot);
                            out.writeBoolean(c.readable());
                            out.writeBoolean(c.writable());
                            out.writeLong(c.maxFrameSize());
                        }
                        default -> throw new IllegalStateException("not plain: " + v.getClass());
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e); // a byte array does not fail
            }
            return bytes.toByteArray();
        }

        private static boolean plain(Object v) {
            return v == null || v instanceof String || v instanceof Integer || v instanceof Long
                    || v instanceof Boolean || v instanceof Double
                    || v instanceof Connection c && Access.connection().hasDefaultCodec(c);
        }

        public static Task decode(byte[] bytes, Handle[] descriptors)
                throws IOException, ClassNotFoundException {
            java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(bytes));
            in.readByte();
            String argument = in.readUTF();
            TaskLambdas.Shape shape = SHAPES.get(argument);
            if (shape == null) {
                shape = TaskLambdas.Shape.parse(argument);
                if (SHAPES.size() < 1024) {
                    SHAPES.put(argument, shape);
                }
            }
            Object[] values = new Object[in.readUnsignedByte()];
            for (int i = 0; i < values.length; i++) {
                byte tag = in.readByte();
                values[i] = switch (tag) {
                    case NULL -> null;
                    case STRING -> {
                        int length = in.readInt();
                        if (length < 0 || length > (bytes.length - 1) / 2) {
                            throw new IOException("bad string length " + length + " in the task");
                        }
                        byte[] utf16 = new byte[2 * length];
                        in.readFully(utf16);
                        char[] chars = new char[length];
                        for (int k = 0; k < length; k++) {
                            chars[k] = (char) ((utf16[2 * k] & 0xff) << 8 | (utf16[2 * k + 1] & 0xff));
                        }
                        yield new String(chars);
                    }
                    case INT -> in.readInt();
                    case LONG -> in.readLong();
                    case BOOLEAN -> in.readBoolean();
                    case DOUBLE -> Double.longBitsToDouble(in.readLong());
                    case CONNECTION -> {
                        int slot = in.readInt();
                        if (slot < 0 || slot >= descriptors.length) {
                            throw new IOException("the task names inherited descriptor #" + slot
                                    + " but " + descriptors.length + " arrived");
                        }
                        yield Access.connection().inherited(descriptors[slot], in.readBoolean(),
                                in.readBoolean(), in.readLong(), Codec.defaults());
                    }
                    case SAME -> {
                        int index = in.readInt();
                        if (index < 0 || index >= i) {
                            throw new IOException("bad back-reference " + index + " at " + i);
                        }
                        yield values[index];
                    }
                    default -> throw new IOException("bad value tag " + tag + " in the task");
                };
            }
            try {
                return (Task) TaskLambdas.resolve(new TaskLambdas.Carried(shape, values),
                        HandleInputStream.loader());
            } catch (ClassNotFoundException e) {
                throw e;
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw (IOException) new java.io.InvalidObjectException(
                        "cannot rebuild the task's lambda: " + e).initCause(e);
            }
        }
    }

    /**
     * What an {@link Inheritable} becomes on the way to a child: the index of its descriptor among
     * the inherited ones, and its own handle.
     *
     * @param index the descriptor's index among the inherited ones
     * @param handle what the object needs besides its descriptor
     */
    record Slot(int index, Inheritable.Handle handle) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private static final class HandleOutputStream extends ObjectOutputStream {
        private final Map<Descriptor, Integer> slots = new IdentityHashMap<>();
        private final List<Descriptor> order;

        HandleOutputStream(OutputStream out, List<Descriptor> order) throws IOException {
            super(out);
            this.order = order;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) throws IOException {
            Inheritable r = Inheritable.of(obj);
            if (r != null) {
                Descriptor d = r.inheritedDescriptor();
                if (d.isClosed()) {
                    throw new IOException("a captured " + obj.getClass().getSimpleName()
                            + " is closed: " + obj);
                }
                Integer index = slots.get(d);
                if (index == null) {
                    index = order.size();
                    slots.put(d, index);
                    order.add(d);
                }
                return new Slot(index, r.handle());
            }
            return obj;
        }
    }

    private static final class HandleInputStream extends ObjectInputStream {
        private final Handle[] descriptors;

        HandleInputStream(InputStream in, Handle[] descriptors) throws IOException {
            super(in);
            this.descriptors = descriptors;
            enableResolveObject(true);
        }

        @Override
        protected Object resolveObject(Object obj) throws IOException {
            if (obj instanceof TaskLambdas.Carried c) {
                try {
                    return TaskLambdas.resolve(c, loader());
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw (IOException) new java.io.InvalidObjectException(
                            "cannot rebuild the task's lambda: " + e).initCause(e);
                }
            }
            if (obj instanceof Slot s) {
                if (s.index() < 0 || s.index() >= descriptors.length) {
                    throw new IOException("the task names inherited descriptor #" + s.index()
                            + " but " + descriptors.length + " arrived");
                }
                return s.handle().resolve(descriptors[s.index()]);
            }
            return obj;
        }

        private static ClassLoader loader() {
            ClassLoader tccl = Thread.currentThread().getContextClassLoader();
            return tccl != null ? tccl : ClassLoader.getSystemClassLoader();
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            ClassLoader tccl = Thread.currentThread().getContextClassLoader();
            if (tccl != null) {
                try {
                    return Class.forName(desc.getName(), false, tccl);
                } catch (ClassNotFoundException ignored) {
                    // fall through to the default resolution
                }
            }
            return super.resolveClass(desc);
        }
    }
}
