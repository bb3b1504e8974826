package org.multiprocessing4j;

import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Call;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Create;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Hello;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Ref;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Reply;
import org.multiprocessing4j.internal.manager.ManagerProtocol.Shutdown;

/**
 * The server side of a {@link Manager}: owns the shared objects and runs the calls proxies make
 * on them, one thread per client connection. {@link Manager#start()} runs one in a child process;
 * {@link Manager.Builder#serve} runs one in this process for clients that {@link Manager#connect} by
 * address (Python's {@code BaseManager.get_server().serve_forever()}).
 *
 * <p>References: each client process holds references through its session connection; when it
 * ends — normally or killed — the server drops every reference it held at once, and an object
 * without references is released (and closed, if it is {@link AutoCloseable} and no other
 * reference of any client names the same instance; every object is closed once at shutdown). Only methods of the interface a proxy was made for, which the
 * object implements, can be called.
 *
 * <p>Thread-safe. {@link #close()} stops accepting, closes every client connection (their calls
 * fail with {@link ManagerUnavailableException}) and releases every object.
 */
public final class ManagerServer implements AutoCloseable {
    private final Listener listener;
    private final Map<String, Supplier<?>> types;
    private final Map<Long, Held> objects = new ConcurrentHashMap<>();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextId = new AtomicLong(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread acceptor;
    private volatile boolean closed;

    private record Held(Object object, AtomicLong refs) {
    }

    ManagerServer(Listener listener, Map<String, Supplier<?>> types) {
        this.listener = listener;
        this.types = Map.copyOf(types);
        this.acceptor = Thread.ofPlatform().daemon().name("mp4j-manager-acceptor").start(this::acceptLoop);
    }

    /** {@return the address clients connect to} */
    public SocketAddress address() {
        return listener.address();
    }

    /** {@return how many objects are alive (referenced by some client)} */
    public int objectCount() {
        return objects.size();
    }

    /**
     * Waits until the server stops: {@link #close()}, or a client's {@link Manager#shutdown()}.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitTermination() throws InterruptedException {
        stopped.await();
    }

    private void acceptLoop() {
        while (!closed) {
            Connection c;
            try {
                c = listener.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue; // a client failed its handshake: serve the others
            }
            connections.add(c);
            Thread.ofPlatform().daemon().name("mp4j-manager-client").start(() -> serve(c));
        }
    }

    private void serve(Connection c) {
        Map<Long, Integer> holdings = new HashMap<>();
        try (c) {
            Object first = recv(c);
            boolean session = first instanceof Hello h && h.session();
            for (;;) {
                Object m = recv(c);
                Reply r;
                if (session) {
                    r = sessionRequest(m, holdings);
                    if (m instanceof Shutdown) {
                        c.send(r);
                        close();
                        return;
                    }
                } else {
                    r = call(m);
                }
                try {
                    c.send(r);
                } catch (CodecException e) {
                    c.send(new Reply(null, new IllegalArgumentException("the manager cannot encode the result ("
                            + e.getMessage() + ")")));
                }
            }
        } catch (EOFException | ClosedChannelException e) {
            // the client went away (or we closed): drop what it held
        } catch (IOException | RuntimeException e) {
            System.getLogger(ManagerServer.class.getName()).log(System.Logger.Level.DEBUG,
                    "manager client connection failed", e);
        } finally {
            connections.remove(c);
            holdings.forEach((id, n) -> release(id, n));
        }
    }

    /** A message that fails to decode (a class the server lacks, say) is answered, not fatal. */
    private static Object recv(Connection c) throws IOException {
        for (;;) {
            try {
                return c.recv();
            } catch (CodecException e) {
                c.send(new Reply(null, new IllegalArgumentException("the manager cannot decode the call: "
                        + e.getMessage())));
            }
        }
    }

    private Reply sessionRequest(Object m, Map<Long, Integer> holdings) {
        switch (m) {
            case Create cr -> {
                Supplier<?> factory = types.get(cr.typeid());
                if (factory == null) {
                    return new Reply(null, new IllegalArgumentException("no type '" + cr.typeid()
                            + "' is registered with this manager (registered: " + types.keySet() + ")"));
                }
                Object o;
                try {
                    o = factory.get();
                } catch (RuntimeException | Error e) {
                    return new Reply(null, e);
                }
                long id = nextId.getAndIncrement();
                objects.put(id, new Held(o, new AtomicLong(1)));
                holdings.merge(id, 1, Integer::sum);
                return new Reply(id, null);
            }
            case Ref ref -> {
                if (ref.delta() > 0) {
                    Held h = objects.get(ref.id());
                    if (h == null || h.refs().getAndIncrement() <= 0) {
                        return new Reply(null, new IllegalStateException("object " + ref.id()
                                + " no longer exists on the manager (every reference to it was released)"));
                    }
                    holdings.merge(ref.id(), 1, Integer::sum);
                } else if (holdings.merge(ref.id(), -1, Integer::sum) >= 0) {
                    holdings.remove(ref.id(), 0);
                    release(ref.id(), 1);
                } else {
                    holdings.remove(ref.id());
                }
                return new Reply(null, null);
            }
            case Shutdown s -> {
                return new Reply(null, null);
            }
            default -> {
                return new Reply(null, new IllegalArgumentException("unexpected session message "
                        + (m == null ? null : m.getClass().getName())));
            }
        }
    }

    private void release(long id, int n) {
        Held h = objects.get(id);
        if (h != null && h.refs().addAndGet(-n) <= 0 && objects.remove(id, h) && !stillShared(h.object())) {
            closeQuietly(h.object());
        }
    }

    /** A factory may hand out one object many times (a shared singleton): close it only once unused. */
    private boolean stillShared(Object o) {
        for (Held other : objects.values()) {
            if (other.object() == o) {
                return true;
            }
        }
        return false;
    }

    /** Objects that hold resources are closed when released (and at shutdown). */
    private static void closeQuietly(Object o) {
        if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                System.getLogger(ManagerServer.class.getName()).log(System.Logger.Level.WARNING,
                        "closing a released manager object failed", e);
            }
        }
    }

    private Reply call(Object m) {
        if (!(m instanceof Call call)) {
            return new Reply(null, new IllegalArgumentException("unexpected call message"));
        }
        Held h = objects.get(call.id());
        if (h == null) {
            return new Reply(null, new IllegalStateException("object " + call.id()
                    + " no longer exists on the manager (every reference to it was released)"));
        }
        Object target = h.object();
        if (call.method().equals("toString") && call.parameterTypes().length == 0) {
            return new Reply(String.valueOf(target), null);
        }
        try {
            Class<?> iface = Class.forName(call.iface(), false, ManagerServer.class.getClassLoader());
            if (!iface.isInterface() || !iface.isInstance(target)) {
                throw new IllegalArgumentException(target.getClass().getName() + " does not implement " + call.iface());
            }
            Class<?>[] types = new Class<?>[call.parameterTypes().length];
            for (int i = 0; i < types.length; i++) {
                types[i] = type(call.parameterTypes()[i]);
            }
            Method method = iface.getMethod(call.method(), types);
            Object result = method.invoke(target, call.args());
            return new Reply(portable(target, result), null);
        } catch (InvocationTargetException e) {
            return new Reply(null, e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            return new Reply(null, e);
        }
    }

    private static Class<?> type(String name) throws ClassNotFoundException {
        return switch (name) {
            case "int" -> int.class;
            case "long" -> long.class;
            case "boolean" -> boolean.class;
            case "double" -> double.class;
            case "float" -> float.class;
            case "short" -> short.class;
            case "byte" -> byte.class;
            case "char" -> char.class;
            default -> Class.forName(name, false, ManagerServer.class.getClassLoader());
        };
    }

    /**
     * Results travel by value: collection views and iterators (not serializable, and meaningless
     * in another process) become copies, taken under the object's monitor as
     * {@link java.util.Collections#synchronizedMap} requires for iteration.
     */
    private static Object portable(Object target, Object result) {
        if (result == target) {
            return null; // fluent "return this": the caller's proxy is the answer
        }
        if (result instanceof Iterator<?> it) {
            synchronized (target) {
                List<Object> copy = new ArrayList<>();
                it.forEachRemaining(e -> copy.add(entry(e)));
                return copy;
            }
        }
        if (result instanceof Map.Entry<?, ?> e) {
            return entry(e);
        }
        if (result instanceof Collection<?> c && !(result instanceof Serializable && isPlain(result))) {
            synchronized (target) {
                Collection<Object> copy = c instanceof Set ? new LinkedHashSet<>() : new ArrayList<>();
                for (Object e : c) {
                    copy.add(entry(e));
                }
                return copy;
            }
        }
        return result;
    }

    private static boolean isPlain(Object o) {
        return o instanceof ArrayList || o instanceof LinkedHashSet || o instanceof java.util.HashSet;
    }

    private static Object entry(Object e) {
        return e instanceof Map.Entry<?, ?> en && !(en instanceof AbstractMap.SimpleImmutableEntry)
                ? new AbstractMap.SimpleImmutableEntry<>(en.getKey(), en.getValue()) : e;
    }

    /**
     * Stops: no new clients, every connection closed, every object released. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        listener.close();
        for (Connection c : connections) {
            c.close();
        }
        Set<Object> closedOnce = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Long id : List.copyOf(objects.keySet())) {
            Held h = objects.remove(id);
            if (h != null && closedOnce.add(h.object())) {
                closeQuietly(h.object());
            }
        }
        stopped.countDown();
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "ManagerServer[" + address() + ", " + objects.size() + " objects" + (closed ? ", closed" : "") + "]";
    }
}
