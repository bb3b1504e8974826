package org.multiprocessing4j;

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
import org.multiprocessing4j.internal.Descriptor;

/**
 * Serializes a {@link Task} for a child: ordinary captured values by Java serialization,
 * {@link Inheritable} resources ({@link Connection}s, shared memory) as {@link Slot}s naming the
 * index of the descriptor among those the child receives. A spawned child inherits them as
 * descriptors {@code FIRST_HANDLE_FD + index}; a forkserver child receives them over its
 * bootstrap socket, at whatever numbers the kernel picks. A resource captured twice travels once.
 */
final class TaskStreams {
    /** Descriptor 3 is the bootstrap socket; inherited handles follow. */
    static final int FIRST_HANDLE_FD = 4;

    private TaskStreams() {
    }

    /**
     * The serialized task and the descriptors the child must inherit, in order.
     *
     * @param lambdaShape the task's {@link TaskLambdas.Shape} as an argument, or {@code null} if
     *     it did not travel as one
     */
    record Encoded(byte[] bytes, List<Descriptor> descriptors, String lambdaShape) {
    }

    /**
     * Serializes {@code task}.
     *
     * @throws IllegalArgumentException if it captures something that is not serializable
     */
    static Encoded encode(Task task) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        List<Descriptor> order = new ArrayList<>();
        String shape = null;
        try (HandleOutputStream out = new HandleOutputStream(bytes, order)) {
            Object carried = TaskLambdas.carry(task);
            if (carried instanceof TaskLambdas.Carried c) {
                shape = c.shape().toArgument();
            }
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
     * @param descriptors the descriptor numbers in this process, by index (see {@link Encoded})
     * @throws IOException if the bytes are not a task, or name a descriptor index out of range
     * @throws ClassNotFoundException if a class is missing from the child's class path
     */
    static Task decode(byte[] bytes, int[] descriptors) throws IOException, ClassNotFoundException {
        try (HandleInputStream in = new HandleInputStream(new ByteArrayInputStream(bytes),
                descriptors)) {
            return (Task) in.readObject();
        }
    }

    /** {@return the descriptor numbers a spawned child inherits: {@code FIRST_HANDLE_FD + i}} */
    static int[] inheritedDescriptors(int count) {
        int[] fds = new int[count];
        for (int i = 0; i < count; i++) {
            fds[i] = FIRST_HANDLE_FD + i;
        }
        return fds;
    }

    /**
     * What an {@link Inheritable} becomes on the way to a child: the index of its descriptor among
     * the inherited ones, and its own handle.
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
        private final int[] descriptors;

        HandleInputStream(InputStream in, int[] descriptors) throws IOException {
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
