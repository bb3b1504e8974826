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

/**
 * Serializes a {@link Task} for a child: ordinary captured values by Java serialization,
 * {@link Connection}s as {@link ConnectionHandle}s naming the descriptor the child inherits
 * (descriptor {@code FIRST_HANDLE_FD + index}). The same connection captured twice becomes one
 * handle.
 */
final class TaskStreams {
    /** Descriptor 3 is the bootstrap socket; inherited handles follow. */
    static final int FIRST_HANDLE_FD = 4;

    private TaskStreams() {
    }

    /** The serialized task and the connections whose descriptors the child must inherit. */
    record Encoded(byte[] bytes, List<Connection> connections) {
    }

    /**
     * Serializes {@code task}.
     *
     * @throws IllegalArgumentException if it captures something that is not serializable
     */
    static Encoded encode(Task task) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        Map<Connection, Integer> handles = new IdentityHashMap<>();
        List<Connection> order = new ArrayList<>();
        try (HandleOutputStream out = new HandleOutputStream(bytes, handles, order)) {
            out.writeObject(task);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("the task cannot be sent to the child: it captures"
                    + " an instance of " + e.getMessage() + ", which is not java.io.Serializable"
                    + " (captured values travel by serialization; Connections travel as handles)",
                    e);
        } catch (IOException e) {
            throw new IllegalArgumentException("the task cannot be sent to the child: " + e, e);
        }
        return new Encoded(bytes.toByteArray(), List.copyOf(order));
    }

    /**
     * Deserializes a task in the child.
     *
     * @throws IOException if the bytes are not a task
     * @throws ClassNotFoundException if a class is missing from the child's class path
     */
    static Task decode(byte[] bytes) throws IOException, ClassNotFoundException {
        try (HandleInputStream in = new HandleInputStream(new ByteArrayInputStream(bytes))) {
            return (Task) in.readObject();
        }
    }

    /** What a connection becomes on the way to a child. */
    record ConnectionHandle(int index, boolean readable, boolean writable, long maxFrameSize,
                            Codec codec) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private static final class HandleOutputStream extends ObjectOutputStream {
        private final Map<Connection, Integer> handles;
        private final List<Connection> order;

        HandleOutputStream(OutputStream out, Map<Connection, Integer> handles, List<Connection> order)
                throws IOException {
            super(out);
            this.handles = handles;
            this.order = order;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) throws IOException {
            if (obj instanceof Connection c) {
                if (c.isClosed()) {
                    throw new IOException("a captured connection is closed: " + c);
                }
                Integer index = handles.get(c);
                if (index == null) {
                    index = order.size();
                    handles.put(c, index);
                    order.add(c);
                }
                Codec codec = c.codec();
                if (codec != Codec.defaults() && !(codec instanceof Serializable)) {
                    throw new IOException("a captured connection's codec ("
                            + codec.getClass().getName() + ") is not Serializable");
                }
                return new ConnectionHandle(index, c.readable(), c.writable(), c.maxFrameSize(),
                        codec == Codec.defaults() ? null : codec);
            }
            return obj;
        }
    }

    private static final class HandleInputStream extends ObjectInputStream {
        HandleInputStream(InputStream in) throws IOException {
            super(in);
            enableResolveObject(true);
        }

        @Override
        protected Object resolveObject(Object obj) {
            if (obj instanceof ConnectionHandle h) {
                Codec codec = h.codec() == null ? Codec.defaults() : h.codec();
                return new Connection(FIRST_HANDLE_FD + h.index(), h.readable(), h.writable(), codec)
                        .maxFrameSize(h.maxFrameSize());
            }
            return obj;
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
